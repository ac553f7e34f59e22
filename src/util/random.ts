/**
 * Seeded randomness for the simulator, evaluation, the competition split and CNN training. Every stream is keyed
 * by a run seed plus names (a site id, a metric, ...), so a value never depends on the order or thread in which
 * other things drew theirs; a generator's whole state is one number, so a training checkpoint saves it and a
 * resumed run draws what the uninterrupted run would have drawn.
 */

/** FNV-1a over the keys' UTF-16 code units, then murmur3's fmix32 finaliser (Appleby) to spread the bits. */
export function hashKey(seed: number, ...keys: readonly (string | number)[]): number {
  let h = (0x811c9dc5 ^ seed) >>> 0;
  const text = keys.join('\u0000');
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** mulberry32 (Tommy Ettinger, 2017): one 32-bit word of state, fast, good enough for simulation and sampling. */
export class Rng {
  private s: number;

  /** A seed, or a state saved by `state()` (which continues that generator's sequence). */
  constructor(state: number) {
    this.s = state >>> 0;
  }

  /** The state, to save. */
  state(): number {
    return this.s;
  }

  /** Raw 32-bit output. */
  uint32(): number {
    this.s = (this.s + 0x6d2b79f5) | 0;
    let t = this.s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.uint32() / 4294967296;
  }

  uniform(low: number, high: number): number {
    return low + (high - low) * this.next();
  }

  /** Integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** Standard normal by Box-Muller (one value per call, so the stream stays simple to reason about). */
  normal(): number {
    const u = 1 - this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * this.next());
  }

  /** Gamma(shape, 1) by Marsaglia & Tsang (2000); shape < 1 through the boost Gamma(a+1) * U^(1/a). */
  gamma(shape: number): number {
    if (shape < 1) return this.gamma(shape + 1) * (1 - this.next()) ** (1 / shape);
    const d = shape - 1 / 3;
    const c = 1 / Math.sqrt(9 * d);
    for (;;) {
      let x: number;
      let v: number;
      do {
        x = this.normal();
        v = 1 + c * x;
      } while (v <= 0);
      v = v * v * v;
      const u = 1 - this.next();
      if (Math.log(u) < 0.5 * x * x + d - d * v + d * Math.log(v)) return d * v;
    }
  }

  /** Beta(a, b) from two gammas (mixup and cutmix weights). */
  beta(a: number, b: number): number {
    const x = this.gamma(a);
    const y = this.gamma(b);
    return x / (x + y);
  }

  /** Fisher-Yates shuffle in place (an array or a typed array); returns `items`. */
  shuffle<A extends { length: number; [index: number]: unknown }>(items: A): A {
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

/** The random stream named by `keys` under `seed`. */
export function rngFor(seed: number, ...keys: readonly (string | number)[]): Rng {
  return new Rng(hashKey(seed, ...keys));
}
