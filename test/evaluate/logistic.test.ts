/** src/evaluate/logistic.ts: multinomial logistic regression against scikit-learn and the exact optimum (scipy). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { argmaxRows, logisticLogProba, trainLogistic } from '../../src/evaluate/logistic.js';
import { matrix, standardize } from '../../src/numerics/index.js';
import { close, f32, readFixture } from '../helpers.js';

test('logistic regression learns a separable problem and matches scikit-learn probabilities', () => {
  // Separable: class = which of 3 well-separated clusters.
  const X = f32([0, 0, 0.2, 0.1, 5, 5, 5.2, 4.9, -5, 5, -4.8, 5.1]);
  const y = Int32Array.from([0, 0, 1, 1, 2, 2]);
  const model = trainLogistic(standardize(matrix(X, 6, 2)), y, { classes: 3, l2: 1e-4 });
  assert.deepEqual([...argmaxRows(logisticLogProba(model, standardize(matrix(X, 6, 2))))], [0, 0, 1, 1, 2, 2]);

  const fx = readFixture<{
    l2: number;
    n: number;
    p: number;
    classes: number;
    X: number[];
    y: number[];
    query: number[];
    proba: number[];
    exact_proba: number[];
    train_proba: number[];
  }>('evaluate-logistic.json');
  const fit = trainLogistic(matrix(f32(fx.X), fx.n, fx.p), Int32Array.from(fx.y), {
    classes: fx.classes,
    l2: fx.l2,
    tolerance: 1e-9,
    maxIterations: 1000,
  });
  assert.ok(fit.converged, `L-BFGS converged (${fit.iterations} iterations)`);
  const proba = logisticLogProba(fit, matrix(f32(fx.query), fx.query.length / fx.p, fx.p)).data.map(Math.exp);
  proba.forEach((v, t) => {
    close(v, fx.exact_proba[t], 1e-7, `query probability ${t} (exact optimum)`);
  });
  proba.forEach((v, t) => {
    close(v, fx.proba[t], 1e-4, `query probability ${t} (scikit-learn)`);
  });
  const train = logisticLogProba(fit, matrix(f32(fx.X), fx.n, fx.p)).data.map(Math.exp);
  train.forEach((v, t) => {
    close(v, fx.train_proba[t], 1e-4, `training probability ${t} (scikit-learn)`);
  });
});
