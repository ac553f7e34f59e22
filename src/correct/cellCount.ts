/**
 * Cell-count regression as JUMP-CP's `regress_out_cell_counts_parallel` (broadinstitute/jump-profiling-recipe,
 * correct/corrections.py): every feature but the count with more than `minUnique` distinct values is replaced by its
 * residual of an ordinary least-squares fit `feature ~ count` over the whole table (statsmodels `ols`); the count
 * itself is kept. Residuals are centred (the intercept goes too). Rows missing the feature are left out of its fit
 * and stay NaN. JUMP's `min_unique` is 100; a smaller table uses min(100, rows / 2), or no feature would qualify.
 * The count is the first of CELL_COUNT_FEATURES the table has (phenomap's featurize writes Count_Cells).
 */
import type { ProfileTable } from '../store/profiles.js';
import { withFeatures } from './table.js';

export const CELL_COUNT_FEATURES = ['Count_Cells', 'Count_Nuclei', 'Cells_Count_Count'] as const;
export const CELL_COUNT_MIN_UNIQUE = 100;

/** The table's cell-count feature, or null. */
export function cellCountFeature(table: ProfileTable): string | null {
  return CELL_COUNT_FEATURES.find((name) => table.features.includes(name)) ?? null;
}

export function regressCellCount(table: ProfileTable, count = cellCountFeature(table)): ProfileTable {
  const at = count === null ? -1 : table.features.indexOf(count);
  if (at < 0)
    throw new Error(
      `cell-count regression: the table has no cell-count feature (${count ?? CELL_COUNT_FEATURES.join(', ')})`,
    );
  const c = table.columns[at];
  const minUnique = Math.min(CELL_COUNT_MIN_UNIQUE, Math.floor(table.rows / 2));
  const columns = table.columns.map((column, j) => {
    if (j === at || new Set(column).size <= minUnique) return Float32Array.from(column);
    let n = 0;
    let meanY = 0;
    let meanC = 0;
    for (let i = 0; i < column.length; i++) {
      if (Number.isNaN(column[i]) || Number.isNaN(c[i])) continue;
      n++;
      meanY += (column[i] - meanY) / n;
      meanC += (c[i] - meanC) / n;
    }
    let covariance = 0;
    let variance = 0;
    for (let i = 0; i < column.length; i++) {
      if (Number.isNaN(column[i]) || Number.isNaN(c[i])) continue;
      covariance += (column[i] - meanY) * (c[i] - meanC);
      variance += (c[i] - meanC) ** 2;
    }
    const slope = variance > 0 ? covariance / variance : 0;
    return Float32Array.from(column, (y, i) => y - meanY - slope * (c[i] - meanC));
  });
  return withFeatures(table, [...table.features], columns);
}
