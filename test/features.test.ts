import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { aggregateNames, aggregateObjects, aggregateValues } from '../src/features/aggregate.js';
import { aggregateToWells } from '../src/store/wells.js';
import { measureColocalization, objectPixels } from '../src/features/colocalization.js';
import { distanceTransformSquared } from '../src/features/distance.js';
import { gaussianFilter, toFloat32 } from '../src/features/gaussian.js';
import { measureGranularity } from '../src/features/granularity.js';
import { measureIntensity, objectEdges } from '../src/features/intensity.js';
import { filterObjects, label } from '../src/features/label.js';
import { hMaxima, regionalMaxima } from '../src/features/maxima.js';
import { fillHoles, reconstructByDilation } from '../src/features/morphology.js';
import { segmentNuclei } from '../src/features/segment.js';
import { measureShape, SHAPE_FEATURES } from '../src/features/shape.js';
import { measureTexture, TEXTURE_FEATURES } from '../src/features/texture.js';
import { thresholdLi, thresholdOtsu } from '../src/features/threshold.js';
import { watershed } from '../src/features/watershed.js';
import { decodeGray8 } from '../src/codec/png.js';
import { loadSite } from '../src/image/site.js';
import { META, type ProfileTable } from '../src/store/profiles.js';
import { FIXTURES, readFixture, SHARED_RXRX1, needsSample } from './helpers.js';

const SIZE = 512;
const CELL_TYPES = ['HEPG2', 'HUVEC', 'RPE', 'U2OS'] as const;

function realSite(cellType: string): Uint8Array {
  return loadSite(path.join(SHARED_RXRX1, 'images'), {
    dataset: 'train',
    experiment: `${cellType}-01`,
    plate: 1,
    well: 'B02',
    site: 1,
  });
}

/** Label image stored by scripts/fixtures/features_parity.py: low byte in rows 0..511, high byte below. */
function fixtureLabels(name: string): { labels: Int32Array; count: number } {
  const { pixels } = decodeGray8(fs.readFileSync(path.join(FIXTURES, name)), { width: SIZE, height: 2 * SIZE });
  const labels = new Int32Array(SIZE * SIZE);
  let count = 0;
  for (let i = 0; i < labels.length; i++) {
    labels[i] = pixels[i] | (pixels[i + SIZE * SIZE] << 8);
    if (labels[i] > count) count = labels[i];
  }
  return { labels, count };
}

function assertClose(actual: number, expected: number, relative: number, what: string): void {
  const scale = Math.max(Math.abs(expected), 1e-12);
  assert.ok(
    Math.abs(actual - expected) <= relative * scale,
    `${what}: ${actual} vs expected ${expected} (relative tolerance ${relative})`,
  );
}

/** Deterministic pseudo-random numbers (mulberry32). */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface ParityObject {
  area: number;
  perimeter: number;
  eccentricity: number;
  solidity: number;
  extent: number;
  major_axis_length: number;
  minor_axis_length: number;
  orientation: number;
  mean: number[];
  std: number[];
  integrated: number[];
  min: number[];
  max: number[];
}
interface ParitySite {
  threshold: { otsu: number; li: number };
  count: { nuclei: number; cells: number };
  nuclei: Record<string, ParityObject>;
  cells: Record<string, ParityObject>;
  colocalization: Record<string, { Correlation: number; M1: number; M2: number }>;
  texture: Record<string, Record<string, number>>;
}
const parity = readFixture<{ sites: Record<string, ParitySite> }>('features-parity.json').sites;

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

describe('parity with scikit-image on real RxRx1 sites', { skip: needsSample() }, () => {
  const tensors = new Map(CELL_TYPES.map((cellType) => [cellType, realSite(cellType)]));

  test('Otsu and Li thresholds of the Gaussian-smoothed w1 match skimage.filters', () => {
    for (const cellType of CELL_TYPES) {
      const w1 = tensors.get(cellType)!.subarray(0, SIZE * SIZE);
      const smooth = gaussianFilter(toFloat32(w1), SIZE, SIZE, { sigma: 2, scale: 1 / 255 });
      // The smoothed image is float32 here and float64 in skimage: agreement to float32 precision.
      assertClose(thresholdOtsu(smooth), parity[cellType].threshold.otsu, 1e-6, `${cellType} otsu`);
      assertClose(thresholdLi(smooth), parity[cellType].threshold.li, 1e-6, `${cellType} li`);
    }
  });

  test('shape matches regionprops (1e-6) and intensity matches numpy (1e-9) on the same label images', () => {
    for (const cellType of CELL_TYPES) {
      const tensor = tensors.get(cellType)!;
      for (const set of ['nuclei', 'cells'] as const) {
        const { labels, count } = fixtureLabels(`features-labels-${cellType}-${set}.png`);
        assert.equal(count, parity[cellType].count[set]);
        const shape = measureShape(labels, count, SIZE, SIZE);
        const pixels = objectPixels(labels);
        const edges = objectEdges(labels, SIZE, SIZE);
        const intensity = Array.from({ length: 6 }, (_, c) =>
          measureIntensity(labels, count, tensor.subarray(c * SIZE * SIZE, (c + 1) * SIZE * SIZE), edges, pixels),
        );
        for (const [id, expected] of Object.entries(parity[cellType][set])) {
          const o = Number(id) - 1;
          const where = `${cellType} ${set} ${id}`;
          assertClose(shape.Area[o], expected.area, 1e-6, `${where} area`);
          assertClose(shape.Perimeter[o], expected.perimeter, 1e-6, `${where} perimeter`);
          assertClose(shape.Eccentricity[o], expected.eccentricity, 1e-6, `${where} eccentricity`);
          assertClose(shape.Solidity[o], expected.solidity, 1e-6, `${where} solidity`);
          assertClose(shape.Extent[o], expected.extent, 1e-6, `${where} extent`);
          assertClose(shape.MajorAxisLength[o], expected.major_axis_length, 1e-6, `${where} major axis`);
          assertClose(shape.MinorAxisLength[o], expected.minor_axis_length, 1e-6, `${where} minor axis`);
          assert.ok(
            Math.abs(shape.Orientation[o] - expected.orientation) <= 1e-6,
            `${where} orientation ${shape.Orientation[o]} vs ${expected.orientation}`,
          );
          assertClose(
            shape.FormFactor[o],
            (4 * Math.PI * expected.area) / expected.perimeter ** 2,
            1e-6,
            `${where} form factor`,
          );
          for (let c = 0; c < 6; c++) {
            assertClose(intensity[c].MeanIntensity[o], expected.mean[c], 1e-9, `${where} mean w${c + 1}`);
            assertClose(intensity[c].StdIntensity[o], expected.std[c], 1e-9, `${where} std w${c + 1}`);
            assertClose(
              intensity[c].IntegratedIntensity[o],
              expected.integrated[c],
              1e-9,
              `${where} integrated w${c + 1}`,
            );
            assertClose(intensity[c].MinIntensity[o], expected.min[c], 1e-9, `${where} min w${c + 1}`);
            assertClose(intensity[c].MaxIntensity[o], expected.max[c], 1e-9, `${where} max w${c + 1}`);
          }
        }
      }
    }
  });

  test('colocalization matches numpy (Pearson) and the CellProfiler Manders rule; texture matches graycoprops and the formulas', () => {
    for (const cellType of CELL_TYPES) {
      const tensor = tensors.get(cellType)!;
      const cells = fixtureLabels(`features-labels-${cellType}-cells.png`);
      const pairs = [
        { a: 0, b: 1, nameA: 'w1', nameB: 'w2' },
        { a: 2, b: 5, nameA: 'w3', nameB: 'w6' },
      ];
      const colocalization = measureColocalization(cells.labels, cells.count, tensor, objectPixels(cells.labels), {
        pairs,
      });
      for (const [key, expected] of Object.entries(parity[cellType].colocalization)) {
        const [id, pair] = key.split(':');
        const [a, b] = pair.split('_');
        const o = Number(id) - 1;
        assertClose(
          colocalization[`Correlation_${a}_${b}`][o],
          expected.Correlation,
          1e-9,
          `${cellType} ${key} correlation`,
        );
        assertClose(colocalization[`Manders_${a}_${b}`][o], expected.M1, 1e-9, `${cellType} ${key} M1`);
        assertClose(colocalization[`Manders_${b}_${a}`][o], expected.M2, 1e-9, `${cellType} ${key} M2`);
      }
      const nuclei = fixtureLabels(`features-labels-${cellType}-nuclei.png`);
      const texture = measureTexture(
        nuclei.labels,
        nuclei.count,
        SIZE,
        SIZE,
        tensor.subarray(0, SIZE * SIZE),
        objectPixels(nuclei.labels),
      );
      for (const [id, expected] of Object.entries(parity[cellType].texture)) {
        for (const name of TEXTURE_FEATURES)
          assertClose(texture[name][Number(id) - 1], expected[name], 1e-9, `${cellType} nucleus ${id} ${name}`);
      }
    }
  });

  test('nuclei counts are within 15% of the hand counts (one site per cell type)', () => {
    const hand = readFixture<{ interior: Record<string, number>; tolerance: number }>('features-hand-counts.json');
    for (const cellType of CELL_TYPES) {
      const { count } = segmentNuclei(tensors.get(cellType)!, SIZE, SIZE);
      const expected = hand.interior[cellType];
      assert.ok(
        Math.abs(count - expected) <= hand.tolerance * expected,
        `${cellType}: ${count} nuclei segmented, ${expected} counted by hand`,
      );
      // The scikit-image mirror of the pipeline finds the same number.
      assert.equal(count, parity[cellType].count.nuclei, `${cellType}: scikit-image pipeline count`);
    }
  });
});

describe('measurements', () => {
  test('shape of a filled rectangle: exact area, perimeter, hull and axes', () => {
    const width = 20;
    const height = 12;
    const labels = new Int32Array(width * height);
    for (let y = 3; y < 8; y++) for (let x = 4; x < 14; x++) labels[y * width + x] = 1;
    const shape = measureShape(labels, 1, width, height);
    assert.equal(shape.Area[0], 50);
    assert.equal(shape.Solidity[0], 1);
    assert.equal(shape.Extent[0], 1);
    // skimage.measure.perimeter gives 26 (each side's boundary run counts its length minus one).
    assert.equal(shape.Perimeter[0], 26);
    // Variance of 0..9 is 8.25, of 0..4 is 2: axes 4 sqrt(var).
    assert.ok(Math.abs(shape.MajorAxisLength[0] - 4 * Math.sqrt(8.25)) < 1e-12);
    assert.ok(Math.abs(shape.MinorAxisLength[0] - 4 * Math.sqrt(2)) < 1e-12);
    assert.equal(shape.Orientation[0], Math.PI / 2);
    assert.deepEqual(Object.keys(shape), [...SHAPE_FEATURES]);
  });

  test('intensity quartiles follow CellProfiler, edges are the 8-neighbour outline', () => {
    const labels = Int32Array.from([1, 1, 1, 1, 1, 1, 1, 1, 1]);
    const channel = Uint8Array.from([0, 10, 20, 30, 40, 50, 60, 70, 80]);
    const r = measureIntensity(labels, 1, channel, objectEdges(labels, 3, 3), objectPixels(labels));
    // n = 9: q n = 2.25 -> s[2] * 0.75 + s[3] * 0.25 = 22.5; median 4.5 -> 45; upper 6.75 -> 67.5.
    assert.ok(Math.abs(r.LowerQuartileIntensity[0] - 22.5 / 255) < 1e-15);
    assert.ok(Math.abs(r.MedianIntensity[0] - 45 / 255) < 1e-15);
    assert.ok(Math.abs(r.UpperQuartileIntensity[0] - 67.5 / 255) < 1e-15);
    // Every pixel of a 3x3 image is on the image border, so all are edge pixels.
    assert.ok(Math.abs(r.MeanIntensityEdge[0] - 40 / 255) < 1e-15);
  });

  test('granularity: a flat image has none; small spots show at small scales only', () => {
    const width = 128;
    const height = 128;
    const flat = new Uint8Array(width * height).fill(100);
    const labels = new Int32Array(width * height).fill(1);
    const none = measureGranularity(flat, width, height, [{ labels, count: 1 }], {
      subsampleSize: 1,
      imageSampleSize: 0.25,
      elementSize: 4,
      spectrumLength: 4,
    });
    assert.deepEqual([...none.image], [0, 0, 0, 0]);
    const spots = new Uint8Array(width * height).fill(20);
    for (let y = 4; y < height; y += 10) for (let x = 4; x < width; x += 10) spots[y * width + x] = 200;
    const g = measureGranularity(spots, width, height, [{ labels, count: 1 }], {
      subsampleSize: 1,
      imageSampleSize: 0.25,
      elementSize: 4,
      spectrumLength: 4,
    });
    assert.ok(g.image[0] > 50, `scale 1 holds the single-pixel spots (${g.image[0]})`);
    assert.ok(Math.abs(g.image[1]) < 1e-9 && Math.abs(g.image[3]) < 1e-9);
    assert.ok(Math.abs(g.objects[0][0][0] - g.image[0]) < 1e-9, 'one object covering the image measures as the image');
  });

  test('aggregation: median and mean skip NaN; site names; wells by Metadata_well_id', () => {
    assert.equal(aggregateValues([3, NaN, 1, 2], 4, 'median'), 2);
    assert.equal(aggregateValues([4, 1, 2, 3], 4, 'median'), 2.5);
    assert.equal(aggregateValues([NaN, 1, 2], 3, 'mean'), 1.5);
    assert.ok(Number.isNaN(aggregateValues([NaN], 1, 'mean')));
    assert.deepEqual(aggregateNames(['Nuclei_AreaShape_Area'], ['median', 'mean']), [
      'Nuclei_AreaShape_Area',
      'Mean_Nuclei_AreaShape_Area',
    ]);
    const site = aggregateObjects({ count: 3, names: ['A'], columns: [Float64Array.from([1, 2, 6])] }, [
      'median',
      'mean',
    ]);
    assert.deepEqual([...site], [2, 3]);
    const table: ProfileTable = {
      rows: 3,
      metadata: { [META.wellId]: ['E_1_B02', 'E_1_B02', 'E_1_B03'], [META.site]: [1, 2, 1], [META.plate]: [1, 1, 1] },
      features: ['f'],
      columns: [Float32Array.from([1, 3, 10])],
    };
    const wells = aggregateToWells(table);
    assert.equal(wells.rows, 2);
    assert.deepEqual(Object.keys(wells.metadata), [META.wellId, META.plate]);
    assert.deepEqual([...wells.columns[0]], [2, 10]);
  });
});
