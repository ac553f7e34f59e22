/** src/numerics/stats.ts: Welford statistics and StandardScaler against numpy/scikit-learn; layouts agree. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { columnStats, fromRows, matrix, scalerScale, standardize, toColumns } from '../../src/numerics/index.js';
import { assertAllClose, fixture, withNaN } from './fixture.js';

test('column mean and std (ddof 0 and 1) skip NaN as numpy nanmean/nanstd; StandardScaler scale and transform', () => {
  const { n, p, X, mean, std0, std1, scaler_scale, scaler_transform } = fixture.stats;
  const data = matrix(Float32Array.from(withNaN(X)), n, p);
  const population = columnStats(data);
  assertAllClose(population.mean, mean, 1e-9, 'mean');
  assertAllClose(population.std, std0, 1e-9, 'std ddof 0');
  assertAllClose(columnStats(data, { ddof: 1 }).std, std1, 1e-9, 'std ddof 1');
  assert.deepEqual([...population.count], [10, 12, 12, 11]);
  assertAllClose(scalerScale(population), scaler_scale, 1e-9, 'StandardScaler scale_ (constant column: 1)');
  assertAllClose(standardize(data, { constant: 'scaler' }).data, withNaN(scaler_transform), 2e-6, 'transform');
  // The column layout gives the same numbers, bit for bit, over any row subset.
  const columns = toColumns(data);
  assert.deepEqual(columnStats(columns), population);
  assert.deepEqual(columnStats(columns, { rows: [5, 1, 9] }), columnStats(data, { rows: [5, 1, 9] }));
});

test('evaluation-space z-scores by hand: constant columns and non-finite values become 0', () => {
  // Column 0: 1, 2, 3 (mean 2, population std √(2/3)); column 1 constant; column 2 with a NaN.
  const X = fromRows([
    [1, 5, 0],
    [2, 5, NaN],
    [3, 5, 2],
  ]);
  const z = standardize(X);
  const s = Math.sqrt(2 / 3);
  assertAllClose(z.data, [-1 / s, 0, -1, 0, 0, 0, 1 / s, 0, 1], 1e-6, 'z-scores');
  const byRows = standardize(X, { rows: [0, 1] });
  assertAllClose([byRows.data[0], byRows.data[3], byRows.data[6]], [-1, 1, 3], 1e-6, 'statistics of rows 0-1');
  const empty = columnStats(fromRows([[NaN], [Infinity]]));
  assert.ok(Number.isNaN(empty.mean[0]) && Number.isNaN(empty.std[0]) && empty.count[0] === 0);
  assert.ok(Number.isNaN(columnStats(fromRows([[4]]), { ddof: 1 }).std[0]), 'one value: no sample std');
});
