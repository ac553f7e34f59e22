import { test } from 'node:test';
import assert from 'node:assert/strict';
import { addSpot, paintOrganelles } from '../../../src/data/simulate/organelles.js';
import { createCanvas, paintCells } from '../../../src/data/simulate/stains.js';
import { rngFor } from '../../../src/util/random.js';
import { flatTextures, lookOf, singleCell, OFFSETS } from './helpers.js';

test('a spot integrates to 2 pi sigma^2 times its peak and peaks where it is put', () => {
  const channel = new Float32Array(512 * 512);
  addSpot(channel, 200.5, 100.5, 2, 3);
  const total = channel.reduce((s, v) => s + v, 0);
  // The window reaches at least 2.5 sigma each way: it keeps at least erf(2.5 / sqrt 2)^2 = 97.5% of the mass.
  const kept = total / (2 * Math.PI * 4 * 3);
  assert.ok(kept > 0.975 && kept <= 1, `spot mass ${total} (${kept} of the Gaussian's)`);
  assert.equal(channel[100 * 512 + 200], 3);
});

test('fibres run only over their own cell, nucleoli sit inside the nucleus, w6 gets its share of the fibres', () => {
  const canvas = createCanvas();
  const look = lookOf({ fibres: 20, fibreShareW6: 0.5 });
  const cells = [singleCell(256, 256)];
  paintCells(cells, look, flatTextures(), OFFSETS, canvas);
  const before = canvas.channels.map((c) => Float32Array.from(c));
  paintOrganelles(cells, look, rngFor(1, 'organelles'), canvas);
  let fibrePixels = 0;
  for (let i = 0; i < canvas.fibres.length; i++) {
    if (canvas.fibres[i] === 0) continue;
    fibrePixels++;
    // Bilinear deposits may touch the pixel next to an owned one.
    const x = i % 512;
    const y = Math.floor(i / 512);
    const near = [-1, 0, 1].some((dy) => [-1, 0, 1].some((dx) => canvas.owner[(y + dy) * 512 + x + dx] === 0));
    assert.ok(near, `fibre at (${x}, ${y}) outside the cell`);
    const added = canvas.channels[2][i] - before[2][i];
    assert.ok(Math.abs(added - canvas.fibres[i]) < 1e-5);
    // w6 takes fibreShareW6 of the fibres, scaled by the two stains' cytoplasm levels (equal here).
    assert.ok(Math.abs(canvas.channels[5][i] - before[5][i] - 0.5 * canvas.fibres[i]) < 1e-5);
  }
  assert.ok(fibrePixels > 200, `${fibrePixels} fibre pixels`);
  // Nucleoli: w4 rises inside the nucleus (semi-axes 12 x 8 around the centre) and nowhere far outside it.
  let inside = 0;
  for (let y = 0; y < 512; y++)
    for (let x = 0; x < 512; x++) {
      const i = y * 512 + x;
      const rise = canvas.channels[3][i] - before[3][i];
      if (rise < 1e-3) continue;
      const u = (x + 0.5 - 256) / 12;
      const v = (y + 0.5 - 256) / 8;
      assert.ok(u * u + v * v < 2.5, `nucleolus light at (${x}, ${y})`);
      if (u * u + v * v < 1) inside++;
    }
  assert.ok(inside > 5, 'nucleoli drawn');
});
