/** The segmentation building blocks: labelling, distance transform, morphology, maxima, watershed. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { distanceTransformSquared } from '../../src/features/distance.js';
import { filterObjects, label } from '../../src/features/label.js';
import { hMaxima, regionalMaxima } from '../../src/features/maxima.js';
import { fillHoles, reconstructByDilation } from '../../src/features/morphology.js';
import { watershed } from '../../src/features/watershed.js';
import { random } from './fixtures.js';

describe('building blocks', () => {
  test('label numbers components in raster order; connectivity 1 vs 2', () => {
    // Two diagonal pixels: one component with 8-neighbours, two with 4-neighbours.
    const mask = Uint8Array.from([1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 1]);
    assert.deepEqual([...label(mask, 4, 3, 2).labels], [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 1]);
    const four = label(mask, 4, 3, 1);
    assert.equal(four.count, 3);
    assert.deepEqual([...four.labels], [1, 0, 0, 0, 0, 2, 0, 0, 0, 0, 3, 3]);
    // A U shape whose arms meet late keeps the number of its first pixel.
    const u = Uint8Array.from([1, 0, 1, 1, 0, 1, 1, 1, 1]);
    assert.deepEqual([...label(u, 3, 3, 1).labels], [1, 0, 1, 1, 0, 1, 1, 1, 1]);
  });

  test('exact distance transform equals brute force', () => {
    const rand = random(7);
    const width = 37;
    const height = 23;
    const mask = Uint8Array.from({ length: width * height }, () => (rand() < 0.93 ? 1 : 0));
    const d = distanceTransformSquared(mask, width, height);
    for (let i = 0; i < mask.length; i++) {
      let best = Infinity;
      for (let j = 0; j < mask.length; j++) {
        if (mask[j]) continue;
        const dy = ((i / width) | 0) - ((j / width) | 0);
        const dx = (i % width) - (j % width);
        best = Math.min(best, dx * dx + dy * dy);
      }
      assert.equal(d[i], mask[i] ? best : 0);
    }
  });

  test('fillHoles fills enclosed background only', () => {
    const mask = Uint8Array.from([0, 1, 1, 1, 0, 0, 1, 0, 1, 0, 0, 1, 1, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0]);
    fillHoles(mask, 5, 5);
    assert.deepEqual([...mask], [0, 1, 1, 1, 0, 0, 1, 1, 1, 0, 0, 1, 1, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0]);
  });

  test('reconstruction by dilation equals iterated geodesic dilation', () => {
    const rand = random(3);
    const width = 19;
    const height = 13;
    const mask = Float32Array.from({ length: width * height }, () => Math.round(rand() * 10));
    const seed = mask.map((v) => (rand() < 0.1 ? v : 0));
    const expected = seed.slice();
    for (let changed = true; changed; ) {
      changed = false;
      const next = expected.slice();
      for (let y = 0; y < height; y++) {
        for (let x = 0; x < width; x++) {
          const i = y * width + x;
          let v = expected[i];
          if (y > 0) v = Math.max(v, expected[i - width]);
          if (y + 1 < height) v = Math.max(v, expected[i + width]);
          if (x > 0) v = Math.max(v, expected[i - 1]);
          if (x + 1 < width) v = Math.max(v, expected[i + 1]);
          next[i] = Math.min(v, mask[i]);
          if (next[i] !== expected[i]) changed = true;
        }
      }
      expected.set(next);
    }
    assert.deepEqual([...reconstructByDilation(seed, mask, width, height)], [...expected]);
  });

  test('h-maxima keeps maxima whose dip to a higher one is at least h', () => {
    // Profile along one row: peaks 5 (dip to 4) and 9 (dip to 2) and 6.
    const row = Float32Array.from([1, 5, 4, 9, 2, 6, 1]);
    const mask = new Uint8Array(row.length).fill(1);
    assert.equal(regionalMaxima(row, mask, row.length, 1).count, 3);
    const { labels, count } = hMaxima(row, mask, row.length, 1, 2);
    assert.equal(count, 2);
    assert.ok(labels[3] > 0 && labels[5] > 0 && labels[1] === 0);
  });

  test('watershed splits two touching disks at the neck', () => {
    const width = 60;
    const height = 30;
    const mask = new Uint8Array(width * height);
    for (let y = 0; y < height; y++)
      for (let x = 0; x < width; x++)
        if ((x - 20) ** 2 + (y - 15) ** 2 <= 100 || (x - 36) ** 2 + (y - 15) ** 2 <= 100) mask[y * width + x] = 1;
    const d = distanceTransformSquared(mask, width, height);
    const levels = Int32Array.from(d, (v) => 200 - v);
    const markers = new Int32Array(width * height);
    markers[15 * width + 20] = 1;
    markers[15 * width + 36] = 2;
    const labels = watershed(levels, markers, width, height, { mask });
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const l = labels[y * width + x];
        if (!mask[y * width + x]) assert.equal(l, 0);
        else if (x < 27) assert.equal(l, 1, `pixel ${x},${y}`);
        else if (x > 29) assert.equal(l, 2, `pixel ${x},${y}`);
      }
    }
  });

  test('filterObjects drops border-touching and out-of-range objects and renumbers', () => {
    const labels = Int32Array.from([1, 0, 0, 0, 0, 2, 2, 0, 0, 2, 2, 0, 0, 3, 0, 0]);
    const kept = filterObjects(labels, 3, 4, 4, { excludeBorderObjects: true });
    assert.deepEqual([...kept.keep], [0, 0, 1, 0]);
    const bySize = filterObjects(labels, 3, 4, 4, { diameterRange: [1.5, 10] });
    assert.deepEqual([...bySize.keep], [0, 0, 1, 0]);
  });
});
