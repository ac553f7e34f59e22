import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cosineLr } from '../../src/embed/trainer.js';

test('cosine schedule with warm-up', () => {
  assert.equal(cosineLr(0, 100, 1, 10), 0.1);
  assert.equal(cosineLr(9, 100, 1, 10), 1);
  assert.equal(cosineLr(10, 100, 1, 10), 1);
  assert.ok(Math.abs(cosineLr(55, 100, 1, 10) - 0.5) < 1e-12);
  assert.ok(Math.abs(cosineLr(100, 100, 1, 10, 0.01) - 0.01) < 1e-12);
});
