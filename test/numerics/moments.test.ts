/** src/numerics/moments.ts: chunked covariance against numpy.cov, in both layouts; small moments by hand. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { columnStats, covariance, denseMoments, fromRows, matrix, toColumns } from '../../src/numerics/index.js';
import { assertAllClose, fixture } from './fixture.js';

test('covariance equals numpy.cov, from the column layout and from a row-major matrix', () => {
  const { n, p, X, cov } = fixture.covariance;
  const data = matrix(Float32Array.from(X), n, p);
  const all = Int32Array.from({ length: n }, (_, i) => i);
  const mean = columnStats(data).mean;
  assertAllClose(covariance(toColumns(data), all, mean).data, cov, 1e-9, 'columns');
  assertAllClose(covariance(data, all, mean).data, cov, 1e-9, 'rows');
  // More rows than one chunk: 600 copies of the data give the same covariance scaled by (n - 1)/(600n - 1)·600.
  const many = Int32Array.from({ length: 600 * n }, (_, i) => i % n);
  const scale = (600 * (n - 1)) / (600 * n - 1);
  assertAllClose(
    covariance(data, many, mean).data,
    cov.map((c) => c * scale),
    1e-8,
    'chunked',
  );
});

test('dense moments of variables held as rows: means and sample covariance by hand', () => {
  // Variables (1, 2, 3) and (2, 4, 7): means 2 and 13/3; variances 1 and 19/3, covariance 2.5.
  const { mean, cov } = denseMoments(
    fromRows([
      [1, 2, 3],
      [2, 4, 7],
    ]),
  );
  assertAllClose(mean, [2, 13 / 3], 1e-12, 'means');
  assertAllClose(cov.data, [1, 2.5, 2.5, 19 / 3], 1e-12, 'covariance');
  assert.equal(cov.rows, 2);
});
