/**
 * Aggregation of measurements up the plate hierarchy, as CellProfiler's per-image aggregates and pycytominer's
 * aggregate: objects -> site by median and mean (sites -> wells: src/store/wells.ts). NaN values (an object where a
 * feature is undefined) are skipped; an aggregate of no values is NaN.
 * Naming: the first operation of a site aggregation keeps the object feature's name (median by default, so
 * `Nuclei_AreaShape_Area` is the site's median nucleus area); each further one is prefixed CellProfiler-style
 * (`Mean_Nuclei_AreaShape_Area`).
 */
import type { ObjectFeatures } from './measure.js';

export type AggregateOp = 'median' | 'mean';

const PREFIX: Record<AggregateOp, string> = { median: 'Median_', mean: 'Mean_' };

/** Median or mean of the non-NaN values[0..length); `scratch` (>= length) holds the copy sorted for the median. */
export function aggregateValues(
  values: ArrayLike<number>,
  length: number,
  op: AggregateOp,
  scratch: Float64Array = new Float64Array(length),
): number {
  let n = 0;
  let sum = 0;
  for (let i = 0; i < length; i++) {
    const v = values[i];
    if (Number.isNaN(v)) continue;
    scratch[n++] = v;
    sum += v;
  }
  if (n === 0) return NaN;
  if (op === 'mean') return sum / n;
  const sorted = scratch.subarray(0, n).sort();
  const mid = n >> 1;
  return n % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Feature names of a site aggregation of object features `names` (see the module comment). */
export function aggregateNames(names: readonly string[], ops: readonly AggregateOp[]): string[] {
  return ops.flatMap((op, k) => names.map((name) => (k === 0 ? name : `${PREFIX[op]}${name}`)));
}

/** One site row from per-object features: every column aggregated by each of `ops`, in aggregateNames order. */
export function aggregateObjects(
  features: ObjectFeatures,
  ops: readonly AggregateOp[] = ['median', 'mean'],
): Float64Array {
  const out = new Float64Array(ops.length * features.columns.length);
  const scratch = new Float64Array(features.count);
  ops.forEach((op, k) => {
    features.columns.forEach((column, j) => {
      out[k * features.columns.length + j] = aggregateValues(column, features.count, op, scratch);
    });
  });
  return out;
}
