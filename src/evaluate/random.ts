/**
 * Seeded randomness for evaluation (subsampling, k-shot draws, permutation nulls, UMAP). A stream is keyed by
 * the run seed plus a name, so one metric's draws never depend on how many draws another metric made.
 */

/** A 32-bit seed from a seed and a name: FNV-1a over the name, then murmur3's fmix32 finaliser. */
export function streamSeed(seed: number, name: string): number {
  let h = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** mulberry32 (Tommy Ettinger, 2017): one 32-bit word of state. */
export class Rng {
  private state: number;

  constructor(seed: number, name = '') {
    this.state = name ? streamSeed(seed, name) : seed >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) | 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** Fisher-Yates shuffle in place; returns `items`. */
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = items[i];
      items[i] = items[j];
      items[j] = t;
    }
    return items;
  }

  /** `k` distinct integers of [0, n) in increasing order (Floyd's algorithm, O(k) draws). */
  sampleSorted(n: number, k: number, out: Int32Array = new Int32Array(k)): Int32Array {
    if (k > n) throw new Error(`sampleSorted: cannot draw ${k} distinct values from ${n}`);
    const chosen = new Set<number>();
    for (let j = n - k; j < n; j++) {
      const t = this.int(j + 1);
      chosen.add(chosen.has(t) ? j : t);
    }
    let i = 0;
    for (const v of chosen) out[i++] = v;
    out.subarray(0, k).sort();
    return out;
  }
}
