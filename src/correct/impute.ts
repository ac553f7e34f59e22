/**
 * Missing-value imputation: a NaN feature value (CellProfiler leaves a measurement undefined for a site without
 * objects or for a constant object) becomes the feature's median over the rows that have it, as
 * sklearn's SimpleImputer(strategy='median') does. Corrections need finite input; this is the explicit step
 * that gives it to them.
 */
import type { ProfileTable } from '../store/profiles.js';
import { withFeatures } from './table.js';

/** Returns a new table with each NaN replaced by its column's median of finite values (0 for an all-NaN column). */
export function imputeMedian(table: ProfileTable): { table: ProfileTable; imputed: number } {
  let imputed = 0;
  const finite = new Float64Array(table.rows);
  const columns = table.columns.map((column) => {
    let n = 0;
    for (let i = 0; i < column.length; i++) if (Number.isFinite(column[i])) finite[n++] = column[i];
    if (n === column.length) return column.slice();
    const sorted = finite.subarray(0, n).sort();
    const median = n === 0 ? 0 : n % 2 === 1 ? sorted[n >> 1] : (sorted[(n >> 1) - 1] + sorted[n >> 1]) / 2;
    const out = column.slice();
    for (let i = 0; i < out.length; i++) {
      if (!Number.isFinite(out[i])) {
        out[i] = median;
        imputed++;
      }
    }
    return out;
  });
  return { table: withFeatures(table, [...table.features], columns), imputed };
}
