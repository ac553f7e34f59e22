/**
 * PCA of standardized features (scikit-learn StandardScaler then PCA, full-covariance solver), fitted on a row
 * subset: the first step of TVN (fitted on controls) and the embedding Harmony corrects (fitted on all rows).
 * The covariance is accumulated in chunks over the profile table's columns (numerics' covariance), then
 * decomposed by numerics' exact PCA solver, so components are signed as scikit-learn's svd_flip.
 */
import { columnStats, covariance, covariancePca, type Matrix64, matrix, scalerScale } from '../numerics/index.js';
import type { LinearMap } from './affine.js';

export interface StandardizedPca {
  /** Mean and scale the features are standardized with (StandardScaler: population std, 1 for constants). */
  mean: Float64Array;
  scale: Float64Array;
  /** Variances of the kept components (ddof 1), descending. */
  variances: Float64Array;
  /** Kept components as the rows of a k x p matrix, in standardized-feature space. */
  components: Matrix64;
}

/**
 * Fits on `rows` (finite values) and keeps at most `maxComponents`, and only components with non-negligible
 * variance: at most rows - 1 of them, since more would have zero variance in the fit rows.
 */
export function fitStandardizedPca(columns: Float32Array[], rows: Int32Array, maxComponents: number): StandardizedPca {
  const p = columns.length;
  const stats = columnStats(columns, { rows });
  const scale = scalerScale(stats);
  const cov = covariance(columns, rows, stats.mean);
  const c = cov.data;
  for (let i = 0; i < p; i++) for (let j = 0; j < p; j++) c[i * p + j] /= scale[i] * scale[j];
  const { variances, components } = covariancePca(cov, rows.length, maxComponents);
  return { mean: stats.mean, scale, variances, components };
}

/** The map from raw features to component scores: t = ((x - mean) / scale)·Vᵀ. */
export function pcaScores(pca: StandardizedPca): LinearMap {
  const p = pca.mean.length;
  const k = pca.variances.length;
  const matrixT = new Float64Array(k * p);
  const v = pca.components.data;
  for (let i = 0; i < k; i++) for (let j = 0; j < p; j++) matrixT[i * p + j] = v[i * p + j] / pca.scale[j];
  return { center: pca.mean, matrixT: matrix(matrixT, k, p) };
}

/** Names of k principal-component outputs. */
export function componentNames(k: number): string[] {
  return Array.from({ length: k }, (_, i) => `PC_${i + 1}`);
}
