import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeTensors, encodeTensors } from '../../src/embed/store.js';

test('tensor files round-trip', () => {
  const tensors = new Map([
    ['a', { shape: [2, 3], data: Float32Array.from([1, 2, 3, 4, 5, 6]) }],
    ['b.c', { shape: [1], data: Float32Array.from([-0.5]) }],
  ]);
  const back = decodeTensors(encodeTensors(tensors));
  assert.deepEqual([...back.keys()], ['a', 'b.c']);
  assert.deepEqual(Array.from(back.get('a')!.data), [1, 2, 3, 4, 5, 6]);
  assert.deepEqual(back.get('b.c')!.shape, [1]);
  assert.throws(() => decodeTensors(Buffer.from([1, 0])), /truncated/);
});
