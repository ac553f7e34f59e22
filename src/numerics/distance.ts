/**
 * Row norms, unit rows, distances between rows and exact k nearest neighbours (brute force, blocked per query,
 * O(reference rows) memory per query).
 */
import { allocateLike, type FloatArray, type Matrix, matrix } from './matrix.js';

export type Metric = 'cosine' | 'euclidean';

/** Dot product of p values of A from offset a and of B from offset b. */
export function dot(A: ArrayLike<number>, a: number, B: ArrayLike<number>, b: number, p: number): number {
  let s = 0;
  for (let j = 0; j < p; j++) s += A[a + j] * B[b + j];
  return s;
}

/** The L2 norm of each row. */
export function rowNorms(X: Matrix): Float64Array {
  const { rows, cols, data } = X;
  const out = new Float64Array(rows);
  for (let i = 0; i < rows; i++) out[i] = Math.sqrt(dot(data, i * cols, data, i * cols, cols));
  return out;
}

/** The rows scaled to unit L2 norm, as a new matrix of the same element type (zero rows stay zero). */
export function normalizeRows<T extends FloatArray>(X: Matrix<T>): Matrix<T> {
  const out = matrix(allocateLike(X.data, X.data.length), X.rows, X.cols);
  out.data.set(X.data);
  normalizeRowsInPlace(out);
  return out;
}

/** Scales each row to unit L2 norm in place (zero rows stay zero). */
export function normalizeRowsInPlace(X: Matrix): void {
  const { rows, cols: p, data } = X;
  for (let i = 0; i < rows; i++) {
    const o = i * p;
    let s = 0;
    for (let j = 0; j < p; j++) s += data[o + j] * data[o + j];
    const inv = s > 0 ? 1 / Math.sqrt(s) : 0;
    for (let j = 0; j < p; j++) data[o + j] *= inv;
  }
}

/**
 * Distance between row a of A and row b of B: cosine distance 1 - x·y/(|x||y|) (scikit-learn's `cosine`; 1
 * when either row is zero), or Euclidean distance.
 */
export function rowDistance(A: Matrix, a: number, B: Matrix, b: number, metric: Metric): number {
  const p = A.cols;
  const x = A.data;
  const y = B.data;
  const ao = a * p;
  const bo = b * B.cols;
  if (metric === 'euclidean') {
    let s = 0;
    for (let j = 0; j < p; j++) {
      const d = x[ao + j] - y[bo + j];
      s += d * d;
    }
    return Math.sqrt(s);
  }
  let xy = 0;
  let xx = 0;
  let yy = 0;
  for (let j = 0; j < p; j++) {
    const u = x[ao + j];
    const v = y[bo + j];
    xy += u * v;
    xx += u * u;
    yy += v * v;
  }
  return xx > 0 && yy > 0 ? 1 - xy / Math.sqrt(xx * yy) : 1;
}

export interface Neighbours {
  k: number;
  /** rows(query) x k reference row indices, nearest first. */
  indices: Int32Array;
  /** rows(query) x k distances (cosine distance or Euclidean), ascending. */
  distances: Float64Array;
}

export interface NeighbourOptions {
  k: number;
  metric: Metric;
  /** Query and reference are the same matrix: a row is never its own neighbour. */
  excludeSelf?: boolean;
}

/**
 * Exact k nearest reference rows of each query row (brute force, O(nq·nr·p) time, O(nr) memory per query).
 * Ties in distance keep the lower reference index first.
 */
export function nearestNeighbours(query: Matrix, ref: Matrix, options: NeighbourOptions): Neighbours {
  const { k, metric } = options;
  const excludeSelf = options.excludeSelf ?? false;
  const nq = query.rows;
  const nr = ref.rows;
  const p = ref.cols;
  if (query.cols !== p) throw new Error(`nearestNeighbours: query rows have ${query.cols} values, reference ${p}`);
  const available = nr - (excludeSelf ? 1 : 0);
  if (k > available) throw new Error(`nearestNeighbours: k=${k} but only ${available} reference rows`);
  const indices = new Int32Array(nq * k);
  const distances = new Float64Array(nq * k);
  const refNorm = rowNorms(ref);
  const bestD = new Float64Array(k);
  const bestI = new Int32Array(k);
  const Q = query.data;
  const R = ref.data;
  for (let q = 0; q < nq; q++) {
    const qo = q * p;
    const qn = Math.sqrt(dot(Q, qo, Q, qo, p));
    let filled = 0;
    for (let r = 0; r < nr; r++) {
      if (excludeSelf && r === q) continue;
      let d: number;
      if (metric === 'cosine') {
        const denom = qn * refNorm[r];
        d = denom > 0 ? 1 - dot(Q, qo, R, r * p, p) / denom : 1;
      } else {
        let s = 0;
        const ro = r * p;
        for (let j = 0; j < p; j++) {
          const t = Q[qo + j] - R[ro + j];
          s += t * t;
        }
        d = Math.sqrt(s);
      }
      if (filled === k && d >= bestD[k - 1]) continue;
      // Insert into the sorted top-k list.
      let pos = filled < k ? filled++ : k - 1;
      while (pos > 0 && bestD[pos - 1] > d) {
        bestD[pos] = bestD[pos - 1];
        bestI[pos] = bestI[pos - 1];
        pos--;
      }
      bestD[pos] = d;
      bestI[pos] = r;
    }
    indices.set(bestI, q * k);
    distances.set(bestD, q * k);
  }
  return { k, indices, distances };
}
