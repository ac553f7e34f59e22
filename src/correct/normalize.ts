/**
 * Normalization as pycytominer's `normalize` defines it — standardize (scikit-learn StandardScaler), robust
 * (pycytominer RobustMAD: (x - median) / (1.4826·MAD + ε), ε = 1e-18) and spherize (see spherize.ts) — fitted
 * on a chosen subset of rows (all, or the negative controls) separately in each group (plate, experiment, or
 * the whole table) and applied to every row of that group.
 *
 * Missing values: standardize and robust skip NaN when fitting and keep it when applying (as StandardScaler
 * and RobustMAD do); spherize needs complete rows and throws naming the first missing value. Infinite values
 * are always an error.
 */
import { columnStats, medianMad, scalerScale } from '../numerics/index.js';
import type { ProfileTable } from '../store/profiles.js';
import { applyDiagonal, applyLinear } from './affine.js';
import { assertFinite, fitRows, groupRows, type FitOn, type GroupBy, type RowGroups } from './groups.js';
import { fitSpherize, SPHERIZE_EPSILON, spherizeFeatureNames, type SpherizeMethod } from './spherize.js';
import { withFeatures } from './table.js';

export type NormalizeMethod = 'standardize' | 'robust' | 'spherize';
export const NORMALIZE_METHODS: readonly NormalizeMethod[] = ['standardize', 'robust', 'spherize'];
/** pycytominer RobustMAD's default ε, added to the scaled MAD. */
export const ROBUST_EPSILON = 1e-18;

export interface NormalizeOptions {
  method: NormalizeMethod;
  /** Sphering variant (method 'spherize'); pycytominer's default ZCA. */
  spherize?: SpherizeMethod;
  /** ε: 1e-18 for robust, 1e-6 for spherize (pycytominer's defaults). */
  epsilon?: number;
  /** Rows each group's transform is estimated on. */
  fitOn: FitOn;
  /** Groups fitted separately. */
  by: GroupBy;
}

/** Normalizes every feature; returns a new table with the same metadata (PCA sphering renames features PC_1..). */
export function normalizeProfiles(table: ProfileTable, options: NormalizeOptions): ProfileTable {
  const purpose = `normalize (${options.method}, by ${options.by}, fit on ${options.fitOn})`;
  const groups = groupRows(table, options.by);
  if (options.method === 'spherize') {
    const method = options.spherize ?? 'ZCA';
    assertFinite(table, purpose);
    const fit = fitRows(table, groups, options.fitOn, 2, purpose);
    const mapOf = (g: number) =>
      fitSpherize(
        table.columns,
        table.features,
        fit[g],
        method,
        options.epsilon ?? SPHERIZE_EPSILON,
        `${purpose}, group "${groups.names[g]}"`,
      );
    return withFeatures(
      table,
      spherizeFeatureNames(method, table.features),
      applyLinear(table.columns, groups.members, table.columns.length, mapOf),
    );
  }
  assertFinite(table, purpose, true);
  const fit = fitRows(table, groups, options.fitOn, 2, purpose);
  const epsilon = options.method === 'robust' ? (options.epsilon ?? ROBUST_EPSILON) : 0;
  const estimate = options.method === 'robust' ? robustEstimator(fit) : standardEstimator;
  return withFeatures(
    table,
    [...table.features],
    applyDiagonal(table.columns, groups.ids, diagonalFit(table, groups, fit, estimate, epsilon, purpose)),
  );
}

/** A feature's location and scale in a group's fit rows, and the number of non-missing values used. */
interface LocationScale {
  center: number;
  scale: number;
  count: number;
}

type Estimator = (column: Float32Array, rows: Int32Array) => LocationScale;

/** StandardScaler: mean and population standard deviation, NaN skipped, scale 1 for a constant feature. */
const standardEstimator: Estimator = (column, rows) => {
  const stats = columnStats([column], { rows });
  return { center: stats.mean[0], scale: scalerScale(stats)[0], count: stats.count[0] };
};

/** RobustMAD: median and 1.4826·MAD, NaN skipped (one scratch buffer for every feature and group). */
function robustEstimator(fit: Int32Array[]): Estimator {
  const scratch = new Float64Array(Math.max(...fit.map((rows) => rows.length)));
  return (column, rows) => {
    const { median, mad, count } = medianMad(column, rows, scratch);
    return { center: median, scale: mad, count };
  };
}

/** Centre and 1/(scale + ε) of every (group, feature); a feature with no values in a group's fit rows is an error. */
function diagonalFit(
  table: ProfileTable,
  groups: RowGroups,
  fit: Int32Array[],
  estimate: Estimator,
  epsilon: number,
  purpose: string,
) {
  const p = table.columns.length;
  const center = new Float64Array(groups.names.length * p);
  const factor = new Float64Array(groups.names.length * p);
  fit.forEach((rows, g) => {
    table.columns.forEach((column, j) => {
      const { center: c, scale, count } = estimate(column, rows);
      if (count === 0)
        throw new Error(
          `${purpose}: feature "${table.features[j]}" is missing in every fit row of group "${groups.names[g]}"`,
        );
      center[g * p + j] = c;
      factor[g * p + j] = 1 / (scale + epsilon);
    });
  });
  return { center, factor };
}
