/** src/evaluate/groundTruth.ts: the simulator's ground-truth format, distance rank correlation, fraction detected. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { distanceRankCorrelation, fractionDetected, parseGroundTruth } from '../../src/evaluate/groundTruth.js';
import { matrix } from '../../src/numerics/index.js';
import { close, f32 } from '../helpers.js';

test('ground truth: parsing the simulator format, distance rank correlation, fraction detected', () => {
  const truth = parseGroundTruth({
    version: 1,
    sirnas: {
      '1': {
        sirnaId: 1,
        wellType: 'treatment',
        hasEffect: true,
        phenotype: {
          cellCount: 1,
          nucleusSize: 0,
          eccentricity: 0,
          intensity: [0, 0, 0, 0, 0, 0],
          texture: [0, 0, 0, 0, 0, 0],
        },
      },
      '2': {
        sirnaId: 2,
        wellType: 'treatment',
        hasEffect: false,
        phenotype: {
          cellCount: 0,
          nucleusSize: 0,
          eccentricity: 0,
          intensity: [0, 0, 0, 0, 0, 0],
          texture: [0, 0, 0, 0, 0, 0],
        },
      },
      '3': {
        sirnaId: 3,
        wellType: 'treatment',
        hasEffect: true,
        phenotype: {
          cellCount: 0,
          nucleusSize: 3,
          eccentricity: 0,
          intensity: [0, 0, 0, 0, 0, 0],
          texture: [0, 0, 0, 0, 0, 0],
        },
      },
      '1138': {
        sirnaId: 1138,
        wellType: 'negative_control',
        hasEffect: false,
        phenotype: {
          cellCount: 0,
          nucleusSize: 0,
          eccentricity: 0,
          intensity: [0, 0, 0, 0, 0, 0],
          texture: [0, 0, 0, 0, 0, 0],
        },
      },
    },
  });
  assert.deepEqual([...truth.keys()], [1, 2, 3]);
  assert.equal(truth.get(3)!.phenotype.length, 15);
  // Recovered means scaled copies of the truth: distances rank identically.
  const means = matrix(f32([2, 0, 0, 0, 0, 6]), 3, 2);
  close(
    distanceRankCorrelation(
      means,
      [1, 2, 3],
      new Map([...truth].map(([id, t]) => [id, { ...t, phenotype: t.phenotype.slice(0, 2) }])),
    ),
    1,
    1e-12,
    'rank correlation',
  );
  close(
    fractionDetected(
      new Map([
        [1, 0.01],
        [2, 0.01],
        [3, 0.2],
      ]),
      truth,
    ),
    0.5,
    0,
    'fraction detected',
  );
  assert.throws(() => parseGroundTruth({ sirnas: {} }), /no usable/);
});
