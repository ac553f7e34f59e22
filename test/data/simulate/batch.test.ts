/** src/data/simulate/batch.ts and imaging.ts: the batch-effect regimes beyond RxRx1's (gamma, gradient, density,
 * blur, crosstalk), by hand-computed values. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  channelCrosstalk,
  gradientGain,
  plateDensity,
  plateGradient,
  responseGamma,
  siteBlurPasses,
} from '../../../src/data/simulate/batch.js';
import { expose } from '../../../src/data/simulate/imaging.js';
import { SITE_SIZE } from '../../../src/rxrx1/index.js';
import { Rng } from '../../../src/util/random.js';

test('at strength 0 every regime is the identity', () => {
  assert.deepEqual(responseGamma(1, 'HEPG2-01', 0), [1, 1, 1, 1, 1, 1]);
  assert.ok(channelCrosstalk(1, 'HEPG2-01', 0).every((row) => row.every((f) => f === 0)));
  assert.deepEqual(gradientGain(plateGradient(1, 'HEPG2-01', 1, 0), 'B02'), [1, 1, 1, 1, 1, 1]);
  const density = plateDensity(1, 'HEPG2-01', 1, 0);
  assert.equal(density.cellCount, 0);
  assert.ok(density.intensity.every((x) => x === 0));
  assert.equal(siteBlurPasses(1, 'HEPG2-01_1_B02_1', 0), 0);
});

test('regimes at strength 1: per-experiment and per-plate draws of the documented size and shape', () => {
  const gamma = responseGamma(1, 'HEPG2-01', 1);
  assert.ok(gamma.every((g) => g > 0.3 && g < 3) && new Set(gamma).size === 6);
  const crosstalk = channelCrosstalk(1, 'HEPG2-01', 1);
  crosstalk.forEach((row, c) => {
    row.forEach((f, d) => {
      assert.ok(Math.abs(c - d) === 1 ? f >= 0 && f < 0.06 : f === 0, `crosstalk[${c}][${d}] = ${f}`);
    });
  });
  // Opposite corners of a plate get gains on opposite sides of 1 (u, v = -1 at A01 and +1 at P24).
  const gradient = { x: [0.1, 0, 0, 0, 0, 0], y: [0, 0.2, 0, 0, 0, 0] };
  assert.deepEqual(gradientGain(gradient, 'A01').slice(0, 2), [0.9, 0.8]);
  assert.deepEqual(gradientGain(gradient, 'P24').slice(0, 2), [1.1, 1.2]);
  // Crowding: more cells, smaller nuclei, dimmer stains.
  const d = plateDensity(1, 'HEPG2-01', 2, 1);
  assert.ok(
    Math.abs(d.nucleusSize + 0.25 * d.cellCount) < 1e-12 && Math.abs(d.intensity[0] + 0.15 * d.cellCount) < 1e-12,
  );
});

test('expose: crosstalk adds a fraction of the neighbour, gamma bends the response around the reference', () => {
  const n = SITE_SIZE * SITE_SIZE;
  const clean = [new Float32Array(n).fill(40), new Float32Array(n).fill(10)];
  const out = [new Uint8Array(n), new Uint8Array(n)];
  const flat = { centerX: 256, centerY: 256, falloff: 0, tiltX: 0, tiltY: 0 };
  const imaging = {
    gain: [1, 1],
    offset: [2, 0],
    illumination: flat,
    noise: { read: 0, shot: 0 },
    crosstalk: [
      [0, 0],
      [0.25, 0],
    ],
    response: { gamma: [1, 2], reference: [1, 10] },
  };
  expose(clean, imaging, new Float32Array(n), new Rng(1), out);
  // w1: 2 + 40; w2: 10 + 0.25 * 40 = 20, then 10 * (20 / 10)^2 = 40.
  assert.equal(out[0][1234], 42);
  assert.equal(out[1][1234], 40);
  // Blur passes keep a flat image flat (and use the field buffer as scratch before it is written).
  expose(clean, { ...imaging, blurPasses: 3 }, new Float32Array(n), new Rng(1), out);
  assert.equal(out[1][SITE_SIZE * 100 + 7], 40);
});
