/**
 * Feature selection as pycytominer's `feature_select` operations define it, each a separate step that returns
 * the feature names it keeps, computed on a chosen row subset (pycytominer's `samples`):
 * - variance_threshold (pycytominer ≤ 1.x, after caret::nearZeroVar): drop a feature when the count of its
 *   second most common value over the count of its most common one is below freq_cut (0.05) — or it has a
 *   single value — or when its number of distinct values over the number of rows is below unique_cut (0.01);
 * - correlation_threshold: Pearson correlations (pairwise-complete, as pandas), and for every pair whose
 *   correlation exceeds the threshold (0.9; signed, as pycytominer compares, so strong negative correlations
 *   are kept) drop the member with the larger total absolute correlation to all features — all pairs judged
 *   at once, not greedily;
 * - drop_na_columns: drop features missing (NaN) in more than na_cutoff (0.05) of the rows;
 * - drop_outliers: drop features whose maximum or minimum exceeds outlier_cutoff (500) in absolute value;
 * - blocklist: drop the listed feature names that the table has.
 * Operations run in the order given, each on the features the previous ones kept, as pycytominer does.
 */
import type { ProfileTable } from '../store/profiles.js';
import { assertFinite, fitRows, groupRows, type FitOn } from './groups.js';
import { columnStats, covariance, pearson } from '../numerics/index.js';
import { withFeatures } from './table.js';

export type SelectOperation =
  | 'variance_threshold'
  | 'correlation_threshold'
  | 'drop_na_columns'
  | 'drop_outliers'
  | 'blocklist';
export const SELECT_OPERATIONS: readonly SelectOperation[] = [
  'variance_threshold',
  'correlation_threshold',
  'drop_na_columns',
  'drop_outliers',
  'blocklist',
];

/** pycytominer's defaults. */
export const SELECT_DEFAULTS = {
  freqCut: 0.05,
  uniqueCut: 0.01,
  corrThreshold: 0.9,
  naCutoff: 0.05,
  outlierCutoff: 500,
} as const;

export interface SelectStepOptions {
  /** Features to consider (default: all of the table's); the others are neither kept nor dropped. */
  features?: string[];
  /** Rows the statistics are computed on (default all). */
  fitOn?: FitOn;
}

export interface SelectOptions extends Omit<SelectStepOptions, 'features'> {
  operations: SelectOperation[];
  freqCut?: number;
  uniqueCut?: number;
  corrThreshold?: number;
  naCutoff?: number;
  outlierCutoff?: number;
  /** Feature names for the blocklist operation. */
  blocklist?: string[];
}

export interface SelectResult {
  /** The input restricted to the kept features, in their original order. */
  table: ProfileTable;
  kept: string[];
  /** Features each operation dropped. */
  dropped: Partial<Record<SelectOperation, string[]>>;
}

export function selectFeatures(table: ProfileTable, options: SelectOptions): SelectResult {
  const unknown = options.operations.filter((op) => !SELECT_OPERATIONS.includes(op));
  if (unknown.length > 0)
    throw new Error(`select: unknown operation(s) ${unknown.join(', ')}; expected ${SELECT_OPERATIONS.join(', ')}`);
  let kept = [...table.features];
  const dropped: Partial<Record<SelectOperation, string[]>> = {};
  for (const operation of options.operations) {
    const step = { features: kept, fitOn: options.fitOn };
    const next =
      operation === 'variance_threshold'
        ? varianceThreshold(table, { ...step, freqCut: options.freqCut, uniqueCut: options.uniqueCut })
        : operation === 'correlation_threshold'
          ? correlationThreshold(table, { ...step, threshold: options.corrThreshold })
          : operation === 'drop_na_columns'
            ? dropNaColumns(table, { ...step, cutoff: options.naCutoff })
            : operation === 'drop_outliers'
              ? dropOutliers(table, { ...step, cutoff: options.outlierCutoff })
              : dropBlocklisted(table, { ...step, blocklist: options.blocklist });
    const nextSet = new Set(next);
    dropped[operation] = kept.filter((name) => !nextSet.has(name));
    kept = next;
  }
  const index = new Map(table.features.map((name, j) => [name, j]));
  return {
    table: withFeatures(
      table,
      [...kept],
      kept.map((name) => table.columns[index.get(name)!].slice()),
    ),
    kept,
    dropped,
  };
}

/** The candidate features' columns and the fit rows, checked. */
function prepare(table: ProfileTable, options: SelectStepOptions, purpose: string) {
  assertFinite(table, purpose, true);
  const names = options.features ?? table.features;
  const index = new Map(table.features.map((name, j) => [name, j]));
  const columns = names.map((name) => {
    const j = index.get(name);
    if (j === undefined) throw new Error(`${purpose}: the table has no feature "${name}"`);
    return table.columns[j];
  });
  const [rows] = fitRows(table, groupRows(table, 'all'), options.fitOn ?? 'all', 1, purpose);
  return { names, columns, rows };
}

export function varianceThreshold(
  table: ProfileTable,
  options: SelectStepOptions & { freqCut?: number; uniqueCut?: number } = {},
): string[] {
  const { names, columns, rows } = prepare(table, options, 'select (variance_threshold)');
  const freqCut = options.freqCut ?? SELECT_DEFAULTS.freqCut;
  const uniqueCut = options.uniqueCut ?? SELECT_DEFAULTS.uniqueCut;
  const values = new Float64Array(rows.length);
  return names.filter((_, j) => {
    let n = 0;
    for (let r = 0; r < rows.length; r++) {
      const v = columns[j][rows[r]];
      if (!Number.isNaN(v)) values[n++] = v;
    }
    const sorted = values.subarray(0, n).sort();
    // Runs of equal values in sorted order: the number of distinct values and the two largest counts.
    let distinct = 0;
    let most = 0;
    let second = 0;
    for (let start = 0; start < n; ) {
      let end = start + 1;
      while (end < n && sorted[end] === sorted[start]) end++;
      const count = end - start;
      distinct++;
      if (count > most) {
        second = most;
        most = count;
      } else if (count > second) second = count;
      start = end;
    }
    if (distinct < 2 || second / most < freqCut) return false;
    return distinct / rows.length >= uniqueCut;
  });
}

export function dropNaColumns(table: ProfileTable, options: SelectStepOptions & { cutoff?: number } = {}): string[] {
  const { names, columns, rows } = prepare(table, options, 'select (drop_na_columns)');
  const cutoff = options.cutoff ?? SELECT_DEFAULTS.naCutoff;
  return names.filter((_, j) => {
    let missing = 0;
    for (let r = 0; r < rows.length; r++) if (Number.isNaN(columns[j][rows[r]])) missing++;
    return missing / rows.length <= cutoff;
  });
}

export function dropOutliers(table: ProfileTable, options: SelectStepOptions & { cutoff?: number } = {}): string[] {
  const { names, columns, rows } = prepare(table, options, 'select (drop_outliers)');
  const cutoff = options.cutoff ?? SELECT_DEFAULTS.outlierCutoff;
  return names.filter((_, j) => {
    for (let r = 0; r < rows.length; r++) if (Math.abs(columns[j][rows[r]]) > cutoff) return false;
    return true;
  });
}

export function dropBlocklisted(
  table: ProfileTable,
  options: SelectStepOptions & { blocklist?: string[] } = {},
): string[] {
  if (!options.blocklist) throw new Error('select (blocklist): needs the list of feature names to drop');
  const blocked = new Set(options.blocklist);
  return (options.features ?? table.features).filter((name) => !blocked.has(name));
}

export function correlationThreshold(
  table: ProfileTable,
  options: SelectStepOptions & { threshold?: number } = {},
): string[] {
  const { names, columns, rows } = prepare(table, options, 'select (correlation_threshold)');
  const threshold = options.threshold ?? SELECT_DEFAULTS.corrThreshold;
  const q = names.length;
  const corr = correlationMatrix(columns, rows);
  // Rank by total absolute correlation (NaN skipped, as pandas sums), ascending; ties keep feature order.
  const total = new Float64Array(q);
  for (let i = 0; i < q; i++)
    for (let j = 0; j < q; j++) if (!Number.isNaN(corr[i * q + j])) total[i] += Math.abs(corr[i * q + j]);
  const order = Array.from({ length: q }, (_, i) => i).sort((a, b) => total[a] - total[b] || a - b);
  const rank = new Int32Array(q);
  order.forEach((feature, position) => {
    rank[feature] = position;
  });
  const excluded = new Set<number>();
  for (let i = 0; i < q; i++) {
    for (let j = 0; j < i; j++) {
      if (corr[i * q + j] > threshold) excluded.add(rank[i] > rank[j] ? i : j);
    }
  }
  return names.filter((_, j) => !excluded.has(j));
}

/**
 * Pearson correlation matrix over `rows` (q x q, NaN where undefined: a constant feature, or fewer than two
 * rows where both are present). Complete features go through the chunked covariance; pairs involving a
 * feature with missing values use the rows where both are present, as pandas' DataFrame.corr does.
 */
export function correlationMatrix(columns: Float32Array[], rows: Int32Array): Float64Array {
  const q = columns.length;
  const complete: number[] = [];
  const partial: number[] = [];
  columns.forEach((column, j) => {
    let finite = true;
    for (let r = 0; r < rows.length && finite; r++) finite = !Number.isNaN(column[rows[r]]);
    (finite ? complete : partial).push(j);
  });
  const corr = new Float64Array(q * q);
  const c = complete.length;
  const completeColumns = complete.map((j) => columns[j]);
  const cov = covariance(completeColumns, rows, columnStats(completeColumns, { rows }).mean).data;
  for (let a = 0; a < c; a++) {
    for (let b = 0; b < c; b++) {
      const denominator = Math.sqrt(cov[a * c + a] * cov[b * c + b]);
      corr[complete[a] * q + complete[b]] = denominator > 0 ? cov[a * c + b] / denominator : NaN;
    }
  }
  for (const a of partial) {
    for (let b = 0; b < q; b++) {
      const value = pearson(columns[a], columns[b], rows);
      corr[a * q + b] = value;
      corr[b * q + a] = value;
    }
  }
  return corr;
}
