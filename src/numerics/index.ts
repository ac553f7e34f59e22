/**
 * numerics/: the one implementation of the dense numerics that correct/, evaluate/ and server/ share: the
 * row-major matrix type, GEMM, symmetric eigendecomposition and matrix functions, PCA (exact and randomized),
 * order statistics, column statistics and standardization, covariance, row norms, distances, exact nearest
 * neighbours, correlation and disjoint sets. Definitions and the references they match: src/numerics/README.md.
 */
export {
  type FloatArray,
  type Matrix,
  type Matrix32,
  type Matrix64,
  matrix,
  zeros32,
  zeros64,
  fromRows,
  fromColumns,
  toColumns,
  row,
  takeRows,
  transpose,
  assertShape,
} from './matrix.js';
export { ENGINE_MIN_WORK, gemmNN, gemmNT, syrkUpper, mirrorUpper, multiply } from './gemm.js';
export { gemmThreads, setGemmThreads } from './ortGemm.js';
export { RANK_TOLERANCE, symmetricEigen, spectralFunction, spdPower, flipSign, type SymmetricEigen } from './eigen.js';
export { pca, covariancePca, type Pca, type PcaOptions, type PcaSolver, type CovariancePca } from './pca.js';
export { CHUNK_ROWS, covariance, denseMoments } from './moments.js';
export { shrunkCovariance, SHRINKAGE_METHODS, type ShrinkageMethod, type ShrunkCovariance } from './shrinkage.js';
export {
  columnStats,
  scalerScale,
  standardize,
  type ColumnStats,
  type StatsOptions,
  type StandardizeOptions,
} from './stats.js';
export {
  selectKth,
  median,
  medianInPlace,
  quantile,
  quantileSorted,
  medianMad,
  MAD_NORMAL_SCALE,
} from './quantile.js';
export {
  dot,
  rowNorms,
  normalizeRows,
  normalizeRowsInPlace,
  rowDistance,
  nearestNeighbours,
  type Metric,
  type Neighbours,
  type NeighbourOptions,
} from './distance.js';
export { pearson, spearman, rankData } from './correlation.js';
export { DisjointSets } from './disjointSets.js';
