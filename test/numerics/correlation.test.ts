/** src/numerics/correlation.ts: Pearson (pandas, pairwise-complete), ranks and Spearman (scipy). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pearson, rankData, spearman } from '../../src/numerics/index.js';
import { readFixture } from '../helpers.js';
import { fixture, withNaN } from './fixture.js';

test('Spearman with ties equals scipy; average ranks by hand', () => {
  const fx = readFixture<{ a: number[]; b: number[]; spearman: number }>('evaluate-stats.json');
  assert.ok(Math.abs(spearman(fx.a, fx.b) - fx.spearman) <= 1e-12, 'spearman');
  assert.deepEqual([...rankData([3, 1, 3, 2])], [3.5, 1, 3.5, 2]);
});

test('Pearson over the pairs where both values are present equals pandas Series.corr', () => {
  const { a, b, pearson: expected } = fixture.correlation;
  assert.ok(Math.abs(pearson(withNaN(a), withNaN(b)) - expected) < 1e-12);
  // By hand: (1, 2, 3) against (2, 4, 7) at rows 0 and 2 only: two points, correlation 1.
  assert.equal(pearson([1, 2, 3], [2, 4, 7], [0, 2]), 1);
  assert.ok(Number.isNaN(pearson([1, 1, 1], [1, 2, 3])), 'a constant side');
  assert.ok(Number.isNaN(pearson([1, NaN], [NaN, 2])), 'fewer than two pairs');
});
