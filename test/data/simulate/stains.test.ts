import { test } from 'node:test';
import assert from 'node:assert/strict';
import { addBackground, createCanvas, paintCells } from '../../../src/data/simulate/stains.js';
import { flatTextures, lookOf, OFFSETS, singleCell } from './helpers.js';

test('one cell on flat textures: domed nucleus, cytoplasm falling off toward the edge, background everywhere', () => {
  const canvas = createCanvas();
  const look = lookOf();
  const textures = flatTextures();
  paintCells([singleCell(256, 256)], look, textures, OFFSETS, canvas);
  const at = (c: number, x: number, y: number) => canvas.channels[c][y * 512 + x];
  // Centre pixel (256.5, 256.5): the dome is 1.25 - 0.5 dn^2 with dn = |(0.5/12, 0.5/8)|.
  const dome = 1.25 - 0.5 * ((0.5 / 12) ** 2 + (0.5 / 8) ** 2);
  for (let c = 0; c < 6; c++) assert.ok(Math.abs(at(c, 256, 256) - dome) < 1e-5, `w${c + 1} at the centre`);
  // 16.5 px along the major axis: outside the nucleus (dn = 1.375), 0.1875 of the way to the territory edge
  // (reach 1 / (cellScale - 1)), far from it (no membrane): the cytoplasm level is exp(-falloff * 48 / 256).
  const cytoplasm = Math.exp(-48 / 256);
  for (let c = 0; c < 6; c++) assert.ok(Math.abs(at(c, 272, 256) - cytoplasm) < 1e-5, `w${c + 1} in the cytoplasm`);
  assert.equal(canvas.owner[256 * 512 + 272], 0);
  // Beyond the territory (semi-axes 36 x 24) nothing is painted and no cell owns the pixel.
  assert.equal(canvas.owner[256 * 512 + 300], -1);
  for (let c = 0; c < 6; c++) assert.equal(at(c, 300, 256), 0);
  addBackground(look, textures, OFFSETS, canvas);
  for (let c = 0; c < 6; c++) {
    assert.ok(Math.abs(at(c, 300, 256) - 0.1) < 1e-6, `w${c + 1} background`);
    assert.ok(Math.abs(at(c, 272, 256) - cytoplasm - 0.1) < 1e-5, `w${c + 1} background adds to the cell`);
  }
});

test('the membrane shows where two territories meet; the cytoplasm thins there', () => {
  const canvas = createCanvas();
  const plain = lookOf();
  const look = { ...plain, channels: plain.channels.map((m, c) => ({ ...m, membrane: c === 5 ? 3 : 0 })) };
  paintCells([singleCell(200, 256), singleCell(250, 256)], look, flatTextures(), OFFSETS, canvas);
  // Halfway between the two nuclei the owner changes; there w6 (membrane 3) is brighter than 6 px inside the cell,
  // and w2 (no membrane) dimmer.
  assert.equal(canvas.owner[256 * 512 + 224], 0);
  assert.equal(canvas.owner[256 * 512 + 225], 1);
  const [, w2, , , , w6] = canvas.channels;
  const boundary = 256 * 512 + 224;
  const inside = 256 * 512 + 218;
  assert.ok(w6[boundary] > w6[inside] + 1, `w6 ${w6[boundary]} vs ${w6[inside]}`);
  assert.ok(w2[boundary] < 0.5 * w2[inside], `w2 ${w2[boundary]} vs ${w2[inside]}`);
});
