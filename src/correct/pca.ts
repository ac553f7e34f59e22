/**
 * PCA of standardized features (scikit-learn StandardScaler then PCA, full-covariance solver), fitted on a row
 * subset: the first step of TVN (fitted on controls) and the embedding Harmony corrects (fitted on all rows).
 * Components are the covariance eigenvectors, signed as scikit-learn's svd_flip.
 */
import type { LinearMap } from './affine.js';
import { RANK_TOLERANCE, symmetricEigen } from './eigen.js';
import { covariance } from './moments.js';
import { standardScale } from './stats.js';

export interface StandardizedPca {
  /** Mean and scale the features are standardized with (StandardScaler: population std, 1 for constants). */
  mean: Float64Array;
  scale: Float64Array;
  /** Variances of the kept components (ddof 1), descending. */
  variances: Float64Array;
  /** Kept components as rows of a k x p row-major matrix, in standardized-feature space. */
  components: Float64Array;
}

/**
 * Fits on `rows` (finite values) and keeps at most `maxComponents`, and only components with non-negligible
 * variance: at most rows - 1 of them, since more would have zero variance in the fit rows.
 */
export function fitStandardizedPca(columns: Float32Array[], rows: Int32Array, maxComponents: number): StandardizedPca {
  const p = columns.length;
  const mean = new Float64Array(p);
  const scale = new Float64Array(p);
  columns.forEach((column, j) => {
    const { center, scale: s } = standardScale(column, rows);
    mean[j] = center;
    scale[j] = s;
  });
  const cov = covariance(columns, rows, mean);
  for (let i = 0; i < p; i++) for (let j = 0; j < p; j++) cov[i * p + j] /= scale[i] * scale[j];
  const eigen = symmetricEigen(p, cov);
  let k = Math.min(maxComponents, p, rows.length - 1);
  while (k > 0 && !(eigen.values[k - 1] > eigen.values[0] * RANK_TOLERANCE)) k--;
  return { mean, scale, variances: eigen.values.slice(0, k), components: eigen.vectors.slice(0, k * p) };
}

/** The map from raw features to component scores: t = ((x - mean) / scale)·Vᵀ. */
export function pcaScores(pca: StandardizedPca): LinearMap {
  const p = pca.mean.length;
  const k = pca.variances.length;
  const matrixT = new Float64Array(k * p);
  for (let i = 0; i < k; i++) for (let j = 0; j < p; j++) matrixT[i * p + j] = pca.components[i * p + j] / pca.scale[j];
  return { center: pca.mean, matrixT };
}

/** Names of k principal-component outputs. */
export function componentNames(k: number): string[] {
  return Array.from({ length: k }, (_, i) => `PC_${i + 1}`);
}
