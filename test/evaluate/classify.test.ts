/** src/evaluate/classify.ts: cosine kNN, nearest class mean and the seeded k-shot draws. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { knnPredict, nearestClassMean, sampleShots } from '../../src/evaluate/classify.js';
import { matrix } from '../../src/numerics/index.js';
import { f32 } from '../helpers.js';

test('kNN, nearest class mean and k-shot draws', () => {
  const ref = matrix(f32([1, 0, 0.9, 0.1, 0, 1, 0.1, 0.9]), 4, 2);
  const query = matrix(f32([0.95, 0.05, 0.2, 0.8]), 2, 2);
  const predicted = knnPredict(ref, Int32Array.from([0, 0, 1, 1]), query, { classes: 2, k: 3 });
  assert.deepEqual([...predicted], [0, 1]);
  const X = matrix(f32([1, 0, 0, 1, 0.8, 0.2, 0.3, 0.7]), 4, 2);
  assert.deepEqual([...nearestClassMean(X, [[0], [1]], [2, 3])], [0, 1]);
  const shots = sampleShots([[1, 2, 3, 4, 5], [6]], 2, 9);
  assert.equal(shots[0].length, 2);
  assert.deepEqual(shots[1], [6]);
  assert.deepEqual(sampleShots([[1, 2, 3, 4, 5], [6]], 2, 9), shots, 'seeded');
});
