/** src/numerics/eigen.ts: eigenpairs and matrix powers against numpy.linalg.eigh; a hand-computed 2 x 2 case. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { flipSign, fromRows, matrix, spdPower, spectralFunction, symmetricEigen } from '../../src/numerics/index.js';
import { newtonSchulzSqrt } from '../../src/numerics/newtonSchulz.js';
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

/** Q·diag(values)·Qᵀ for a random orthogonal Q (the eigenvectors of a random Gram matrix). */
function withSpectrum(values: number[], seed: number): Float64Array {
  const p = values.length;
  let state = seed;
  const next = () => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state / 2147483648 - 0.5;
  };
  const X = Float64Array.from({ length: p * p }, next);
  const gram = new Float64Array(p * p);
  for (let i = 0; i < p; i++)
    for (let j = 0; j < p; j++) for (let t = 0; t < p; t++) gram[i * p + j] += X[i * p + t] * X[j * p + t];
  const Q = symmetricEigen(matrix(gram, p, p)).vectors.data;
  const S = new Float64Array(p * p);
  values.forEach((value, e) => {
    for (let i = 0; i < p; i++) for (let j = 0; j < p; j++) S[i * p + j] += value * Q[e * p + i] * Q[e * p + j];
  });
  return S;
}

test('S^(±1/2) by Newton–Schulz equals the spectral result; it declines ill-conditioned and indefinite matrices', () => {
  const p = 120;
  // A TVN-like spectrum: batch covariances of whitened controls plus the 0.5 ridge (condition number ~ 10).
  const wellConditioned = withSpectrum(
    Array.from({ length: p }, (_, e) => 0.5 + 4.5 * (e / p) ** 2),
    11,
  );
  const spectral = symmetricEigen(matrix(wellConditioned, p, p));
  for (const power of [0.5, -0.5] as const) {
    const expected = spectralFunction(spectral, (v) => v ** power).data;
    const iterated = newtonSchulzSqrt(matrix(wellConditioned, p, p), power);
    assert.ok(iterated, `Newton–Schulz converges for power ${power}`);
    assertAllClose(iterated.data, expected, 1e-12, `Newton–Schulz S^${power}`);
    assertAllClose(spdPower(matrix(wellConditioned, p, p), power, 'test').data, expected, 1e-12, `spdPower ${power}`);
  }
  // Condition number 1e8: too slow to converge, so spdPower decomposes; the result is still S^(-1/2).
  const illConditioned = withSpectrum(
    Array.from({ length: p }, (_, e) => 10 ** (-8 * (e / (p - 1)))),
    13,
  );
  assert.equal(newtonSchulzSqrt(matrix(illConditioned, p, p), -0.5), null);
  const inverseRoot = spdPower(matrix(illConditioned, p, p), -0.5, 'test');
  const product = new Float64Array(p * p);
  // S^(-1/2)·S·S^(-1/2) = I, to the accuracy this conditioning allows.
  const half = new Float64Array(p * p);
  for (let i = 0; i < p; i++)
    for (let j = 0; j < p; j++)
      for (let t = 0; t < p; t++) half[i * p + j] += inverseRoot.data[i * p + t] * illConditioned[t * p + j];
  for (let i = 0; i < p; i++)
    for (let j = 0; j < p; j++)
      for (let t = 0; t < p; t++) product[i * p + j] += half[i * p + t] * inverseRoot.data[t * p + j];
  for (let i = 0; i < p; i++)
    assert.ok(Math.abs(product[i * p + i] - 1) < 1e-6, `diagonal ${i}: ${product[i * p + i]}`);
  // An indefinite matrix diverges: null, and spdPower reports it from the eigenvalues.
  const indefinite = withSpectrum(
    Array.from({ length: p }, (_, e) => (e === p - 1 ? -0.5 : 1 + e / p)),
    17,
  );
  assert.equal(newtonSchulzSqrt(matrix(indefinite, p, p), -0.5), null);
  assert.throws(() => spdPower(matrix(indefinite, p, p), -0.5, 'tvn'), /tvn: matrix is not positive definite/);
});
