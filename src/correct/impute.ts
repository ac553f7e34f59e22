/**
 * Missing-value imputation: a NaN feature value (CellProfiler leaves a measurement undefined for a site without
 * objects or for a constant object) becomes the feature's median over the rows that have it, as
 * sklearn's SimpleImputer(strategy='median') does. Corrections need finite input; this is the explicit step
 * that gives it to them.
 */
import { median } from '../numerics/index.js';
import type { ProfileTable } from '../store/profiles.js';
import { withFeatures } from './table.js';

/** Returns a new table with each NaN replaced by its column's median of finite values (0 for an all-NaN column). */
export function imputeMedian(table: ProfileTable): { table: ProfileTable; imputed: number } {
  let imputed = 0;
  const columns = table.columns.map((column) => {
    const out = column.slice();
    if (column.every(Number.isFinite)) return out;
    const value = median(column);
    const fill = Number.isNaN(value) ? 0 : value;
    for (let i = 0; i < out.length; i++) {
      if (!Number.isFinite(out[i])) {
        out[i] = fill;
        imputed++;
      }
    }
    return out;
  });
  return { table: withFeatures(table, [...table.features], columns), imputed };
}
