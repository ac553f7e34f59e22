import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseTrainConfig, resolveTrainConfig } from '../../src/embed/config.js';

test('config validation names the field', () => {
  assert.throws(() => parseTrainConfig({ crop: 1000 }), /crop/);
  assert.throws(() => parseTrainConfig({ bogus: 1 }), /bogus|Unrecognized/);
  assert.throws(() => parseTrainConfig({ backbone: 'vgg' }), /backbone/);
});

test('the adapting defaults: quarter-scale 64-pixel crops, epochs for about 2400 steps within 10..200', () => {
  const parsed = parseTrainConfig({});
  const small = resolveTrainConfig(parsed, { trainSites: 1000 });
  assert.deepEqual([small.imageScale, small.crop], [0.25, 64]);
  // 1000 sites / batch 32 = 31 steps per epoch: 2400 / 31 = 77 epochs.
  assert.equal(small.epochs, 77);
  assert.equal(resolveTrainConfig(parsed, { trainSites: 100 }).epochs, 200);
  assert.equal(resolveTrainConfig(parsed, { trainSites: 100_000 }).epochs, 10);
  const chosen = resolveTrainConfig(parseTrainConfig({ epochs: 3, crop: 32, imageScale: 0.125 }), { trainSites: 1000 });
  assert.deepEqual([chosen.epochs, chosen.crop, chosen.imageScale], [3, 32, 0.125]);
});
