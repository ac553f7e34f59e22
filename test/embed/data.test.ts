import { test } from 'node:test';
import assert from 'node:assert/strict';
import { downscale, mixBatch, pooledChannelStats, writeSample } from '../../src/embed/data.js';
import { Rng } from '../../src/util/random.js';

test('downscale: box average by an integer factor', () => {
  const tensor = new Uint8Array(6 * 512 * 512);
  // channel 2 (index 1): a 2x2 block of values 0, 10, 20, 31 at the origin
  tensor.set([0, 10], 512 * 512);
  tensor.set([20, 31], 512 * 512 + 512);
  const small = downscale(tensor, 2);
  assert.equal(small.length, 6 * 256 * 256);
  assert.equal(small[256 * 256], Math.round(61 / 4));
  assert.equal(downscale(tensor, 1), tensor);
});

test('writeSample: the eight dihedral transforms permute the crop, and normalise per channel', () => {
  const size = 6;
  const crop = 4;
  const image = Uint8Array.from({ length: 6 * size * size }, (_, i) => i % 251);
  const norm = { mean: [1, 2, 3, 4, 5, 6], std: [1, 2, 1, 2, 1, 2], sites: 1, fromControls: true };
  const reference = new Float32Array(crop * crop * 6);
  writeSample(image, size, 1, 2, crop, 0, norm, reference, 0);
  // transform 0 is the identity: NCHW element (c, y, x) of the crop is image[c][1 + y][2 + x]
  assert.equal(reference[(3 * crop + 2) * crop + 1], (image[3 * 36 + 3 * size + 3] - 4) / 2);
  const sorted = [...reference].sort((a, b) => a - b);
  const outputs = new Set<string>();
  for (let t = 0; t < 8; t++) {
    const out = new Float32Array(crop * crop * 6);
    writeSample(image, size, 1, 2, crop, t, norm, out, 0);
    assert.deepEqual(
      [...out].sort((a, b) => a - b),
      sorted,
      `transform ${t} is a permutation`,
    );
    outputs.add(out.join(','));
  }
  assert.equal(outputs.size, 8);
});

test('mixBatch: mixup weights and cutmix kept fraction', () => {
  const crop = 8;
  const sample = crop * crop * 6;
  const x = new Float32Array(4 * sample);
  for (let i = 0; i < 4; i++) x.fill(i + 1, i * sample, (i + 1) * sample);
  const types = new Float32Array([1, 0, 1, 0, 0, 1, 0, 1]);
  const labels = Int32Array.from([10, 11, 12, 13]);
  const mixed = Float32Array.from(x);
  const { labelsB, lambda } = mixBatch('mixup', 1, new Rng(3), mixed, Float32Array.from(types), labels, 4, crop, 2);
  for (let i = 0; i < 4; i++) {
    const j = labelsB[i] - 10;
    assert.ok(Math.abs(mixed[i * sample] - (lambda[i] * (i + 1) + (1 - lambda[i]) * (j + 1))) < 1e-5);
  }
  const cut = Float32Array.from(x);
  const result = mixBatch('cutmix', 1, new Rng(5), cut, Float32Array.from(types), labels, 4, crop, 2);
  for (let i = 0; i < 4; i++) {
    const own = cut.subarray(i * sample, (i + 1) * sample).filter((v) => v === i + 1).length / sample;
    const j = result.labelsB[i] - 10;
    if (j !== i)
      assert.ok(Math.abs(own - result.lambda[i]) < 1e-6, `kept fraction ${own} vs lambda ${result.lambda[i]}`);
  }
  const none = mixBatch('none', 1, new Rng(1), Float32Array.from(x), Float32Array.from(types), labels, 4, crop, 2);
  assert.deepEqual(Array.from(none.lambda), [1, 1, 1, 1]);
});

test('pooledChannelStats: mean and population std per channel over images', () => {
  const a = new Uint8Array(6 * 4).fill(2);
  const b = new Uint8Array(6 * 4).fill(4);
  const { mean, std } = pooledChannelStats([a, b], 2);
  assert.deepEqual(mean, [3, 3, 3, 3, 3, 3]);
  assert.deepEqual(std, [1, 1, 1, 1, 1, 1]);
});
