/**
 * Similarity-based classifiers on profiles: k-nearest neighbours and nearest class mean, both with cosine
 * similarity, plus the k-shot protocol and accuracy helpers.
 */
import { type Matrix, nearestNeighbours, normalizeRows, zeros32 } from '../numerics/index.js';
import { rngFor } from '../util/random.js';

/**
 * k-nearest-neighbour prediction with cosine similarity: each query's k most similar reference rows vote for
 * their class with weight equal to their cosine similarity; the class with the largest summed weight wins
 * (ties: the lower class index). O(nq * nr * p) time.
 */
export function knnPredict(
  ref: Matrix,
  refClass: Int32Array,
  query: Matrix,
  options: { classes: number; k?: number },
): Int32Array {
  const { classes } = options;
  const nq = query.rows;
  const kk = Math.min(options.k ?? 5, ref.rows);
  const out = new Int32Array(nq);
  if (kk === 0) return out.fill(-1);
  const nn = nearestNeighbours(query, ref, { k: kk, metric: 'cosine' });
  const votes = new Float64Array(classes);
  const seen = new Uint8Array(classes);
  const touched: number[] = [];
  for (let q = 0; q < nq; q++) {
    for (let t = 0; t < kk; t++) {
      const c = refClass[nn.indices[q * kk + t]];
      if (!seen[c]) {
        seen[c] = 1;
        touched.push(c);
      }
      votes[c] += 1 - nn.distances[q * kk + t]; // cosine similarity
    }
    let best = -1;
    for (const c of touched) if (best < 0 || votes[c] > votes[best] || (votes[c] === votes[best] && c < best)) best = c;
    out[q] = best;
    for (const c of touched) {
      votes[c] = 0;
      seen[c] = 0;
    }
    touched.length = 0;
  }
  return out;
}

/**
 * Nearest class mean with cosine similarity: each class is represented by the mean of its reference rows
 * (`members[c]` lists row indices of `X`; an empty class is never predicted) and each query row of `X`
 * (`queries`) takes the class whose mean is most similar.
 */
export function nearestClassMean(X: Matrix, members: number[][], queries: ArrayLike<number>): Int32Array {
  const p = X.cols;
  const data = X.data;
  const classes = members.length;
  const sums = zeros32(classes, p);
  const means = sums.data;
  members.forEach((rows, c) => {
    for (const i of rows) for (let j = 0; j < p; j++) means[c * p + j] += data[i * p + j];
  });
  const unitMeans = normalizeRows(sums).data;
  const usable = members.map((rows) => rows.length > 0);
  const out = new Int32Array(queries.length);
  for (let q = 0; q < queries.length; q++) {
    const o = queries[q] * p;
    let best = -1;
    let bestSim = -Infinity;
    for (let c = 0; c < classes; c++) {
      if (!usable[c]) continue;
      let s = 0;
      for (let j = 0; j < p; j++) s += data[o + j] * unitMeans[c * p + j];
      if (s > bestSim) {
        bestSim = s;
        best = c;
      }
    }
    out[q] = best;
  }
  return out;
}

/**
 * k-shot draw: for each class, `k` of its training rows chosen uniformly without replacement by a seeded
 * shuffle (all of them when it has fewer than k). Stream keyed by seed and k, so draws for different k are
 * independent and reproducible.
 */
export function sampleShots(members: number[][], k: number, seed: number): number[][] {
  const rng = rngFor(seed, `kshot:${k}`);
  return members.map((rows) => rng.shuffle([...rows]).slice(0, k));
}

/** Fraction of positions where predicted equals truth (NaN for no rows). */
export function accuracy(predicted: ArrayLike<number>, truth: ArrayLike<number>): number {
  if (predicted.length !== truth.length)
    throw new Error(`accuracy: ${predicted.length} predictions for ${truth.length} labels`);
  if (truth.length === 0) return NaN;
  let hits = 0;
  for (let i = 0; i < truth.length; i++) if (predicted[i] === truth[i]) hits++;
  return hits / truth.length;
}

/** Accuracy within each group of rows (group key per row), groups in sorted key order. */
export function accuracyByGroup(
  predicted: ArrayLike<number>,
  truth: ArrayLike<number>,
  groups: ArrayLike<string>,
): Record<string, number> {
  const hits = new Map<string, number>();
  const totals = new Map<string, number>();
  for (let i = 0; i < truth.length; i++) {
    const g = groups[i];
    totals.set(g, (totals.get(g) ?? 0) + 1);
    hits.set(g, (hits.get(g) ?? 0) + (predicted[i] === truth[i] ? 1 : 0));
  }
  const out: Record<string, number> = {};
  for (const g of [...totals.keys()].sort()) out[g] = hits.get(g)! / totals.get(g)!;
  return out;
}
