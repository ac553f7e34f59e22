/**
 * Sphering (whitening) as pycytominer's `Spherize` defines it (Kessy, Lewin & Strimmer 2018, "Optimal
 * whitening and decorrelation"): PCA, ZCA, PCA-cor and ZCA-cor, epsilon 1e-6. The fit rows are always centred
 * before the decomposition (pycytominer's `center`, on by default; an SVD of uncentred data does not whiten),
 * so the fitted subset comes out with identity covariance (up to epsilon).
 *
 * With σᵢ the singular values of the centred fit matrix (n rows) and V its right singular vectors,
 * pycytominer's whitening matrix is W = V·diag(√(n-1) / (σᵢ + ε)); since σᵢ = √((n-1)λᵢ) for the
 * eigenvalues λᵢ of the sample covariance, it is computed here from the covariance (accumulated in chunks)
 * rather than from an SVD of the n x p data. ZCA rotates back: W·Vᵀ. The -cor variants sphere the
 * correlation matrix, i.e. standardize first (population standard deviation, as StandardScaler).
 */
import {
  columnStats,
  covariance,
  matrix,
  RANK_TOLERANCE,
  spectralFunction,
  symmetricEigen,
} from '../numerics/index.js';
import type { LinearMap } from './affine.js';
import { componentNames } from './pca.js';

export type SpherizeMethod = 'PCA' | 'ZCA' | 'PCA-cor' | 'ZCA-cor';
export const SPHERIZE_METHODS: readonly SpherizeMethod[] = ['PCA', 'ZCA', 'PCA-cor', 'ZCA-cor'];
/** pycytominer's default fudge factor, added to the singular values. */
export const SPHERIZE_EPSILON = 1e-6;

/** Output names: PCA variants produce principal components, ZCA variants stay in the feature space. */
export function spherizeFeatureNames(method: SpherizeMethod, features: string[]): string[] {
  return method.startsWith('PCA') ? componentNames(features.length) : [...features];
}

/**
 * Fits the sphering map on `rows`; throws when the fit rows cannot determine it (too few, not full rank), unless
 * `lowRank`: then, as pycytominer does when n <= d, the singular values beyond the rank r of the centred fit rows
 * take the value of the r-th (so the unseen directions are scaled like the least varying seen one).
 */
export function fitSpherize(
  columns: Float32Array[],
  features: string[],
  rows: Int32Array,
  method: SpherizeMethod,
  epsilon: number,
  purpose: string,
  lowRank = false,
): LinearMap {
  const p = columns.length;
  const n = rows.length;
  if (n < 2) throw new Error(`${purpose}: sphering needs at least 2 fit rows, got ${n}`);
  if (n - 1 < p && !lowRank) {
    throw new Error(
      `${purpose}: sphering ${p} features needs more than ${p} fit rows, got ${n} ` +
        '(the covariance would not be full rank; select fewer features or fit on more rows)',
    );
  }
  const { mean } = columnStats(columns, { rows });
  const cov = covariance(columns, rows, mean).data;
  // -cor: the same construction on standardized features, i.e. on D⁻¹·C·D⁻¹ with D the population std.
  const std = new Float64Array(p).fill(1);
  if (method.endsWith('-cor')) {
    for (let j = 0; j < p; j++) {
      std[j] = Math.sqrt((cov[j * p + j] * (n - 1)) / n);
      if (!(std[j] > 0))
        throw new Error(
          `${purpose}: feature "${features[j]}" has zero variance in the fit rows; ` +
            `${method} needs it removed (variance_threshold)`,
        );
    }
    for (let i = 0; i < p; i++) for (let j = 0; j < p; j++) cov[i * p + j] /= std[i] * std[j];
  }
  const eigen = symmetricEigen(matrix(cov, p, p));
  const largest = eigen.values[0];
  if (lowRank) {
    const beyond = eigen.values.findIndex((v) => !(v > largest * RANK_TOLERANCE));
    const rank = beyond === -1 ? p : Math.max(1, beyond);
    for (let i = rank; i < p; i++) eigen.values[i] = eigen.values[rank - 1];
  }
  const smallest = eigen.values[p - 1];
  if (!(smallest > largest * RANK_TOLERANCE)) {
    throw new Error(
      `${purpose}: the fit rows are not full rank ` +
        `(covariance eigenvalues ${largest.toExponential(3)} .. ${smallest.toExponential(3)}); ` +
        'remove linearly dependent features (correlation_threshold), ' +
        'or standardize first / use a -cor method if features differ widely in scale',
    );
  }
  const factor = (value: number) => Math.sqrt(n - 1) / (Math.sqrt((n - 1) * value) + epsilon);
  let matrixT: Float64Array;
  if (method.startsWith('PCA')) {
    matrixT = new Float64Array(p * p);
    const vectors = eigen.vectors.data;
    for (let i = 0; i < p; i++) {
      const f = factor(eigen.values[i]);
      for (let j = 0; j < p; j++) matrixT[i * p + j] = (f * vectors[i * p + j]) / std[j];
    }
  } else {
    // ZCA: V·diag(f)·Vᵀ is symmetric, so it is its own transpose; the column scaling applies D⁻¹ on the input
    // side.
    matrixT = spectralFunction(eigen, factor).data;
    for (let i = 0; i < p; i++) for (let j = 0; j < p; j++) matrixT[i * p + j] /= std[j];
  }
  return { center: mean, matrixT: matrix(matrixT, p, p) };
}
