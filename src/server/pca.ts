/**
 * Two-dimensional PCA projection of a profile table for the embedding view. Features are standardized
 * (z-scored with the sample standard deviation; constant and all-missing columns dropped, missing values set to
 * the column mean) so that features in different units weigh alike; the top two components come from numerics'
 * randomized solver (Halko, Martinsson & Tropp 2011), which costs O(rows x features) per pass instead of
 * forming the features x features covariance. Deterministic: fixed seed, components signed as svd_flip.
 */
import { columnStats, fromColumns, pca, standardize } from '../numerics/index.js';
import type { ProfileTable } from '../store/profiles.js';

export interface Projection {
  /** x (component 1) and y (component 2) of each row. */
  x: Float64Array;
  y: Float64Array;
  /** Fraction of the total (standardized) variance each of the two components explains. */
  explained: [number, number];
  /** Feature columns used (finite, non-constant). */
  features: number;
}

export function pca2(
  table: ProfileTable,
  options: { oversample?: number; iterations?: number; seed?: number } = {},
): Projection {
  const n = table.rows;
  const empty: Projection = { x: new Float64Array(n), y: new Float64Array(n), explained: [0, 0], features: 0 };
  if (n < 2) return empty;
  const stats = columnStats(table.columns, { ddof: 1 });
  const usable = table.columns.filter((_, j) => stats.std[j] > 1e-12);
  const p = usable.length;
  if (p === 0) return empty;
  const X = standardize(fromColumns(usable), { ddof: 1 });
  // Total variance of the standardized columns (each 1, less where values were missing and became the mean).
  const totalVariance = columnStats(X, { ddof: 1 }).variance.reduce((sum, v) => sum + v, 0);
  const fit = pca(X, {
    components: 2,
    solver: 'randomized',
    seed: options.seed ?? 12345,
    oversample: options.oversample ?? 8,
    powerIterations: options.iterations ?? 4,
  });
  const k = fit.scores.cols;
  const x = new Float64Array(n);
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    x[i] = fit.scores.data[i * k];
    y[i] = k > 1 ? fit.scores.data[i * k + 1] : 0;
  }
  const explained: [number, number] = [0, 0];
  for (let c = 0; c < k; c++) explained[c] = totalVariance > 0 ? fit.explainedVariance[c] / totalVariance : 0;
  return { x, y, explained, features: p };
}
