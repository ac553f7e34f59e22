/** src/numerics/matrix.ts: construction, views, row selection, layout conversion and transpose, by hand. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  fromColumns,
  fromRows,
  matrix,
  row,
  takeRows,
  toColumns,
  transpose,
  zeros32,
} from '../../src/numerics/index.js';

test('a matrix carries its shape; sizes are checked', () => {
  const m = matrix(Float64Array.from([1, 2, 3, 4, 5, 6]), 2, 3);
  assert.deepEqual([m.rows, m.cols], [2, 3]);
  assert.throws(() => matrix(new Float64Array(5), 2, 3), /5 values for a 2 x 3 matrix \(expected 6\)/);
  assert.throws(() => matrix(new Float64Array(0), -1, 0), /not a pair of non-negative integers/);
  assert.throws(() => fromRows([[1, 2], [3]]), /row 1 has 1 values, row 0 has 2/);
  assert.ok(fromRows([[1]], 'float32').data instanceof Float32Array);
  assert.deepEqual([...zeros32(2, 2).data], [0, 0, 0, 0]);
});

test('row views share memory; takeRows copies; transpose and the column layout round-trip', () => {
  const m = fromRows([
    [1, 2, 3],
    [4, 5, 6],
    [7, 8, 9],
  ]);
  const second = row(m, 1);
  assert.deepEqual([...second], [4, 5, 6]);
  second[0] = 40;
  assert.equal(m.data[3], 40, 'a row is a view');
  const picked = takeRows(m, [2, 0]);
  assert.deepEqual([...picked.data], [7, 8, 9, 1, 2, 3]);
  assert.ok(picked.data instanceof Float64Array);
  picked.data[0] = 0;
  assert.equal(m.data[6], 7, 'takeRows copies');
  assert.deepEqual([...transpose(m).data], [1, 40, 7, 2, 5, 8, 3, 6, 9]);
  const wide = fromRows([
    [1, 2, 3],
    [4, 5, 6],
  ]);
  assert.deepEqual([transpose(wide).rows, transpose(wide).cols], [3, 2]);
  const columns = [Float32Array.from([1, 2, 3]), Float32Array.from([10, 20, 30])];
  const X = fromColumns(columns);
  assert.deepEqual([...X.data], [1, 10, 2, 20, 3, 30]);
  assert.deepEqual([...fromColumns(columns, [2, 0]).data], [3, 30, 1, 10]);
  assert.deepEqual(toColumns(X), columns);
});
