import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { loadSite, type SiteLocation } from '../../src/image/site.js';
import { channelHistogram, channelStats, histogramPercentile } from '../../src/image/stats.js';
import { readFixture, SHARED_RXRX1, needsSample } from '../helpers.js';

interface StatsFixture {
  sites: {
    site: SiteLocation;
    channels: {
      channel: number;
      mean: number;
      std: number;
      min: number;
      max: number;
      percentiles: { q: number; value: number }[];
    }[];
  }[];
}

const IMAGES = path.join(SHARED_RXRX1, 'images');
const { sites } = readFixture<StatsFixture>('channel-stats.json');

for (const { site, channels } of sites) {
  test(`matches numpy on ${site.experiment}_${site.plate}_${site.well}_${site.site}`, {
    skip: needsSample(),
  }, async () => {
    const wanted = channels.map((c) => c.channel);
    const tensor = await loadSite(IMAGES, site, { channels: wanted });
    const qs = channels[0].percentiles.map((p) => p.q);
    const stats = channelStats(tensor, { channels: wanted, percentiles: qs });
    assert.deepEqual(
      stats.map((s) => s.channel),
      wanted,
    );
    stats.forEach((s, i) => {
      const expected = channels[i];
      const label = `w${s.channel}`;
      // Mean and percentiles replicate numpy's float64 operations exactly; std sums in another order (~1e-14).
      assert.equal(s.mean, expected.mean, `${label} mean`);
      assert.ok(Math.abs(s.std - expected.std) <= 1e-9, `${label} std ${s.std} vs numpy ${expected.std}`);
      assert.equal(s.min, expected.min, `${label} min`);
      assert.equal(s.max, expected.max, `${label} max`);
      for (const { q, value } of expected.percentiles) assert.equal(s.percentiles[String(q)], value, `${label} p${q}`);
    });
  });
}

test('hand-computed: mean, population std and linear percentiles of 1, 2, 3, 4', () => {
  const tensor = new Uint8Array(6 * 4);
  tensor.set([4, 1, 3, 2], 8);
  const [stats] = channelStats(tensor, { channels: [3], percentiles: [0, 25, 50, 90, 100] });
  assert.equal(stats.channel, 3);
  assert.equal(stats.mean, 2.5);
  assert.equal(stats.std, Math.sqrt(1.25));
  assert.deepEqual([stats.min, stats.max], [1, 4]);
  // index = 3q: 0 -> 1; 0.75 -> 1 + 0.75; 1.5 -> 3 - 0.5; 2.7 -> 4 - 1 * (1 - 0.7); 3 -> 4.
  assert.deepEqual(stats.percentiles, { 0: 1, 25: 1.75, 50: 2.5, 90: 4 - (1 - (2.7 - 2)), 100: 4 });
  assert.equal(channelStats(tensor).length, 6);
  assert.deepEqual(Object.keys(channelStats(tensor)[0].percentiles), ['1', '25', '50', '75', '99']);
});

test('histograms count every pixel of the plane; bad percentiles and tensors are refused', () => {
  const tensor = new Uint8Array(6 * 10).fill(200);
  tensor.fill(3, 10, 15);
  const histogram = channelHistogram(tensor, 2);
  assert.deepEqual([histogram[3], histogram[200], histogram.reduce((a, b) => a + b)], [5, 5, 10]);
  assert.equal(histogramPercentile(histogram, 50), 101.5);
  assert.throws(() => histogramPercentile(histogram, -1), /percentile -1: expected a number in 0..100/);
  assert.throws(() => histogramPercentile(histogram, NaN), /percentile NaN/);
  assert.throws(() => histogramPercentile(new Uint32Array(256), 50), /empty histogram/);
  assert.throws(() => channelStats(new Uint8Array(7)), /7 bytes: expected 6 equal channel planes/);
});
