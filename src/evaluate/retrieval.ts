/**
 * Mean average precision (mAP) for replicate retrieval and phenotypic activity, as copairs defines them
 * (Kalinin et al. 2025, "A versatile information retrieval framework for evaluating profile strength and
 * similarity", Nat Commun 16:5181; github.com/cytomining/copairs).
 *
 * - A query is one well. Its candidates are ranked by cosine similarity to it, highest first.
 * - Average precision of a ranked list with P positives: AP = (1/P) * sum over positives at rank r_k
 *   (k = 1..P, in rank order) of precision@r_k = k / r_k.
 * - Ties in similarity rank negatives before positives (a pessimistic, deterministic choice; copairs leaves
 *   tie order to its sort). A non-finite similarity (a zero profile) ranks last.
 * - mAP of a group (an siRNA) is the mean AP of its queries (queries without positives are dropped).
 * - p-value (copairs): for each (P, N) configuration of a query, `nullSize` APs of random rankings (P positives
 *   placed uniformly among N candidates), sorted; the group's null is the element-wise mean of its queries'
 *   sorted nulls; p = (#{null > mAP} + 1) / (nullSize + 1).
 * - Corrected p (q) by Benjamini-Hochberg over the groups; a group is "retrieved" (or "active") when q < 0.05.
 */
import { dot, type Matrix, normalizeRows } from '../numerics/index.js';
import { rngFor, type Rng } from '../util/random.js';

/** AP of a ranked 0/1 relevance list (NaN when it holds no positive). */
export function averagePrecision(relevance: ArrayLike<number>): number {
  let hits = 0;
  let sum = 0;
  for (let r = 0; r < relevance.length; r++) {
    if (relevance[r]) {
      hits++;
      sum += hits / (r + 1);
    }
  }
  return hits > 0 ? sum / hits : NaN;
}

/**
 * AP of one query from the similarities of its positive and negative candidates (ranked by similarity,
 * descending; ties put negatives first). NaN when there is no positive. Sorts its arguments in place.
 */
export function similarityAveragePrecision(positive: Float64Array, negative: Float64Array): number {
  const P = positive.length;
  if (P === 0) return NaN;
  const clean = (a: Float64Array) => {
    for (let t = 0; t < a.length; t++) if (!Number.isFinite(a[t])) a[t] = -Infinity;
    a.sort();
  };
  clean(positive);
  clean(negative);
  // negative is ascending; count of negatives with similarity >= s is N - (first index with value >= s).
  const N = negative.length;
  let sum = 0;
  for (let k = 1; k <= P; k++) {
    const s = positive[P - k];
    let lo = 0;
    let hi = N;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (negative[mid] < s) lo = mid + 1;
      else hi = mid;
    }
    const rank = k + (N - lo);
    sum += k / rank;
  }
  return sum / P;
}

/** `nullSize` APs of random rankings with `positives` positives among `total` candidates, sorted ascending. */
export function randomAveragePrecisions(positives: number, total: number, nullSize: number, rng: Rng): Float64Array {
  if (positives < 1 || positives > total)
    throw new Error(`randomAveragePrecisions: ${positives} positives among ${total} candidates`);
  const out = new Float64Array(nullSize);
  const ranks = new Int32Array(positives);
  for (let s = 0; s < nullSize; s++) {
    rng.sampleSorted(total, positives, ranks);
    let sum = 0;
    for (let k = 0; k < positives; k++) sum += (k + 1) / (ranks[k] + 1);
    out[s] = sum / positives;
  }
  return out.sort();
}

/**
 * Benjamini-Hochberg adjusted p-values (statsmodels `multipletests(method='fdr_bh')`):
 * q_(i) = min_{j >= i} min(1, m * p_(j) / j) over the p-values sorted ascending.
 */
export function benjaminiHochberg(pValues: ArrayLike<number>): Float64Array {
  const m = pValues.length;
  const order = Array.from({ length: m }, (_, i) => i).sort((a, b) => pValues[a] - pValues[b]);
  const q = new Float64Array(m);
  let running = 1;
  for (let r = m - 1; r >= 0; r--) {
    const i = order[r];
    running = Math.min(running, (m * pValues[i]) / (r + 1));
    q[i] = Math.min(1, running);
  }
  return q;
}

/** One query's AP and its configuration. */
export interface QueryPrecision {
  /** The query's group label (siRNA id). */
  label: number;
  ap: number;
  /** Number of positive candidates. */
  positives: number;
  /** Number of candidates (positives + negatives). */
  total: number;
}

/** mAP of one group with its significance. */
export interface GroupPrecision {
  label: number;
  map: number;
  pValue: number;
  /** Benjamini-Hochberg corrected p-value. */
  qValue: number;
  queries: number;
}

export interface MapSummary {
  groups: GroupPrecision[];
  /** Mean over groups of their mAP (NaN when there is no group). */
  meanMap: number;
  /** Fraction of groups with q < threshold. */
  fractionSignificant: number;
}

export interface MapOptions {
  /** Size of each permutation null; default 10000 (copairs' usual). */
  nullSize?: number;
  seed?: number;
  /** Significance threshold on the corrected p-value; default 0.05. */
  threshold?: number;
}

/** Groups query APs into per-label mAP with permutation p-values and BH-corrected q-values (see the module comment). */
export function meanAveragePrecision(queries: QueryPrecision[], options: MapOptions = {}): MapSummary {
  const nullSize = options.nullSize ?? 10000;
  const seed = options.seed ?? 0;
  const threshold = options.threshold ?? 0.05;
  const valid = queries.filter((q) => q.positives > 0 && Number.isFinite(q.ap));
  const nulls = new Map<string, Float64Array>();
  const nullOf = (positives: number, total: number) => {
    const key = `${positives}:${total}`;
    let dist = nulls.get(key);
    if (!dist) {
      dist = randomAveragePrecisions(positives, total, nullSize, rngFor(seed, `ap-null:${key}`));
      nulls.set(key, dist);
    }
    return dist;
  };
  const byLabel = new Map<number, QueryPrecision[]>();
  for (const q of valid) {
    const list = byLabel.get(q.label);
    if (list) list.push(q);
    else byLabel.set(q.label, [q]);
  }
  const labels = [...byLabel.keys()].sort((a, b) => a - b);
  const groups: GroupPrecision[] = labels.map((label) => {
    const members = byLabel.get(label)!;
    const map = members.reduce((s, q) => s + q.ap, 0) / members.length;
    const mean = new Float64Array(nullSize);
    for (const q of members) {
      const dist = nullOf(q.positives, q.total);
      for (let s = 0; s < nullSize; s++) mean[s] += dist[s];
    }
    let above = 0;
    // Compare in the same floating-point order copairs uses (mean of the nulls).
    for (let s = 0; s < nullSize; s++) if (mean[s] / members.length > map) above++;
    return { label, map, pValue: (above + 1) / (nullSize + 1), qValue: NaN, queries: members.length };
  });
  const q = benjaminiHochberg(groups.map((g) => g.pValue));
  groups.forEach((g, i) => {
    g.qValue = q[i];
  });
  return {
    groups,
    meanMap: groups.length ? groups.reduce((s, g) => s + g.map, 0) / groups.length : NaN,
    fractionSignificant: groups.length ? groups.filter((g) => g.qValue < threshold).length / groups.length : NaN,
  };
}

/**
 * Replicate retrieval APs (copairs with pos_sameby = siRNA, pos_diffby = plate, neg_diffby = siRNA): every
 * row with a label (>= 0) is a query; positives are other rows with the same label on a different plate;
 * negatives are rows with a different label; same-label rows on the same plate are not candidates. Rows with
 * label < 0 take no part. Cosine similarity; O(n^2 p) time, O(n) extra memory per query.
 */
export function replicateRetrieval(
  X: Matrix,
  labels: ArrayLike<number>,
  plates: ArrayLike<string | number>,
): QueryPrecision[] {
  const { rows: n, cols: p } = X;
  const unit = normalizeRows(X).data;
  const rows = Array.from({ length: n }, (_, i) => i).filter((i) => labels[i] >= 0);
  const out: QueryPrecision[] = [];
  const posBuffer = new Float64Array(n);
  const negBuffer = new Float64Array(n);
  for (const i of rows) {
    let np = 0;
    let nn = 0;
    const io = i * p;
    for (const j of rows) {
      if (j === i) continue;
      const same = labels[j] === labels[i];
      if (same && plates[j] === plates[i]) continue;
      const s = dot(unit, io, unit, j * p, p);
      if (same) posBuffer[np++] = s;
      else negBuffer[nn++] = s;
    }
    if (np === 0) continue;
    const ap = similarityAveragePrecision(posBuffer.slice(0, np), negBuffer.slice(0, nn));
    out.push({ label: labels[i], ap, positives: np, total: np + nn });
  }
  return out;
}

/**
 * Phenotypic activity APs (copairs: positives = replicates of the same perturbation, negatives = negative
 * controls): every row with `query[i]` and a label >= 0 is a query; positives are the other rows with the same
 * label (any plate); negatives are the rows with `negative[j]` (negative-control wells). Cosine similarity.
 */
export function phenotypicActivity(
  X: Matrix,
  labels: ArrayLike<number>,
  query: ArrayLike<boolean | number>,
  negative: ArrayLike<boolean | number>,
): QueryPrecision[] {
  const { rows: n, cols: p } = X;
  const unit = normalizeRows(X).data;
  const controls = Array.from({ length: n }, (_, i) => i).filter((i) => negative[i]);
  const byLabel = new Map<number, number[]>();
  for (let i = 0; i < n; i++) {
    if (!query[i] || !(labels[i] >= 0)) continue;
    const list = byLabel.get(labels[i]);
    if (list) list.push(i);
    else byLabel.set(labels[i], [i]);
  }
  const sim = (a: number, b: number) => dot(unit, a * p, unit, b * p, p);
  const out: QueryPrecision[] = [];
  for (const [label, members] of byLabel) {
    if (members.length < 2) continue;
    for (const i of members) {
      const pos = new Float64Array(members.length - 1);
      let k = 0;
      for (const j of members) if (j !== i) pos[k++] = sim(i, j);
      const neg = Float64Array.from(controls, (j) => sim(i, j));
      out.push({
        label,
        ap: similarityAveragePrecision(pos, neg),
        positives: pos.length,
        total: pos.length + neg.length,
      });
    }
  }
  return out;
}
