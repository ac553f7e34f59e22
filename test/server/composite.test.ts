/** The server's thumbnail downscaling. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { downscale } from '../../src/server/composite.js';

test('box filter downscaling, by hand', () => {
  const gray = Uint8Array.from([0, 2, 10, 11, 4, 6, 20, 20, 1, 1, 1, 1, 1, 1, 1, 2]);
  assert.deepEqual([...downscale(gray, 4, 4, 1, 2)], [3, 15, 1, 1]);
  assert.deepEqual([...downscale(gray, 4, 4, 1, 4)], [5]);
});
