/**
 * src/numerics/pca.ts: both solvers against scikit-learn PCA (full solver, components signed as svd_flip) and
 * against each other; the exact core drops components without variance.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { covariancePca, fromRows, matrix, pca } from '../../src/numerics/index.js';
import { readFixture } from '../helpers.js';
import { assertAllClose, fixture } from './fixture.js';

test('exact and randomized PCA equal scikit-learn: mean, signed components, explained variance, scores', () => {
  const { n, p, k, X, mean, components, explained_variance, scores } = fixture.pca;
  const data = matrix(Float32Array.from(X), n, p);
  for (const solver of ['exact', 'randomized'] as const) {
    const fit = pca(data, { components: k, solver });
    assertAllClose(fit.mean, mean, 1e-9, `${solver} mean`);
    assertAllClose(fit.components.data, components, 1e-6, `${solver} components`);
    assertAllClose(fit.explainedVariance, explained_variance, 1e-6 * explained_variance[0], `${solver} variance`);
    assertAllClose(fit.scores.data, scores, 1e-4, `${solver} scores`);
  }
});

test('randomized PCA with fewer sketch dimensions than features equals scikit-learn up to sign', () => {
  // The fixture of evaluate_fixtures.py: 50 x 6, 3 components, a sketch of 3 + 10 >= 6 columns (exact).
  const fx = readFixture<{
    pca_X: number[];
    pca_n: number;
    pca_p: number;
    pca_explained_variance: number[];
    pca_abs_scores: number[];
  }>('evaluate-stats.json');
  const result = pca(matrix(Float32Array.from(fx.pca_X), fx.pca_n, fx.pca_p), {
    components: 3,
    solver: 'randomized',
    seed: 0,
  });
  result.explainedVariance.forEach((v, c) => {
    assert.ok(Math.abs(v - fx.pca_explained_variance[c]) <= 1e-4 * fx.pca_explained_variance[0], `variance ${c}`);
  });
  result.scores.data.forEach((v, t) => {
    assert.ok(Math.abs(Math.abs(v) - fx.pca_abs_scores[t]) <= 1e-3, `score ${t}`);
  });
  // A sketch of 1 + 3 < 6 columns and 4 power iterations converges on the top component (variance 12.4 vs 6.9).
  const sketch = pca(matrix(Float32Array.from(fx.pca_X), fx.pca_n, fx.pca_p), {
    components: 1,
    solver: 'randomized',
    oversample: 3,
    powerIterations: 4,
  });
  assert.ok(Math.abs(sketch.explainedVariance[0] / fx.pca_explained_variance[0] - 1) < 1e-6, 'first variance');
});

test('the exact core keeps at most rows - 1 components, and only those with variance', () => {
  // Covariance of the rows (1, 0, 0), (-1, 0, 0): variance 2 along the first axis, none elsewhere.
  const cov = fromRows([
    [2, 0, 0],
    [0, 0, 0],
    [0, 0, 0],
  ]);
  const fit = covariancePca(cov, 2, 3);
  assert.deepEqual([...fit.variances], [2]);
  assert.deepEqual([...fit.components.data], [1, 0, 0]);
  assert.equal(covariancePca(fromRows([[1]]), 1, 5).variances.length, 0, 'one row: no variance');
  // Non-finite values count as the column mean: the centred value is 0.
  const missing = pca(fromRows([[1], [NaN], [3]]), { components: 1 });
  assert.deepEqual([...missing.mean], [2]);
  assert.deepEqual([...missing.scores.data], [-1, 0, 1]);
});
