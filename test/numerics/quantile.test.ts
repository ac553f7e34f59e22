/** src/numerics/quantile.ts: selection, median, quantiles and MAD against sorted arrays and hand-computed values. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  MAD_NORMAL_SCALE,
  median,
  medianInPlace,
  medianMad,
  quantile,
  quantileSorted,
  selectKth,
} from '../../src/numerics/index.js';
import { generator } from '../correct/tables.js';

test('quickselect median equals the sorted median (odd, even, ties)', () => {
  const next = generator(8);
  for (const n of [1, 2, 3, 10, 11, 64, 101]) {
    for (const ties of [false, true]) {
      const values = Float64Array.from({ length: n }, () => (ties ? Math.round(next() * 2) : next()));
      const sorted = Float64Array.from(values).sort();
      const expected = n % 2 ? sorted[(n - 1) / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
      assert.ok(medianInPlace(Float64Array.from(values), n) === expected, `n=${n} ties=${ties}`);
      assert.ok(median(values) === expected, `median, n=${n} ties=${ties}`);
      for (const k of [0, n >> 1, n - 1]) assert.ok(selectKth(Float64Array.from(values), n, k) === sorted[k], `k=${k}`);
    }
  }
});

test('median skips non-finite values; quantiles interpolate linearly (numpy default); MAD as RobustMAD', () => {
  assert.equal(median([3, 1, 2, NaN, 10]), 2.5, 'median skips NaN');
  assert.ok(Number.isNaN(median([NaN])));
  assert.equal(medianInPlace(new Float64Array(4), 0), NaN);
  // numpy.quantile([1, 2, 3, 4], 0.25) = 1.75; 0.98 of 0..10 = 9.8.
  assert.equal(quantileSorted([1, 2, 3, 4], 0.25), 1.75);
  assert.equal(quantile([10, 0, 5, 1, 2, 3, 4, 6, 7, 8, 9], 0.98), 9.8);
  assert.equal(quantile([4, Infinity, 1], 0.5), 2.5);
  assert.ok(Number.isNaN(quantileSorted([], 0.5)));
  // Column [1, 2, 3, 4, 100] at rows 0..4: median 3; |x - 3| = 2, 1, 0, 1, 97: MAD 1.
  const column = Float32Array.from([1, 2, 3, 4, 100, NaN]);
  const fit = medianMad(column, [0, 1, 2, 3, 4, 5], new Float64Array(6));
  assert.deepEqual(fit, { median: 3, mad: MAD_NORMAL_SCALE, count: 5 });
});
