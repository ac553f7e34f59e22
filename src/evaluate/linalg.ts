/**
 * Row-major numeric helpers on typed arrays: standardization, row normalization, exact k-nearest neighbours
 * (blocked, O(n) memory per query row) and PCA by randomized subspace iteration (Halko, Martinsson & Tropp 2011).
 * A matrix is a Float32Array (or Float64Array) of n rows x p columns, row i at [i*p, (i+1)*p).
 */
import { EigenvalueDecomposition, Matrix } from 'ml-matrix';
import { rngFor } from '../util/random.js';

export type Metric = 'cosine' | 'euclidean';

/**
 * Per-column mean and population standard deviation (ddof 0) over the rows in `rows` (all rows when omitted), ignoring
 * non-finite values.
 */
export function columnStats(
  X: Float32Array,
  n: number,
  p: number,
  rows?: ArrayLike<number>,
): { mean: Float64Array; std: Float64Array } {
  const mean = new Float64Array(p);
  const m2 = new Float64Array(p);
  const count = new Float64Array(p);
  const m = rows ? rows.length : n;
  for (let r = 0; r < m; r++) {
    const o = (rows ? rows[r] : r) * p;
    for (let j = 0; j < p; j++) {
      const v = X[o + j];
      if (!Number.isFinite(v)) continue;
      // Welford's update, stable for features with large offsets.
      const c = ++count[j];
      const d = v - mean[j];
      mean[j] += d / c;
      m2[j] += d * (v - mean[j]);
    }
  }
  const std = new Float64Array(p);
  for (let j = 0; j < p; j++) std[j] = count[j] > 0 ? Math.sqrt(m2[j] / count[j]) : 0;
  return { mean, std };
}

/**
 * z-scores each column with the statistics of `rows` (default all rows): (x - mean) / std. Columns with zero
 * (or non-finite) std become 0, and non-finite values become 0 (the mean), so every later metric sees finite data.
 */
export function standardize(X: Float32Array, n: number, p: number, rows?: ArrayLike<number>): Float32Array {
  const { mean, std } = columnStats(X, n, p, rows);
  const out = new Float32Array(n * p);
  for (let i = 0; i < n; i++) {
    const o = i * p;
    for (let j = 0; j < p; j++) {
      const s = std[j];
      const v = (X[o + j] - mean[j]) / s;
      out[o + j] = s > 1e-12 && Number.isFinite(v) ? v : 0;
    }
  }
  return out;
}

/** Rows scaled to unit L2 norm (zero rows stay zero). */
export function normalizeRows(X: Float32Array, n: number, p: number): Float32Array {
  const out = new Float32Array(n * p);
  for (let i = 0; i < n; i++) {
    const o = i * p;
    let s = 0;
    for (let j = 0; j < p; j++) s += X[o + j] * X[o + j];
    const inv = s > 0 ? 1 / Math.sqrt(s) : 0;
    for (let j = 0; j < p; j++) out[o + j] = X[o + j] * inv;
  }
  return out;
}

/** The rows at `indices`, as a new row-major matrix. */
export function takeRows(X: Float32Array, p: number, indices: ArrayLike<number>): Float32Array {
  const out = new Float32Array(indices.length * p);
  for (let r = 0; r < indices.length; r++) out.set(X.subarray(indices[r] * p, (indices[r] + 1) * p), r * p);
  return out;
}

function dot(A: Float32Array, a: number, B: Float32Array, b: number, p: number): number {
  let s = 0;
  for (let j = 0; j < p; j++) s += A[a + j] * B[b + j];
  return s;
}

/**
 * Distance between rows: cosine distance 1 - x.y/(|x||y|) (sklearn's `cosine`; 1 when either row is zero), or
 * Euclidean distance.
 */
export function rowDistance(A: Float32Array, a: number, B: Float32Array, b: number, p: number, metric: Metric): number {
  if (metric === 'euclidean') {
    let s = 0;
    for (let j = 0; j < p; j++) {
      const d = A[a * p + j] - B[b * p + j];
      s += d * d;
    }
    return Math.sqrt(s);
  }
  let xy = 0;
  let xx = 0;
  let yy = 0;
  for (let j = 0; j < p; j++) {
    const x = A[a * p + j];
    const y = B[b * p + j];
    xy += x * y;
    xx += x * x;
    yy += y * y;
  }
  return xx > 0 && yy > 0 ? 1 - xy / Math.sqrt(xx * yy) : 1;
}

export interface Neighbours {
  k: number;
  /** nq x k reference row indices, nearest first. */
  indices: Int32Array;
  /** nq x k distances (cosine distance or Euclidean), ascending. */
  distances: Float64Array;
}

/**
 * Exact k nearest reference rows of each query row (brute force, O(nq*nr*p) time, O(nr) memory per query).
 * With `excludeSelf` (query and reference are the same matrix), a row is never its own neighbour. Ties in
 * distance keep the lower reference index first.
 */
export function nearestNeighbours(
  query: Float32Array,
  nq: number,
  ref: Float32Array,
  nr: number,
  p: number,
  k: number,
  metric: Metric,
  excludeSelf = false,
): Neighbours {
  const available = nr - (excludeSelf ? 1 : 0);
  if (k > available) throw new Error(`nearestNeighbours: k=${k} but only ${available} reference rows`);
  const indices = new Int32Array(nq * k);
  const distances = new Float64Array(nq * k);
  const refNorm = new Float64Array(nr);
  for (let r = 0; r < nr; r++) refNorm[r] = Math.sqrt(dot(ref, r * p, ref, r * p, p));
  const bestD = new Float64Array(k);
  const bestI = new Int32Array(k);
  for (let q = 0; q < nq; q++) {
    const qo = q * p;
    const qn = Math.sqrt(dot(query, qo, query, qo, p));
    let filled = 0;
    for (let r = 0; r < nr; r++) {
      if (excludeSelf && r === q) continue;
      let d: number;
      if (metric === 'cosine') {
        const denom = qn * refNorm[r];
        d = denom > 0 ? 1 - dot(query, qo, ref, r * p, p) / denom : 1;
      } else {
        let s = 0;
        const ro = r * p;
        for (let j = 0; j < p; j++) {
          const t = query[qo + j] - ref[ro + j];
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

export interface Pca {
  /** n x k scores (projections of the centred rows). */
  scores: Float32Array;
  /** k x p principal axes, unit norm, sign fixed so each axis's largest-magnitude loading is positive. */
  components: Float64Array;
  /** Variance of the scores along each axis (ddof 1, as sklearn's explained_variance_). */
  explainedVariance: Float64Array;
  k: number;
}

function orthonormalizeColumns(Y: Float64Array, rows: number, cols: number): void {
  // Modified Gram-Schmidt on the columns of a row-major rows x cols matrix; a dependent column becomes zero.
  for (let c = 0; c < cols; c++) {
    for (let prev = 0; prev < c; prev++) {
      let s = 0;
      for (let i = 0; i < rows; i++) s += Y[i * cols + c] * Y[i * cols + prev];
      for (let i = 0; i < rows; i++) Y[i * cols + c] -= s * Y[i * cols + prev];
    }
    let norm = 0;
    for (let i = 0; i < rows; i++) norm += Y[i * cols + c] ** 2;
    norm = Math.sqrt(norm);
    const inv = norm > 1e-12 ? 1 / norm : 0;
    for (let i = 0; i < rows; i++) Y[i * cols + c] *= inv;
  }
}

/**
 * Principal component analysis of the rows of X (centred by column means), the top `k` components, by
 * randomized subspace iteration with `iterations` power steps and 10 extra dimensions (Halko et al. 2011,
 * algorithm 4.4), then an exact eigendecomposition of the small projected problem; exact when p <= k + 10.
 * Deterministic for a given seed.
 */
export function pca(X: Float32Array, n: number, p: number, k: number, seed = 0, iterations = 6): Pca {
  k = Math.max(1, Math.min(k, p, n));
  const l = Math.min(k + 10, p, n);
  const { mean } = columnStats(X, n, p);
  const Xc = new Float32Array(n * p);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < p; j++) Xc[i * p + j] = (Number.isFinite(X[i * p + j]) ? X[i * p + j] : mean[j]) - mean[j];
  // Q spans the range of Xc^T (p x l): start from a Gaussian sketch and power-iterate.
  const rng = rngFor(seed, 'pca');
  const Z = new Float64Array(p * l);
  for (let t = 0; t < Z.length; t += 2) {
    const u = 1 - rng.next();
    const r = Math.sqrt(-2 * Math.log(u));
    const a = 2 * Math.PI * rng.next();
    Z[t] = r * Math.cos(a);
    if (t + 1 < Z.length) Z[t + 1] = r * Math.sin(a);
  }
  const Y = new Float64Array(n * l);
  const mulXZ = () => {
    Y.fill(0);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < p; j++) {
        const x = Xc[i * p + j];
        if (x === 0) continue;
        for (let c = 0; c < l; c++) Y[i * l + c] += x * Z[j * l + c];
      }
    }
  };
  const mulXtY = () => {
    Z.fill(0);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < p; j++) {
        const x = Xc[i * p + j];
        if (x === 0) continue;
        for (let c = 0; c < l; c++) Z[j * l + c] += x * Y[i * l + c];
      }
    }
  };
  orthonormalizeColumns(Z, p, l);
  for (let t = 0; t < iterations; t++) {
    mulXZ();
    orthonormalizeColumns(Y, n, l);
    mulXtY();
    orthonormalizeColumns(Z, p, l);
  }
  // Project: B = Xc Z (n x l); eigendecompose B^T B (l x l) = V S^2 V^T; axes = Z V.
  mulXZ();
  const BtB = new Matrix(l, l);
  for (let a = 0; a < l; a++) {
    for (let b = a; b < l; b++) {
      let s = 0;
      for (let i = 0; i < n; i++) s += Y[i * l + a] * Y[i * l + b];
      BtB.set(a, b, s);
      BtB.set(b, a, s);
    }
  }
  const eig = new EigenvalueDecomposition(BtB, { assumeSymmetric: true });
  const values = eig.realEigenvalues;
  const vectors = eig.eigenvectorMatrix;
  const order = values
    .map((_, i) => i)
    .sort((a, b) => values[b] - values[a])
    .slice(0, k);
  const components = new Float64Array(k * p);
  const explainedVariance = new Float64Array(k);
  order.forEach((e, c) => {
    explainedVariance[c] = Math.max(0, values[e]) / Math.max(1, n - 1);
    let maxAbs = 0;
    let sign = 1;
    for (let j = 0; j < p; j++) {
      let s = 0;
      for (let a = 0; a < l; a++) s += Z[j * l + a] * vectors.get(a, e);
      components[c * p + j] = s;
      if (Math.abs(s) > maxAbs + 1e-12) {
        maxAbs = Math.abs(s);
        sign = s < 0 ? -1 : 1;
      }
    }
    let norm = 0;
    for (let j = 0; j < p; j++) norm += components[c * p + j] ** 2;
    const scale = norm > 0 ? sign / Math.sqrt(norm) : 0;
    for (let j = 0; j < p; j++) components[c * p + j] *= scale;
  });
  const scores = new Float32Array(n * k);
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < k; c++) {
      let s = 0;
      for (let j = 0; j < p; j++) s += Xc[i * p + j] * components[c * p + j];
      scores[i * k + c] = s;
    }
  }
  return { scores, components, explainedVariance, k };
}
