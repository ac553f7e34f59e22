/**
 * Which rows a correction is fitted on and which rows it is applied to: groups (plate, experiment, whole table)
 * and the fit subset inside each group (all rows, or the negative controls). Plates are keyed by experiment and
 * plate together, because RxRx1 plate numbers (1..4) repeat in every experiment.
 */
import { META, type MetadataValue, type ProfileTable } from '../store/profiles.js';
import type { FitOn } from './fitOn.js';

export { FIT_ON, type FitOn } from './fitOn.js';

export type GroupBy = 'plate' | 'experiment' | 'all';
const FIT_WELL_TYPES: Record<Exclude<FitOn, 'all'>, readonly string[]> = {
  negative: ['negative_control'],
  controls: ['negative_control', 'positive_control'],
};

export const NEGATIVE_CONTROL = 'negative_control';

/** The batches a correction removes: experiments, or plates within experiments. */
export type BatchBy = 'experiment' | 'plate';

export interface BatchOptions {
  batch: BatchBy;
  /** Rows the correction is fitted on: the negative controls (Metadata_well_type) or all rows. */
  controls: FitOn;
}

export interface RowGroups {
  /** Group names: `{experiment}_{plate}` for plates, the experiment name, or "all". */
  names: string[];
  /** Row indices of each group, ascending. */
  members: Int32Array[];
  /** Group index of each row. */
  ids: Int32Array;
}

/** A row named for error messages: its index and, when the table has one, its site or well id. */
function rowLabel(table: ProfileTable, row: number): string {
  const id = table.metadata[META.siteId]?.[row] ?? table.metadata[META.wellId]?.[row];
  return id === null || id === undefined ? `row ${row}` : `row ${row} (${id})`;
}

function keyColumn(table: ProfileTable, column: string, purpose: string) {
  const values = table.metadata[column];
  if (!values) throw new Error(`${purpose} needs metadata column ${column}, which the table lacks`);
  const missing = values.findIndex((v) => v === null || v === '');
  if (missing >= 0) throw new Error(`${purpose}: ${rowLabel(table, missing)} has no ${column}`);
  return values;
}

/** Splits the rows by plate, experiment or not at all; throws naming the first row that lacks a key. */
export function groupRows(table: ProfileTable, by: GroupBy): RowGroups {
  if (by === 'all')
    return {
      names: ['all'],
      members: [Int32Array.from({ length: table.rows }, (_, i) => i)],
      ids: new Int32Array(table.rows),
    };
  const experiments = keyColumn(table, META.experiment, `grouping by ${by}`);
  const plates = by === 'plate' ? keyColumn(table, META.plate, 'grouping by plate') : null;
  // Group id per row through experiment -> plate lookups (no per-row key strings: tables run to 10⁶ rows).
  const lookup = new Map<MetadataValue, Map<MetadataValue, number>>();
  const names: string[] = [];
  const ids = new Int32Array(table.rows);
  for (let i = 0; i < table.rows; i++) {
    let inner = lookup.get(experiments[i]);
    if (!inner) {
      inner = new Map();
      lookup.set(experiments[i], inner);
    }
    const plate = plates ? plates[i] : null;
    let id = inner.get(plate);
    if (id === undefined) {
      id = names.length;
      inner.set(plate, id);
      names.push(plates ? `${experiments[i]}_${plate}` : String(experiments[i]));
    }
    ids[i] = id;
  }
  const counts = new Int32Array(names.length);
  for (let i = 0; i < ids.length; i++) counts[ids[i]]++;
  const members = Array.from(counts, (count) => new Int32Array(count));
  counts.fill(0);
  for (let i = 0; i < ids.length; i++) members[ids[i]][counts[ids[i]]++] = i;
  return { names, members, ids };
}

/**
 * The fit subset of each group. `minRows` is what the estimator needs (e.g. 2 for a standard deviation);
 * a group with fewer fit rows is an error that names the group and says what to change.
 */
export function fitRows(
  table: ProfileTable,
  groups: RowGroups,
  fitOn: FitOn,
  minRows: number,
  purpose: string,
): Int32Array[] {
  let subsets = groups.members;
  if (fitOn !== 'all') {
    const wellType = table.metadata[META.wellType];
    if (!wellType)
      throw new Error(
        `${purpose}: fitting on ${fitOn} controls needs metadata column ${META.wellType}, which the table lacks`,
      );
    const wanted = FIT_WELL_TYPES[fitOn];
    subsets = groups.members.map((rows) => rows.filter((i) => wanted.includes(wellType[i] as string)));
  }
  subsets.forEach((rows, g) => {
    if (rows.length < minRows) {
      const what = fitOn === 'all' ? 'rows' : `${FIT_WELL_TYPES[fitOn].join('/')} rows`;
      throw new Error(
        `${purpose}: group "${groups.names[g]}" has ${rows.length} ${what}, needs at least ${minRows}` +
          (fitOn === 'all' ? '' : ' (fit on all controls or all rows, or use larger groups such as experiments)'),
      );
    }
  });
  return subsets;
}

/** The union of row subsets, ascending (e.g. the controls of every batch). */
export function unionRows(subsets: Int32Array[]): Int32Array {
  const out = new Int32Array(subsets.reduce((sum, rows) => sum + rows.length, 0));
  let at = 0;
  for (const rows of subsets) {
    out.set(rows, at);
    at += rows.length;
  }
  return out.sort();
}

/**
 * Throws on the first non-finite feature value, naming the column and row. `allowNaN` lets NaN through
 * (methods that skip missing values when fitting and carry them through when applying); infinities never pass.
 */
export function assertFinite(table: ProfileTable, purpose: string, allowNaN = false): void {
  table.columns.forEach((column, j) => {
    for (let i = 0; i < column.length; i++) {
      const v = column[i];
      if (!Number.isFinite(v) && !(allowNaN && Number.isNaN(v))) {
        const refused = allowNaN ? 'infinite values' : 'missing or infinite values';
        throw new Error(
          `${purpose}: feature "${table.features[j]}" is ${v} at ${rowLabel(table, i)}; ` +
            `${refused} are not allowed (drop or impute them first)`,
        );
      }
    }
  });
}
