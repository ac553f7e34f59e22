/** src/numerics/shrinkage.ts: Ledoit-Wolf and OAS shrinkage, against scikit-learn (scripts/fixtures/correct_reference.py). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fromRows, shrunkCovariance } from '../../src/numerics/index.js';
import { readFixture } from '../helpers.js';

interface Case {
  X: number[][];
  scale: number[];
  ledoitWolf: number[];
  ledoitWolfShrinkage: number;
  oas: number[];
  oasShrinkage: number;
  ledoitWolfScaled: number[];
}
const cases = readFixture<Record<'wide' | 'tall', Case>>('correct-shrinkage.json');

function assertClose(actual: ArrayLike<number>, expected: number[], tolerance: number, what: string): void {
  assert.equal(actual.length, expected.length, what);
  expected.forEach((e, i) => {
    assert.ok(Math.abs(actual[i] - e) <= tolerance * Math.max(1, Math.abs(e)), `${what}[${i}]: ${actual[i]} vs ${e}`);
  });
}

for (const [name, c] of Object.entries(cases)) {
  test(`shrunk covariances match scikit-learn's LedoitWolf and OAS (${name}: ${c.X.length} x ${c.X[0].length})`, () => {
    const X = fromRows(c.X);
    const rows = Int32Array.from(c.X, (_, i) => i);
    const p = X.cols;
    const mean = Float64Array.from({ length: p }, (_, j) => c.X.reduce((s, r) => s + r[j], 0) / c.X.length);
    const lw = shrunkCovariance(X, rows, mean, 'ledoit-wolf');
    assert.ok(Math.abs(lw.shrinkage - c.ledoitWolfShrinkage) < 1e-9, `LW shrinkage ${lw.shrinkage}`);
    assertClose(lw.covariance.data, c.ledoitWolf, 1e-9, 'LedoitWolf covariance_');
    const oas = shrunkCovariance(X, rows, mean, 'oas');
    assert.ok(Math.abs(oas.shrinkage - c.oasShrinkage) < 1e-9, `OAS shrinkage ${oas.shrinkage}`);
    assertClose(oas.covariance.data, c.oas, 1e-9, 'OAS covariance_');
    // Columns of features with a scale: the covariance of the standardized values.
    const columns = Array.from({ length: p }, (_, j) => Float32Array.from(c.X, (r) => r[j]));
    const scaled = shrunkCovariance(columns, rows, mean, 'ledoit-wolf', Float64Array.from(c.scale));
    assertClose(scaled.covariance.data, c.ledoitWolfScaled, 1e-6, 'LedoitWolf of standardized columns');
  });
}

test('one row: the empirical covariance is 0 and everything shrinks to it', () => {
  const one = shrunkCovariance(fromRows([[1, 2, 3]]), [0], Float64Array.from([1, 2, 3]), 'oas');
  assert.deepEqual([...one.covariance.data], new Array(9).fill(0));
  assert.throws(() => shrunkCovariance(fromRows([[1]]), [], new Float64Array(1), 'oas'), /no rows/);
});
