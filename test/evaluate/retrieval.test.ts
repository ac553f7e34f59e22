/**
 * src/evaluate/retrieval.ts: average precision, mAP, permutation nulls and Benjamini-Hochberg against
 * hand-computed values.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  averagePrecision,
  benjaminiHochberg,
  meanAveragePrecision,
  phenotypicActivity,
  randomAveragePrecisions,
  replicateRetrieval,
  similarityAveragePrecision,
} from '../../src/evaluate/retrieval.js';
import { matrix } from '../../src/numerics/index.js';
import { Rng } from '../../src/util/random.js';
import { close, f32 } from '../helpers.js';

test('average precision and mAP equal hand-computed values', () => {
  close(averagePrecision([1, 0, 1, 0, 0, 1]), (1 + 2 / 3 + 3 / 6) / 3, 1e-12, 'AP of a ranked list');
  close(
    similarityAveragePrecision(Float64Array.from([0.9, 0.5, 0.1]), Float64Array.from([0.7, 0.3, 0.2])),
    13 / 18,
    1e-12,
    'AP from similarities',
  );
  close(
    similarityAveragePrecision(Float64Array.from([0.5]), Float64Array.from([0.5])),
    0.5,
    1e-12,
    'ties rank negatives first',
  );
  // Replicate retrieval on 5 wells (cosine similarities worked out by hand, see the comment of each query).
  const X = f32([1, 0, 0.8, 0.6, 0.6, 0.8, 0, 1, -1, 0]);
  const labels = [0, 0, 1, 1, 0];
  const plates = ['p1', 'p2', 'p1', 'p2', 'p1'];
  const queries = replicateRetrieval(matrix(X, 5, 2), labels, plates);
  // w0: pos {w1 .8}, neg {w2 .6, w3 0} -> 1; w4 (same plate as w0) is not a candidate.
  // w1: pos {w0 .8, w4 -.8}, neg {w2 .96, w3 .6} -> (1/2 + 2/4) / 2 = 0.5
  // w2: pos {w3 .8}, neg {w0 .6, w1 .96, w4 -.6} -> 1/2; w3: pos {w2 .8}, neg {w0 0, w1 .6, w4 0} -> 1
  // w4: pos {w1 -.8}, neg {w2 -.6, w3 0} -> 1/3
  assert.deepEqual(
    queries.map((q) => [q.label, Number(q.ap.toFixed(6)), q.positives, q.total]),
    [
      [0, 1, 1, 3],
      [0, 0.5, 2, 4],
      [1, 0.5, 1, 4],
      [1, 1, 1, 4],
      [0, Number((1 / 3).toFixed(6)), 1, 3],
    ],
  );
  const summary = meanAveragePrecision(queries, { nullSize: 1000, seed: 1 });
  close(summary.groups[0].map, (1 + 0.5 + 1 / 3) / 3, 1e-12, 'mAP of siRNA 0');
  close(summary.groups[1].map, 0.75, 1e-12, 'mAP of siRNA 1');
  close(summary.meanMap, ((1 + 0.5 + 1 / 3) / 3 + 0.75) / 2, 1e-12, 'mean mAP');
  // Activity: positives = replicates, negatives = controls.
  const A = f32([1, 0, 0.8, 0.6, 0, 1, 0.6, 0.8]);
  const activity = phenotypicActivity(matrix(A, 4, 2), [7, 7, -1, -1], [1, 1, 0, 0], [0, 0, 1, 1]);
  assert.deepEqual(
    activity.map((q) => Number(q.ap.toFixed(6))),
    [1, 0.5],
  );
});

test('permutation nulls, p-values and Benjamini-Hochberg', () => {
  // One positive among two candidates: AP is 1 or 1/2 with probability 1/2 each.
  const nulls = randomAveragePrecisions(1, 2, 4000, new Rng(3));
  const ones = nulls.filter((v) => v === 1).length;
  assert.ok(Math.abs(ones / 4000 - 0.5) < 0.03, `P(AP = 1) = ${ones / 4000}`);
  assert.ok(nulls.every((v) => v === 1 || v === 0.5));
  // Mean of random AP with 1 positive among N is H_N / N.
  const n = 10;
  const mean = randomAveragePrecisions(1, n, 20000, new Rng(4)).reduce((a, b) => a + b, 0) / 20000;
  const harmonic = Array.from({ length: n }, (_, i) => 1 / (i + 1)).reduce((a, b) => a + b, 0) / n;
  close(mean, harmonic, 0.01, 'mean random AP');
  const summary = meanAveragePrecision(
    [
      { label: 1, ap: 1, positives: 1, total: 2 },
      { label: 2, ap: 0.5, positives: 1, total: 2 },
    ],
    { nullSize: 999, seed: 0 },
  );
  close(summary.groups[0].pValue, 1 / 1000, 1e-12, 'p of a perfect AP');
  assert.ok(Math.abs(summary.groups[1].pValue - 0.5) < 0.06, `p of AP 1/2: ${summary.groups[1].pValue}`);
  const q = benjaminiHochberg([0.01, 0.04, 0.03, 0.2]);
  [0.04, 0.16 / 3, 0.16 / 3, 0.2].forEach((v, i) => {
    close(q[i], v, 1e-12, `BH q ${i}`);
  });
});
