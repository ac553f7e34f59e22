/**
 * JUMP-CP's production profiling recipe as one correction (broadinstitute/jump-profiling-recipe, the pipeline
 * `profiles_wellpos_cc_var_mad_outlier_featselect_sphering_harmony` of its Snakefile; Arevalo et al. 2024 for the
 * choice of Harmony), step by step on the well table:
 *   wellpos    subtract each well position's mean over all plates (wellPosition.ts, `subtract_well_mean`);
 *   cc         regress the cell count out of every feature (cellCount.ts, `regress_out_cell_counts`), when the
 *              table has a cell-count feature (an embedding has none: the step is skipped);
 *   var        drop features whose median absolute deviation is 0, or whose |MAD / median| is at most 1e-3, in any
 *              batch (stats.py `select_variant_features`; MAD unscaled, stats on the fit rows);
 *   mad        per batch, (x - median) / MAD on the fit rows (normalize.py `mad`, unscaled MAD, no ε);
 *   outlier    drop features whose 99th percentile of |x| exceeds 100, clip the rest to ±100 (clean.py);
 *   featselect variance_threshold, correlation_threshold (0.9) and drop_na_columns, pycytominer's (select.ts);
 *   sphering   ZCA-cor fitted on the fit rows of the whole table (sphering.py; pycytominer's Spherize, including its
 *              extension to fewer fit rows than features), ε = 0.1·√(n - 1): each direction of the fit rows'
 *              correlation scaled by 1/(√λ + 0.1) (the recipe picks ε among 25 values in 1e-5..1e3 by mAP; here it
 *              is fixed, scaled to the fit rows, so that no label is needed);
 *   harmony    harmonypy on the sphered features with the batch as key, 300 clusters (capped at N/30, harmonypy's
 *              own default size) and 20 iterations (harmony.py).
 * The recipe's batch is the plate for MAD and JUMP's `Metadata_Batch` for Harmony; here both are `batch`, and the
 * fit rows are `controls` (JUMP fits MAD on all rows in its CRISPR configuration and sphering on negative
 * controls). Feature names are kept (ZCA and Harmony on features keep their orientation).
 */
import { fromColumns, matrix, medianMad, MAD_NORMAL_SCALE, quantile, toColumns } from '../numerics/index.js';
import type { ProfileTable } from '../store/profiles.js';
import { applyDiagonal, applyLinear } from './affine.js';
import { cellCountFeature, regressCellCount } from './cellCount.js';
import { assertFinite, type BatchOptions, fitRows, groupRows, unionRows } from './groups.js';
import { harmonize } from './harmony.js';
import { selectFeatures } from './select.js';
import { fitSpherize } from './spherize.js';
import { withFeatures } from './table.js';
import { wellPositionProfiles } from './wellPosition.js';

/** The recipe's outlier threshold on |x| (99th percentile to drop a feature, and the clipping bound). */
export const JUMP_OUTLIER_THRESHOLD = 100;
/** The recipe's Harmony settings (jump-profiling-recipe correct/harmony.py). */
export const JUMP_HARMONY = { clusters: 300, maxIterations: 20 } as const;

export function jumpProfiles(table: ProfileTable, options: BatchOptions): ProfileTable {
  const purpose = `correct (jump, batch ${options.batch}, controls ${options.controls})`;
  return harmonyOnFeatures(jumpPreprocess(table, options), options, purpose);
}

/** The recipe up to and including sphering (everything but Harmony). */
export function jumpPreprocess(table: ProfileTable, options: BatchOptions): ProfileTable {
  const purpose = `correct (jump, batch ${options.batch}, controls ${options.controls})`;
  let current = wellPositionProfiles(table, 'well_mean');
  if (cellCountFeature(current)) current = regressCellCount(current);
  current = madNormalize(current, options, purpose);
  current = clipOutliers(current);
  current = selectFeatures(current, {
    operations: ['variance_threshold', 'correlation_threshold', 'drop_na_columns'],
    // The recipe drops every feature with a missing value (feature_selection.py).
    naCutoff: 0,
  }).table;
  assertFinite(current, purpose);
  return sphere(current, options, purpose);
}

/** var + mad: features variable in every batch's fit rows, each robustly standardized per batch. */
function madNormalize(table: ProfileTable, options: BatchOptions, purpose: string): ProfileTable {
  const groups = groupRows(table, options.batch);
  const fit = fitRows(table, groups, options.controls, 2, purpose);
  const G = groups.names.length;
  const p = table.columns.length;
  const scratch = new Float64Array(Math.max(...fit.map((rows) => rows.length)));
  const center = new Float64Array(G * p);
  const factor = new Float64Array(G * p);
  const variant = table.columns.map((column, j) =>
    fit.every((rows, g) => {
      const { median, mad } = medianMad(column, rows, scratch);
      const unscaled = mad / MAD_NORMAL_SCALE;
      center[g * p + j] = median;
      factor[g * p + j] = 1 / unscaled;
      const coefficient = Math.abs(unscaled / median);
      return unscaled !== 0 && Number.isFinite(unscaled) && Number.isFinite(coefficient) && coefficient > 1e-3;
    }),
  );
  const normalized = applyDiagonal(table.columns, groups.ids, { center, factor });
  const kept = variant.flatMap((ok, j) => (ok ? [j] : []));
  if (kept.length === 0) throw new Error(`${purpose}: no feature varies in every batch's fit rows`);
  return withFeatures(
    table,
    kept.map((j) => table.features[j]),
    kept.map((j) => normalized[j]),
  );
}

/** outlier: drop features with 99th percentile of |x| above the threshold, clip the others. */
function clipOutliers(table: ProfileTable): ProfileTable {
  const t = JUMP_OUTLIER_THRESHOLD;
  const kept = table.columns.flatMap((column, j) =>
    quantile(Float64Array.from(column, Math.abs), 0.99) > t ? [] : [j],
  );
  return withFeatures(
    table,
    kept.map((j) => table.features[j]),
    kept.map((j) => Float32Array.from(table.columns[j], (v) => Math.max(-t, Math.min(t, v)))),
  );
}

/** sphering: ZCA-cor fitted on the fit rows of every batch together. */
function sphere(table: ProfileTable, options: BatchOptions, purpose: string): ProfileTable {
  const all = groupRows(table, 'all');
  const batches = groupRows(table, options.batch);
  const rows = unionRows(fitRows(table, batches, options.controls, 2, purpose));
  const epsilon = 0.1 * Math.sqrt(rows.length - 1);
  const map = fitSpherize(table.columns, table.features, rows, 'ZCA-cor', epsilon, `${purpose}, sphering`, true);
  return withFeatures(
    table,
    [...table.features],
    applyLinear(table.columns, all.members, table.columns.length, () => map),
  );
}

/** harmony: harmonypy on the features themselves (not principal components), the batch as key. */
function harmonyOnFeatures(table: ProfileTable, options: BatchOptions, purpose: string): ProfileTable {
  const batches = groupRows(table, options.batch);
  if (batches.names.length < 2) throw new Error(`${purpose}: Harmony needs at least 2 batches`);
  const X = fromColumns(table.columns);
  const Z = matrix(Float64Array.from(X.data), X.rows, X.cols);
  const clusters = Math.max(2, Math.min(JUMP_HARMONY.clusters, Math.round(table.rows / 30)));
  const { embedding } = harmonize(Z, batches.ids, batches.names.length, {
    clusters,
    maxIterations: JUMP_HARMONY.maxIterations,
  });
  return withFeatures(table, [...table.features], toColumns(embedding));
}
