import { test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import path from 'node:path';
import { compositeRgb } from '../../src/image/rgb.js';
import { RGB_MAP, type DisplayRange } from '../../src/rxrx1/index.js';
import { loadSite, type SiteLocation } from '../../src/image/site.js';
import { channelHistogram, histogramPercentile } from '../../src/image/stats.js';
import { readFixture, SHARED_RXRX1, needsSample } from '../helpers.js';

interface RgbCase {
  name: string;
  site: SiteLocation;
  channels: number[];
  ranges?: Record<string, [number, number]>;
  percentiles?: [number, number];
  percentileRanges?: Record<string, [number, number]>;
  sha256: string;
  componentSums: [number, number, number];
  saturated: number;
  samples: { y: number; x: number; rgb: [number, number, number] }[];
}

const IMAGES = path.join(SHARED_RXRX1, 'images');
const { cases } = readFixture<{ cases: RgbCase[] }>('rgb-reference.json');

test('the fixture covers every cell type, the test set, the incomplete site, custom ranges and percentiles', () => {
  const experiments = new Set(cases.map((c) => c.site.experiment.split('-')[0]));
  assert.deepEqual([...experiments].sort(), ['HEPG2', 'HUVEC', 'RPE', 'U2OS']);
  assert.ok(cases.some((c) => c.site.dataset === 'test'));
  assert.ok(cases.some((c) => c.site.site === 2 && c.channels.join() === '1,2,3,4'));
  assert.ok(cases.some((c) => c.ranges) && cases.filter((c) => c.percentiles).length >= 2);
});

for (const c of cases) {
  test(`byte-for-byte rxrx1-utils convert_tensor_to_rgb: ${c.name}`, { skip: needsSample() }, async () => {
    const tensor = await loadSite(IMAGES, c.site, { channels: c.channels });
    const ranges =
      c.ranges && Object.fromEntries(Object.entries(c.ranges).map(([k, r]) => [Number(k), r as DisplayRange]));
    const rgb = compositeRgb(tensor, { channels: c.channels, ranges, percentiles: c.percentiles });
    assert.equal(rgb.length, 512 * 512 * 3);
    for (const { y, x, rgb: expected } of c.samples)
      assert.deepEqual([...rgb.subarray((y * 512 + x) * 3, (y * 512 + x) * 3 + 3)], expected, `pixel (${y}, ${x})`);
    const sums = [0, 0, 0];
    let saturated = 0;
    for (let i = 0; i < rgb.length; i++) {
      sums[i % 3] += rgb[i];
      if (rgb[i] === 255) saturated++;
    }
    assert.deepEqual(sums, c.componentSums);
    assert.equal(saturated, c.saturated);
    assert.equal(crypto.createHash('sha256').update(rgb).digest('hex'), c.sha256);
    if (c.percentileRanges) {
      for (const [channel, expected] of Object.entries(c.percentileRanges)) {
        const histogram = channelHistogram(tensor, Number(channel));
        assert.deepEqual(
          [histogramPercentile(histogram, c.percentiles![0]), histogramPercentile(histogram, c.percentiles![1])],
          expected,
          `w${channel} range`,
        );
      }
    }
  });
}

/** A width x 1 tensor whose channel c (1-based) holds `values[c - 1]`. */
function tinyTensor(values: number[][]): Uint8Array {
  const width = values[0].length;
  const tensor = new Uint8Array(6 * width);
  values.forEach((plane, c) => {
    tensor.set(plane, c * width);
  });
  return tensor;
}

test('hand-computed pixels: the range maps to full colour, partial values truncate, sums clip at 255', () => {
  const zeros = [0, 0, 0];
  const tensor = tinyTensor([[51, 25, 0], [0, 0, 0], [64, 0, 0], zeros, zeros, [0, 0, 191]]);
  const rgb = compositeRgb(tensor, { width: 3, height: 1 });
  // px0: w1 at its range top gives (19, 0, 249); w3 at its top adds (255, 0, 25): 274 -> 255 and 274 -> 255.
  // px1: w1 = 25 gives x = 25/51 = 0.4902: (trunc 9.31, 0, trunc 122.06). px2: w6 at its top gives (254, 255, 40).
  assert.deepEqual([...rgb], [255, 0, 255, 9, 0, 122, 254, 255, 40]);
  assert.deepEqual([...compositeRgb(tensor, { width: 3, height: 1, channels: [3] })], [255, 0, 25, 0, 0, 0, 0, 0, 0]);
  // A custom range for w1 of [0, 25.5] saturates 25.5 and above; w3 keeps its fixed range.
  assert.deepEqual(
    [...compositeRgb(tensor, { width: 3, height: 1, channels: [1], ranges: { 1: [0, 25.5] } })].slice(0, 6),
    [19, 0, 249, 18, 0, 244],
  );
});

test('percentile ranges: a flat channel contributes nothing; conflicting or invalid options are refused', () => {
  const tensor = tinyTensor([
    [0, 10, 20, 30],
    [5, 5, 5, 5],
    [0, 0, 0, 0],
    [0, 0, 0, 0],
    [0, 0, 0, 0],
    [0, 0, 0, 0],
  ]);
  const rgb = compositeRgb(tensor, { width: 4, height: 1, channels: [1, 2], percentiles: [0, 100] });
  // w1 range [0, 30] -> x = v / 30; w2 range [5, 5] is empty.
  assert.deepEqual([...rgb], [0, 0, 0, 6, 0, 83, 12, 0, 166, 19, 0, 249]);
  assert.throws(
    () => compositeRgb(tensor, { width: 4, height: 1, ranges: { 1: [0, 9] }, percentiles: [1, 99] }),
    /either ranges or percentiles/,
  );
  assert.throws(
    () => compositeRgb(tensor, { width: 4, height: 1, ranges: { 2: [9, 9] } }),
    /range for channel 2 is \[9, 9\]/,
  );
  assert.throws(() => compositeRgb(tensor, { width: 4, height: 1, ranges: { 8: [0, 9] } }), /range for channel 8/);
  assert.throws(() => compositeRgb(tensor, { width: 5, height: 1 }), /expected 6 x 5 x 1/);
  assert.throws(() => compositeRgb(tensor, { width: 4, height: 1, percentiles: [1, 101] }), /percentile 101/);
});

test('RGB_MAP holds the rxrx1-utils colours and ranges', () => {
  assert.deepEqual(
    Object.values(RGB_MAP).map((m) => [...m.rgb, ...m.range]),
    [
      [19, 0, 249, 0, 51],
      [42, 255, 31, 0, 107],
      [255, 0, 25, 0, 64],
      [45, 255, 252, 0, 191],
      [250, 0, 253, 0, 89],
      [254, 255, 40, 0, 191],
    ],
  );
});

test('custom colours replace RGB_MAP colours for the channels they name', () => {
  const tensor = new Uint8Array(6 * 4);
  tensor.set([0, 10, 51, 255], 0); // w1
  tensor.set([0, 0, 107, 0], 4); // w2
  const rgb = compositeRgb(tensor, { width: 2, height: 2, channels: [1, 2], colors: { 1: [255, 0, 0] } });
  // w1 in red with range [0, 51]: trunc(v/51 * 255); w2 keeps its rxrx1-utils colour [42, 255, 31] at x = 1.
  assert.deepEqual([...rgb], [0, 0, 0, 50, 0, 0, 255, 255, 31, 255, 0, 0]);
});
