/**
 * Batch-mixing and label-conservation metrics on a set of profiles (the rows of a matrix): silhouette
 * (Rousseeuw 1987, scikit-learn's silhouette_score), LISI (Korsunsky et al. 2019, harmony's compute_lisi) and
 * graph connectivity (Luecken et al. 2022, scIB).
 */
import { DisjointSets, type Matrix, type Metric, nearestNeighbours, rowDistance } from '../numerics/index.js';

/** Maps arbitrary labels to dense codes 0..L-1 (in order of first appearance). */
export function encodeLabels(labels: ArrayLike<string | number>): { codes: Int32Array; count: number } {
  const map = new Map<string | number, number>();
  const codes = new Int32Array(labels.length);
  for (let i = 0; i < labels.length; i++) {
    let c = map.get(labels[i]);
    if (c === undefined) {
      c = map.size;
      map.set(labels[i], c);
    }
    codes[i] = c;
  }
  return { codes, count: map.size };
}

/**
 * Silhouette coefficient of each row (scikit-learn's silhouette_samples): a = mean distance to the other rows
 * of its label, b = the smallest mean distance to the rows of another label, s = (b - a) / max(a, b); s = 0 for a
 * row alone in its label (and 0 when a = b = 0). O(n^2 p) time, O(n + labels) memory.
 */
export function silhouetteSamples(
  X: Matrix,
  labels: ArrayLike<string | number>,
  metric: Metric = 'euclidean',
): Float64Array {
  const n = X.rows;
  const { codes, count } = encodeLabels(labels);
  const sizes = new Int32Array(count);
  for (let i = 0; i < n; i++) sizes[codes[i]]++;
  const sums = new Float64Array(count);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    sums.fill(0);
    for (let j = 0; j < n; j++) if (j !== i) sums[codes[j]] += rowDistance(X, i, X, j, metric);
    const own = codes[i];
    if (sizes[own] <= 1) continue;
    const a = sums[own] / (sizes[own] - 1);
    let b = Infinity;
    for (let c = 0; c < count; c++) if (c !== own && sizes[c] > 0) b = Math.min(b, sums[c] / sizes[c]);
    const denom = Math.max(a, b);
    out[i] = denom > 0 && Number.isFinite(b) ? (b - a) / denom : 0;
  }
  return out;
}

/**
 * Mean silhouette coefficient over all rows (scikit-learn's silhouette_score, metric 'euclidean' or 'cosine').
 * Lies in [-1, 1]; high when labels form compact, separated groups. NaN unless 2 <= labels <= n - 1.
 */
export function silhouetteScore(X: Matrix, labels: ArrayLike<string | number>, metric: Metric = 'euclidean'): number {
  const n = X.rows;
  const { count } = encodeLabels(labels);
  if (count < 2 || count > n - 1) return NaN;
  const s = silhouetteSamples(X, labels, metric);
  return s.reduce((a, b) => a + b, 0) / n;
}

/** Entropy-matched Gaussian weights of one row's neighbour distances (harmony's compute_simpson search). */
function perplexityWeights(
  distances: Float64Array,
  offset: number,
  k: number,
  perplexity: number,
  P: Float64Array,
): number {
  const logU = Math.log(perplexity);
  let beta = 1;
  let betaMin = -Infinity;
  let betaMax = Infinity;
  const evaluate = (): number => {
    let sum = 0;
    for (let t = 0; t < k; t++) sum += P[t] = Math.exp(-distances[offset + t] * beta);
    if (sum === 0) {
      P.fill(0, 0, k);
      return 0;
    }
    let weighted = 0;
    for (let t = 0; t < k; t++) weighted += distances[offset + t] * P[t];
    const H = Math.log(sum) + (beta * weighted) / sum;
    for (let t = 0; t < k; t++) P[t] /= sum;
    return H;
  };
  let H = evaluate();
  let diff = H - logU;
  for (let tries = 0; tries < 50 && Math.abs(diff) >= 1e-5; tries++) {
    if (diff > 0) {
      betaMin = beta;
      beta = Number.isFinite(betaMax) ? (beta + betaMax) / 2 : beta * 2;
    } else {
      betaMax = beta;
      beta = Number.isFinite(betaMin) ? (beta + betaMin) / 2 : beta / 2;
    }
    H = evaluate();
    diff = H - logU;
  }
  return H;
}

/**
 * Local inverse Simpson's index of each row (Korsunsky et al. 2019, Nat Methods 16:1289; harmony's
 * compute_lisi and the R lisi package): take the row's 3*perplexity nearest neighbours counting the row
 * itself, then drop the row (so 3*perplexity - 1 others; Euclidean distance); weight them by a Gaussian kernel
 * exp(-beta * d) whose beta is found by bisection (at most 50 steps, tolerance 1e-5) so that the weights'
 * entropy equals log(perplexity); LISI = 1 / sum_label (sum of the weights of neighbours with that label)^2.
 * Ranges from 1 (one label around) to the number of labels (perfectly mixed). With fewer than 3*perplexity
 * rows, all other rows are the neighbours and perplexity becomes n / 3. Default perplexity 30.
 */
export function lisi(
  X: Matrix,
  labels: ArrayLike<string | number>,
  options: { perplexity?: number } = {},
): Float64Array {
  const n = X.rows;
  const perplexity = options.perplexity ?? 30;
  const { codes, count } = encodeLabels(labels);
  const out = new Float64Array(n);
  if (n < 2) return out.fill(1);
  const k = Math.min(Math.floor(3 * perplexity) - 1, n - 1);
  const effectivePerplexity = Math.min(perplexity, (k + 1) / 3);
  const nn = nearestNeighbours(X, X, { k, metric: 'euclidean', excludeSelf: true });
  const P = new Float64Array(k);
  const mass = new Float64Array(count);
  for (let i = 0; i < n; i++) {
    const H = perplexityWeights(nn.distances, i * k, k, effectivePerplexity, P);
    mass.fill(0);
    for (let t = 0; t < k; t++) mass[codes[nn.indices[i * k + t]]] += P[t];
    let simpson = H === 0 ? -1 : 0;
    for (let c = 0; c < count; c++) simpson += mass[c] * mass[c];
    out[i] = 1 / simpson;
  }
  return out;
}

/**
 * Graph connectivity (scIB, Luecken et al. 2022, Nat Methods 19:41): build the symmetric k-nearest-neighbour
 * graph of all rows (Euclidean, k others per row, an edge when either row lists the other); for each label,
 * take the subgraph induced by the rows of that label and the fraction of those rows in its largest connected
 * component; average over labels. 1 when each label's rows form one connected piece. Default k = 15.
 */
export function graphConnectivity(X: Matrix, labels: ArrayLike<string | number>, options: { k?: number } = {}): number {
  const n = X.rows;
  const { codes, count } = encodeLabels(labels);
  if (n === 0) return NaN;
  const kk = Math.min(options.k ?? 15, n - 1);
  const sets = new DisjointSets(n);
  if (kk > 0) {
    const nn = nearestNeighbours(X, X, { k: kk, metric: 'euclidean', excludeSelf: true });
    for (let i = 0; i < n; i++) {
      for (let t = 0; t < kk; t++) {
        const j = nn.indices[i * kk + t];
        if (codes[j] !== codes[i]) continue; // only edges inside a label's induced subgraph
        sets.union(i, j);
      }
    }
  }
  const componentSize = new Map<number, number>();
  for (let i = 0; i < n; i++) componentSize.set(sets.find(i), (componentSize.get(sets.find(i)) ?? 0) + 1);
  const largest = new Float64Array(count);
  const sizes = new Float64Array(count);
  for (let i = 0; i < n; i++) sizes[codes[i]]++;
  for (const [root, size] of componentSize) largest[codes[root]] = Math.max(largest[codes[root]], size);
  let total = 0;
  for (let c = 0; c < count; c++) total += largest[c] / sizes[c];
  return total / count;
}
