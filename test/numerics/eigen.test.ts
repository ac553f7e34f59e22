/** src/numerics/eigen.ts: eigenpairs and matrix powers against numpy.linalg.eigh; a hand-computed 2 x 2 case. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { flipSign, fromRows, matrix, spdPower, spectralFunction, symmetricEigen } from '../../src/numerics/index.js';
import { assertAllClose, fixture } from './fixture.js';

test('eigenvalues descending, eigenvectors signed as svd_flip, and S^(±1/2) equal numpy', () => {
  const { p, S, values, vectors, sqrt, inverse_sqrt } = fixture.eigen;
  const eigen = symmetricEigen(matrix(Float64Array.from(S), p, p));
  assertAllClose(eigen.values, values, 1e-12, 'eigenvalues');
  assertAllClose(eigen.vectors.data, vectors, 1e-10, 'eigenvectors');
  assertAllClose(spectralFunction(eigen, (v) => v).data, S, 1e-12, 'V·diag(λ)·Vᵀ = S');
  assertAllClose(spdPower(matrix(Float64Array.from(S), p, p), 0.5, 'test').data, sqrt, 1e-12, 'S^(1/2)');
  assertAllClose(spdPower(matrix(Float64Array.from(S), p, p), -0.5, 'test').data, inverse_sqrt, 1e-11, 'S^(-1/2)');
});

test('a 2 x 2 case by hand; a matrix that is not positive definite has no real fractional power', () => {
  // [[2, 1], [1, 2]]: eigenvalues 3 and 1, eigenvectors (1, 1)/√2 and (1, -1)/√2 (its first entry largest: +).
  const eigen = symmetricEigen(
    fromRows([
      [2, 1],
      [1, 2],
    ]),
  );
  assertAllClose(eigen.values, [3, 1], 1e-12, 'values');
  const r = Math.SQRT1_2;
  assertAllClose(eigen.vectors.data, [r, r, r, -r], 1e-12, 'vectors');
  assert.throws(
    () =>
      spdPower(
        fromRows([
          [1, 2],
          [2, 1],
        ]),
        -0.5,
        'whitening',
      ),
    /whitening: matrix is not positive definite \(smallest eigenvalue -(1|0\.99999)/,
  );
  const v = Float64Array.from([0.2, -0.9, 0.9]);
  flipSign(v);
  assert.deepEqual([...v], [-0.2, 0.9, -0.9], 'the first largest entry decides');
});
