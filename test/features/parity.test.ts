/** Parity with scikit-image (and CellProfiler's rules) on real RxRx1 sites, and nuclei hand counts. */
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { measureColocalization, objectPixels } from '../../src/features/colocalization.js';
import { gaussianFilter, toFloat32 } from '../../src/features/gaussian.js';
import { measureIntensity, objectEdges } from '../../src/features/intensity.js';
import { segmentNuclei } from '../../src/features/segment.js';
import { measureShape } from '../../src/features/shape.js';
import { measureTexture, TEXTURE_FEATURES } from '../../src/features/texture.js';
import { thresholdLi, thresholdOtsu } from '../../src/features/threshold.js';
import { readFixture, needsSample } from '../helpers.js';
import { SIZE, CELL_TYPES, realSite, fixtureLabels, assertClose, parity } from './fixtures.js';

describe('parity with scikit-image on real RxRx1 sites', { skip: needsSample() }, () => {
  const tensors = new Map<string, Uint8Array>();
  before(async () => {
    for (const cellType of CELL_TYPES) tensors.set(cellType, await realSite(cellType));
  });

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
