import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseTrainConfig } from '../src/embed/config.js';
import { downscale, mixBatch, pooledChannelStats, writeSample } from '../src/embed/data.js';
import { Rng } from '../src/util/random.js';
import { cosineLr } from '../src/embed/step.js';
import { holdoutSirnas, splitExperiments } from '../src/embed/train.js';
import type { SiteRecord } from '../src/data/site.js';
import { decodeTensors, encodeTensors } from '../src/embed/store.js';

test('Rng: seeded, restartable from its saved state, sane distributions', () => {
  const a = new Rng(42);
  for (let i = 0; i < 10; i++) a.next();
  const saved = a.state();
  const next = Array.from({ length: 5 }, () => a.uint32());
  const b = new Rng(saved);
  assert.deepEqual(
    Array.from({ length: 5 }, () => b.uint32()),
    next,
  );
  assert.notDeepEqual(new Rng(1).state(), new Rng(2).state());
  const r = new Rng(7);
  const n = 20000;
  let mean = 0;
  let betaMean = 0;
  for (let i = 0; i < n; i++) {
    mean += r.normal() / n;
    betaMean += r.beta(0.4, 0.4) / n;
  }
  assert.ok(Math.abs(mean) < 0.03, `normal mean ${mean}`);
  assert.ok(Math.abs(betaMean - 0.5) < 0.02, `beta mean ${betaMean}`);
  const shuffled = r.shuffle([0, 1, 2, 3, 4, 5, 6, 7]);
  assert.deepEqual([...shuffled].sort(), [0, 1, 2, 3, 4, 5, 6, 7]);
});

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
  // transform 0 is the identity: pixel (y, x) channel c of the crop is image[c][1 + y][2 + x]
  assert.equal(reference[(2 * crop + 1) * 6 + 3], (image[3 * 36 + 3 * size + 3] - 4) / 2);
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

test('cosine schedule with warm-up', () => {
  assert.equal(cosineLr(0, 100, 1, 10), 0.1);
  assert.equal(cosineLr(9, 100, 1, 10), 1);
  assert.equal(cosineLr(10, 100, 1, 10), 1);
  assert.ok(Math.abs(cosineLr(55, 100, 1, 10) - 0.5) < 1e-12);
  assert.ok(Math.abs(cosineLr(100, 100, 1, 10, 0.01) - 0.01) < 1e-12);
});

test('config validation names the field; experiment split keeps whole experiments', () => {
  assert.throws(() => parseTrainConfig({ crop: 1000 }), /crop/);
  assert.throws(() => parseTrainConfig({ bogus: 1 }), /bogus|Unrecognized/);
  const config = parseTrainConfig({ validationFraction: 0.25, seed: 4 });
  const split = splitExperiments(['A-1', 'B-1', 'C-1', 'D-1', 'A-1'], config);
  assert.equal(split.validation.length, 1);
  assert.deepEqual([...split.train, ...split.validation].sort(), ['A-1', 'B-1', 'C-1', 'D-1']);
  assert.deepEqual(splitExperiments(['A-1', 'B-1'], parseTrainConfig({ validationExperiments: ['B-1'] })), {
    train: ['A-1'],
    validation: ['B-1'],
  });
  assert.throws(() => splitExperiments(['A-1'], parseTrainConfig({ validationExperiments: ['Z-9'] })), /Z-9/);
});

test('held-out siRNAs: treatment siRNAs only, seeded draw of a fraction or the named ids', () => {
  const site = (sirnaId: number, wellType: SiteRecord['wellType']) => ({ sirnaId, wellType }) as SiteRecord;
  const sites = [
    ...Array.from({ length: 20 }, (_, i) => site(i, 'treatment')),
    site(5, 'treatment'),
    site(1108, 'positive_control'),
    site(1138, 'negative_control'),
  ];
  assert.deepEqual(holdoutSirnas(sites, parseTrainConfig({})), []);
  const drawn = holdoutSirnas(sites, parseTrainConfig({ holdoutSirnaFraction: 0.25, seed: 2 }));
  assert.equal(drawn.length, 5);
  assert.ok(
    drawn.every((id) => id < 20),
    'controls are never held out',
  );
  assert.deepEqual(
    drawn,
    [...drawn].sort((a, b) => a - b),
  );
  assert.deepEqual(holdoutSirnas(sites, parseTrainConfig({ holdoutSirnaFraction: 0.25, seed: 2 })), drawn, 'seeded');
  assert.notDeepEqual(holdoutSirnas(sites, parseTrainConfig({ holdoutSirnaFraction: 0.25, seed: 3 })), drawn);
  assert.deepEqual(holdoutSirnas(sites, parseTrainConfig({ holdoutSirnas: [7, 3, 7] })), [3, 7]);
  assert.throws(
    () => holdoutSirnas(sites, parseTrainConfig({ holdoutSirnas: [1108] })),
    /holdoutSirnas: 1108 not among/,
  );
});

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
