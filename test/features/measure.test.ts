/** Measurements on hand-made objects: shape, intensity, granularity, and aggregation to sites and wells. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { aggregateNames, aggregateObjects, aggregateValues } from '../../src/features/aggregate.js';
import { aggregateToWells } from '../../src/store/wells.js';
import { objectPixels } from '../../src/features/colocalization.js';
import { measureGranularity } from '../../src/features/granularity.js';
import { measureIntensity, objectEdges } from '../../src/features/intensity.js';
import { measureShape, SHAPE_FEATURES } from '../../src/features/shape.js';
import { META, type ProfileTable } from '../../src/store/profiles.js';

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
