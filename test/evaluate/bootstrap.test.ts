/** src/evaluate/bootstrap.ts: percentile-bootstrap intervals of an accuracy over held-out wells. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bootstrapAccuracy, hits } from '../../src/evaluate/bootstrap.js';

test('degenerate cases: no queries, all right, all wrong', () => {
  assert.equal(bootstrapAccuracy([], { seed: 0, name: 'q' }), null);
  assert.deepEqual(bootstrapAccuracy([1, 1, 1], { seed: 0, name: 'q' }), [1, 1]);
  assert.deepEqual(bootstrapAccuracy([0, 0, 0, 0], { seed: 0, name: 'q' }), [0, 0]);
  assert.deepEqual([...hits([1, 2, 3], [1, 0, 3])], [1, 0, 1]);
  assert.throws(() => hits([1], [1, 2]), /1 predictions for 2 labels/);
});

test('two queries, one right: resampled accuracies are 0, 1/2, 1 with probabilities 1/4, 1/2, 1/4', () => {
  // The 2.5th and 97.5th percentiles of that distribution are its extremes.
  assert.deepEqual(bootstrapAccuracy([1, 0], { seed: 3, name: 'q' }), [0, 1]);
});

test('60 of 100 right: the interval is the binomial one, 0.6 +- 1.96 * sqrt(0.24 / 100)', () => {
  const correct = Array.from({ length: 100 }, (_, i) => (i < 60 ? 1 : 0));
  const [lo, hi] = bootstrapAccuracy(correct, { seed: 1, name: 'q' })!;
  const half = 1.96 * Math.sqrt(0.24 / 100);
  assert.ok(Math.abs(lo - (0.6 - half)) < 0.015, `lower ${lo}, expected about ${0.6 - half}`);
  assert.ok(Math.abs(hi - (0.6 + half)) < 0.015, `upper ${hi}, expected about ${0.6 + half}`);
});

test('reproducible, and paired: the same draws for every method on the same queries', () => {
  const a = Array.from({ length: 50 }, (_, i) => (i % 3 === 0 ? 1 : 0));
  const options = { seed: 7, name: 'heldout-wells' };
  assert.deepEqual(bootstrapAccuracy(a, options), bootstrapAccuracy(a, options));
  // A method right on a superset of the wells gets an interval at least as high at both ends (same resamples).
  const b = a.map((v, i) => (i % 3 === 1 ? 1 : v));
  const [loA, hiA] = bootstrapAccuracy(a, options)!;
  const [loB, hiB] = bootstrapAccuracy(b, options)!;
  assert.ok(loB > loA && hiB > hiA);
});
