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

/** max |S·v - λ·v| over the pairs and max |VᵀV - I|, for an eigendecomposition of S (p x p). */
function residuals(S: Float64Array, p: number, values: Float64Array, vectors: Float64Array): [number, number] {
  let pair = 0;
  let orthogonality = 0;
  for (let e = 0; e < p; e++) {
    for (let i = 0; i < p; i++) {
      let sv = 0;
      for (let j = 0; j < p; j++) sv += S[i * p + j] * vectors[e * p + j];
      pair = Math.max(pair, Math.abs(sv - values[e] * vectors[e * p + i]));
    }
    for (let f = 0; f < p; f++) {
      let dot = 0;
      for (let j = 0; j < p; j++) dot += vectors[e * p + j] * vectors[f * p + j];
      orthogonality = Math.max(orthogonality, Math.abs(dot - (e === f ? 1 : 0)));
    }
  }
  return [pair, orthogonality];
}

test('larger matrices: eigenpairs and orthonormality to rounding, with clusters, repeats and zero blocks', () => {
  const p = 150;
  let state = 7;
  const next = () => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state / 2147483648 - 0.5;
  };
  // A covariance-like matrix (Gram of random rows), one with eigenvalues in tight clusters (Q·diag·Qᵀ for an
  // orthogonal Q from a first decomposition), a diagonal one with repeated entries, and a zero matrix.
  const X = Float64Array.from({ length: p * 2 * p }, next);
  const gram = new Float64Array(p * p);
  for (let i = 0; i < p; i++)
    for (let j = 0; j < p; j++) for (let t = 0; t < 2 * p; t++) gram[i * p + j] += X[i * 2 * p + t] * X[j * 2 * p + t];
  const Q = symmetricEigen(matrix(gram.slice(), p, p)).vectors.data;
  const clustered = new Float64Array(p * p);
  for (let e = 0; e < p; e++) {
    const value = 1 + Math.floor(e / 10) + 1e-9 * e;
    for (let i = 0; i < p; i++) for (let j = 0; j < p; j++) clustered[i * p + j] += value * Q[e * p + i] * Q[e * p + j];
  }
  const diagonal = new Float64Array(p * p);
  for (let i = 0; i < p; i++) diagonal[i * p + i] = i % 3;
  for (const [name, S, scale] of [
    ['gram', gram, 4 * p],
    ['clustered', clustered, 16],
    ['diagonal', diagonal, 2],
    ['zero', new Float64Array(p * p), 1],
  ] as const) {
    const { values, vectors } = symmetricEigen(matrix(S, p, p));
    for (let e = 1; e < p; e++) assert.ok(values[e] <= values[e - 1], `${name}: descending`);
    const [pair, orthogonality] = residuals(S, p, values, vectors.data);
    assert.ok(pair < 1e-12 * scale, `${name}: |S·v - λ·v| = ${pair}`);
    assert.ok(orthogonality < 1e-12, `${name}: |VᵀV - I| = ${orthogonality}`);
  }
});
