import { test } from 'node:test';
import assert from 'node:assert/strict';
import { placeCells, type PlacementParams } from '../../../src/data/simulate/cells.js';
import { TEXTURE_SIZE } from '../../../src/data/simulate/textures.js';
import { rngFor } from '../../../src/util/random.js';

const PARAMS: PlacementParams = {
  count: 150,
  nucleusRadius: 10,
  nucleusSizeSd: 0.15,
  aspect: 1.4,
  aspectSd: 0.1,
  lobes: 0.05,
  holes: 0,
  alignment: 0,
  cellSd: [0.2, 0.2, 0.2, 0.2, 0.4, 0.1],
};
const FLAT = new Float32Array(TEXTURE_SIZE * TEXTURE_SIZE).fill(1);

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[sorted.length >> 1];
}

function sd(values: number[]): number {
  const mean = values.reduce((s, v) => s + v, 0) / values.length;
  return Math.sqrt(values.reduce((s, v) => s + (v - mean) ** 2, 0) / (values.length - 1));
}

test('placement draws nucleus sizes, aspects and stain brightness from the given distributions', () => {
  const cells = Array.from({ length: 6 }, (_, i) => placeCells(PARAMS, rngFor(3, 'cells', i), FLAT, { x: 0, y: 0 }))
    .flat()
    .filter((c) => !c.mitotic);
  assert.ok(cells.length > 700, `${cells.length} interphase cells placed`);
  const logRadius = cells.map((c) => Math.log(Math.sqrt(c.a * c.b)));
  assert.ok(Math.abs(Math.exp(median(logRadius)) / PARAMS.nucleusRadius - 1) < 0.04, 'median radius');
  assert.ok(Math.abs(sd(logRadius) / PARAMS.nucleusSizeSd - 1) < 0.15, `radius log-sd ${sd(logRadius)}`);
  assert.ok(Math.abs(median(cells.map((c) => c.a / c.b)) / PARAMS.aspect - 1) < 0.04, 'median aspect');
  cells.forEach((c) => {
    assert.ok(c.a >= c.b);
  });
  // Brightness is log-normal with mean 1 in every stain, and shares 0.6^2 of its log variance between stains.
  for (let channel = 0; channel < 6; channel++) {
    const gains = cells.map((c) => c.gain[channel]);
    const mean = gains.reduce((s, v) => s + v, 0) / gains.length;
    assert.ok(Math.abs(mean - 1) < 0.05, `w${channel + 1} mean brightness ${mean}`);
    assert.ok(Math.abs(sd(gains.map(Math.log)) / PARAMS.cellSd[channel] - 1) < 0.12, `w${channel + 1} log-sd`);
  }
  const x = cells.map((c) => Math.log(c.gain[1]));
  const y = cells.map((c) => Math.log(c.gain[3]));
  const mx = x.reduce((s, v) => s + v, 0) / x.length;
  const my = y.reduce((s, v) => s + v, 0) / y.length;
  const r =
    x.reduce((s, v, i) => s + (v - mx) * (y[i] - my), 0) /
    Math.sqrt(x.reduce((s, v) => s + (v - mx) ** 2, 0) * y.reduce((s, v) => s + (v - my) ** 2, 0));
  assert.ok(Math.abs(r - 0.36) < 0.08, `correlation of w2 and w4 brightness ${r}`);
});

test('nuclei do not overlap, and a dense request is capped by the room there is', () => {
  const cells = placeCells({ ...PARAMS, count: 5000 }, rngFor(4, 'dense'), FLAT, { x: 0, y: 0 });
  assert.ok(cells.length < 5000 && cells.length > 400, `${cells.length} nuclei fit`);
  for (let i = 0; i < cells.length; i++) {
    for (let j = i + 1; j < cells.length; j++) {
      const distance = Math.hypot(cells[i].x - cells[j].x, cells[i].y - cells[j].y);
      // The inscribed circles (radius b) of two kept nuclei never overlap.
      assert.ok(distance >= cells[i].b + cells[j].b, `nuclei ${i} and ${j} overlap`);
    }
  }
});

test('aligned cells follow the orientation field; unaligned ones point anywhere', () => {
  const spread = (alignment: number) => {
    const cells = placeCells({ ...PARAMS, alignment }, rngFor(5, 'aligned'), FLAT, { x: 0, y: 0 });
    // Mean resultant length of the doubled angles: 1 when all point alike, near 0 when uniform.
    const c = cells.reduce((s, cell) => s + (cell.cos ** 2 - cell.sin ** 2), 0) / cells.length;
    const s = cells.reduce((acc, cell) => acc + 2 * cell.cos * cell.sin, 0) / cells.length;
    return Math.hypot(c, s);
  };
  // A flat field is one orientation everywhere.
  assert.ok(spread(1) > 0.99, `aligned ${spread(1)}`);
  assert.ok(spread(0) < 0.2, `random ${spread(0)}`);
});
