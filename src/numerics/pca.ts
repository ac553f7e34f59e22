/**
 * Principal component analysis, one API over two solvers that share scikit-learn's sign convention (svd_flip:
 * each component's largest-magnitude loading is positive):
 * - 'exact': eigendecomposition of the sample covariance (scikit-learn PCA's 'covariance_eigh' solver), the
 *   same core `covariancePca` serves when the covariance comes from elsewhere (chunked over a profile table);
 * - 'randomized': randomized subspace iteration (Halko, Martinsson & Tropp 2011, "Finding structure with
 *   randomness", algorithm 4.4) with `powerIterations` power steps and `oversample` extra dimensions, then an
 *   exact eigendecomposition of the small projected problem; O(n·p·(k + oversample)) per pass instead of the
 *   p x p covariance, and exact when p <= k + oversample. Deterministic for a given seed.
 */
import { flipSign, RANK_TOLERANCE, symmetricEigen } from './eigen.js';
import { type Matrix, type Matrix32, type Matrix64, matrix } from './matrix.js';
import { covariance } from './moments.js';
import { columnStats } from './stats.js';
import { rngFor } from '../util/random.js';

export type PcaSolver = 'exact' | 'randomized';

export interface PcaOptions {
  /** Components to keep; at most min(rows, cols). Default all. */
  components?: number;
  /** Default 'exact'. */
  solver?: PcaSolver;
  /** Randomized solver: seed of the Gaussian sketch (default 0). */
  seed?: number;
  /** Randomized solver: power iterations (default 6). */
  powerIterations?: number;
  /** Randomized solver: extra sketch dimensions (default 10). */
  oversample?: number;
}

export interface Pca {
  /** Column means the rows were centred with (non-finite values count as the mean). */
  mean: Float64Array;
  /** k x p principal axes, unit norm, signed as svd_flip. */
  components: Matrix64;
  /** Variance of the scores along each axis (ddof 1, scikit-learn's explained_variance_), descending. */
  explainedVariance: Float64Array;
  /** n x k scores: the centred rows projected on the axes. */
  scores: Matrix32;
}

/**
 * PCA of the rows of X (centred by column means). The exact solver keeps only components with variance above
 * RANK_TOLERANCE x the largest (at most rows - 1); the randomized one keeps min(components, rows, cols).
 */
export function pca(X: Matrix, options: PcaOptions = {}): Pca {
  const { rows: n, cols: p } = X;
  const k = Math.max(1, Math.min(options.components ?? p, p, n));
  const { mean, centred } = centre(X);
  const fit =
    (options.solver ?? 'exact') === 'exact'
      ? exactAxes(centred, k)
      : randomizedAxes(centred, k, {
          seed: options.seed ?? 0,
          powerIterations: options.powerIterations ?? 6,
          oversample: options.oversample ?? 10,
        });
  return { mean, ...fit, scores: project(centred, fit.components) };
}

/** Column means (of the finite values; 0 for a column without any) and the centred float32 copy of X. */
function centre(X: Matrix): { mean: Float64Array; centred: Matrix32 } {
  const { rows: n, cols: p, data } = X;
  const mean = columnStats(X).mean.map((m) => (Number.isNaN(m) ? 0 : m));
  const out = new Float32Array(n * p);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < p; j++)
      out[i * p + j] = (Number.isFinite(data[i * p + j]) ? data[i * p + j] : mean[j]) - mean[j];
  return { mean, centred: matrix(out, n, p) };
}

export interface CovariancePca {
  /** Variances of the kept components (the covariance's eigenvalues), descending. */
  variances: Float64Array;
  /** Kept components as the rows of a k x p matrix, signed as svd_flip. */
  components: Matrix64;
}

/**
 * The exact solver's core: the top eigenvectors of a p x p sample covariance of `rows` observations, keeping
 * at most `maxComponents`, at most rows - 1 (more would have zero variance), and only components whose
 * variance exceeds RANK_TOLERANCE x the largest.
 */
export function covariancePca(cov: Matrix64, rows: number, maxComponents: number): CovariancePca {
  const p = cov.rows;
  const eigen = symmetricEigen(cov);
  let k = Math.min(maxComponents, p, rows - 1);
  while (k > 0 && !(eigen.values[k - 1] > eigen.values[0] * RANK_TOLERANCE)) k--;
  return { variances: eigen.values.slice(0, k), components: matrix(eigen.vectors.data.slice(0, k * p), k, p) };
}

function exactAxes(centred: Matrix32, k: number): Omit<Pca, 'mean' | 'scores'> {
  const all = Int32Array.from({ length: centred.rows }, (_, i) => i);
  const cov = covariance(centred, all, new Float64Array(centred.cols));
  const { variances, components } = covariancePca(cov, centred.rows, k);
  return { components, explainedVariance: variances };
}

/** Scores = centred rows · axesᵀ, float32 n x k. */
function project(centred: Matrix32, axes: Matrix64): Matrix32 {
  const { rows: n, cols: p, data } = centred;
  const k = axes.rows;
  const a = axes.data;
  const scores = new Float32Array(n * k);
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < k; c++) {
      let s = 0;
      for (let j = 0; j < p; j++) s += data[i * p + j] * a[c * p + j];
      scores[i * k + c] = s;
    }
  }
  return matrix(scores, n, k);
}

/** Modified Gram-Schmidt on the columns of a row-major rows x cols matrix; a dependent column becomes zero. */
function orthonormalizeColumns(Y: Float64Array, rows: number, cols: number): void {
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

/** A p x l matrix of standard normal draws (Box-Muller in pairs) from the 'pca' stream of `seed`. */
function gaussianSketch(p: number, l: number, seed: number): Float64Array {
  const rng = rngFor(seed, 'pca');
  const Z = new Float64Array(p * l);
  for (let t = 0; t < Z.length; t += 2) {
    const u = 1 - rng.next();
    const r = Math.sqrt(-2 * Math.log(u));
    const a = 2 * Math.PI * rng.next();
    Z[t] = r * Math.cos(a);
    if (t + 1 < Z.length) Z[t + 1] = r * Math.sin(a);
  }
  return Z;
}

/** Y (n x l) = X·Z for X n x p (float32) and Z p x l. */
function multiplyXZ(X: Matrix32, Z: Float64Array, Y: Float64Array, l: number): void {
  const { rows: n, cols: p, data } = X;
  Y.fill(0);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < p; j++) {
      const x = data[i * p + j];
      if (x === 0) continue;
      for (let c = 0; c < l; c++) Y[i * l + c] += x * Z[j * l + c];
    }
  }
}

/** Z (p x l) = Xᵀ·Y for X n x p (float32) and Y n x l. */
function multiplyXtY(X: Matrix32, Y: Float64Array, Z: Float64Array, l: number): void {
  const { rows: n, cols: p, data } = X;
  Z.fill(0);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < p; j++) {
      const x = data[i * p + j];
      if (x === 0) continue;
      for (let c = 0; c < l; c++) Z[j * l + c] += x * Y[i * l + c];
    }
  }
}

function randomizedAxes(
  centred: Matrix32,
  k: number,
  options: { seed: number; powerIterations: number; oversample: number },
): Omit<Pca, 'mean' | 'scores'> {
  const { rows: n, cols: p } = centred;
  const l = Math.min(k + options.oversample, p, n);
  // Z spans the range of Xᵀ (p x l): start from a Gaussian sketch and power-iterate.
  const Z = gaussianSketch(p, l, options.seed);
  const Y = new Float64Array(n * l);
  orthonormalizeColumns(Z, p, l);
  for (let t = 0; t < options.powerIterations; t++) {
    multiplyXZ(centred, Z, Y, l);
    orthonormalizeColumns(Y, n, l);
    multiplyXtY(centred, Y, Z, l);
    orthonormalizeColumns(Z, p, l);
  }
  // Project: B = X·Z (n x l); eigendecompose BᵀB (l x l) = V·S²·Vᵀ; axes = Z·V.
  multiplyXZ(centred, Z, Y, l);
  const BtB = new Float64Array(l * l);
  for (let a = 0; a < l; a++) {
    for (let b = a; b < l; b++) {
      let s = 0;
      for (let i = 0; i < n; i++) s += Y[i * l + a] * Y[i * l + b];
      BtB[a * l + b] = s;
      BtB[b * l + a] = s;
    }
  }
  const eigen = symmetricEigen(matrix(BtB, l, l));
  const V = eigen.vectors.data;
  const components = new Float64Array(k * p);
  const explainedVariance = new Float64Array(k);
  for (let c = 0; c < k; c++) {
    explainedVariance[c] = Math.max(0, eigen.values[c]) / Math.max(1, n - 1);
    const axis = components.subarray(c * p, (c + 1) * p);
    for (let j = 0; j < p; j++) {
      let s = 0;
      for (let a = 0; a < l; a++) s += Z[j * l + a] * V[c * l + a];
      axis[j] = s;
    }
    let norm = 0;
    for (let j = 0; j < p; j++) norm += axis[j] ** 2;
    const scale = norm > 0 ? 1 / Math.sqrt(norm) : 0;
    for (let j = 0; j < p; j++) axis[j] *= scale;
    flipSign(axis);
  }
  return { components: matrix(components, k, p), explainedVariance };
}
