/**
 * src/correct/harmony.ts: a numpy run of harmonypy's algorithm reproduced; defaults merge batches and are
 * deterministic.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { correctProfiles, harmonize } from '../../src/correct/index.js';
import { matrix } from '../../src/numerics/index.js';
import { readFixture } from '../helpers.js';
import { generator, simulatedTable } from './tables.js';

interface HarmonyFixture {
  Z: number[][];
  batch: number[];
  B: number;
  K: number;
  initialCentroids: number[][];
  corrected: number[][];
  objective: number[];
  iterations: number;
}
const harmonyFixture = readFixture<HarmonyFixture>('correct-harmony.json');

test("Harmony reproduces a numpy run of harmonypy's algorithm from the same centroids (one update block)", () => {
  const d = harmonyFixture.Z[0].length;
  const result = harmonize(
    matrix(Float64Array.from(harmonyFixture.Z.flat()), harmonyFixture.Z.length, d),
    Int32Array.from(harmonyFixture.batch),
    harmonyFixture.B,
    {
      clusters: harmonyFixture.K,
      blockSize: 1,
      initialCentroids: matrix(Float64Array.from(harmonyFixture.initialCentroids.flat()), harmonyFixture.K, d),
    },
  );
  assert.equal(result.iterations, harmonyFixture.iterations);
  result.objective.forEach((value, i) => {
    assert.ok(
      // Responsibilities are kept in float32 (the per-cell memory of Harmony), so parity is to float32 precision.
      Math.abs(value - harmonyFixture.objective[i]) < 1e-6 * Math.abs(harmonyFixture.objective[i]),
      `objective ${i}`,
    );
  });
  harmonyFixture.corrected.forEach((values, i) => {
    values.forEach((e, l) => {
      assert.ok(Math.abs(result.embedding.data[i * d + l] - e) < 1e-5, `embedding [${i}, ${l}]`);
    });
  });
});

/** Share of the variance of an N x d embedding explained by the means of the labelled groups. */
function groupSpread(E: Float64Array, d: number, labels: Int32Array): number {
  const N = labels.length;
  const groups = Math.max(...labels) + 1;
  let between = 0;
  let total = 0;
  for (let l = 0; l < d; l++) {
    let mean = 0;
    for (let i = 0; i < N; i++) mean += E[i * d + l] / N;
    const sums = new Float64Array(groups);
    const counts = new Float64Array(groups);
    for (let i = 0; i < N; i++) {
      total += (E[i * d + l] - mean) ** 2 / N;
      sums[labels[i]] += E[i * d + l];
      counts[labels[i]]++;
    }
    sums.forEach((sum, g) => {
      between += (sum / counts[g] - mean) ** 2 / groups;
    });
  }
  return between / total;
}

test(
  'Harmony with defaults (k-means++ start, shuffled blocks) merges batches, keeps shared clusters apart, ' +
    'and is deterministic',
  () => {
    const next = generator(5);
    const [N, d, B, T] = [600, 5, 3, 3];
    const centers = Array.from({ length: T }, () => Array.from({ length: d }, () => 4 * next()));
    const shifts = Array.from({ length: B }, () => Array.from({ length: d }, () => 3 * next()));
    const batch = Int32Array.from({ length: N }, (_, i) => i % B);
    const type = Int32Array.from({ length: N }, (_, i) => Math.floor(i / B) % T);
    const Z = Float64Array.from(
      { length: N * d },
      (_, at) => centers[type[Math.floor(at / d)]][at % d] + shifts[batch[Math.floor(at / d)]][at % d] + 0.7 * next(),
    );
    const result = harmonize(matrix(Z, N, d), batch, B);
    assert.ok(result.converged);
    const [batchBefore, batchAfter] = [groupSpread(Z, d, batch), groupSpread(result.embedding.data, d, batch)];
    assert.ok(batchAfter < batchBefore / 20, `batch-mean spread ${batchBefore.toFixed(3)} -> ${batchAfter.toFixed(4)}`);
    assert.ok(groupSpread(result.embedding.data, d, type) > groupSpread(Z, d, type), 'the shared clusters stay apart');
    assert.deepEqual(
      harmonize(matrix(Z, N, d), batch, B).embedding,
      result.embedding,
      'same input and seed, same output',
    );
    assert.notDeepEqual(
      harmonize(matrix(Z, N, d), batch, B, { seed: 1 }).embedding,
      result.embedding,
      'the seed is used',
    );
    const table = simulatedTable({ experiments: 3, plates: 1, perPlate: 60, negatives: 10, p: 6, seed: 12 });
    const first = correctProfiles(table, { method: 'harmony', batch: 'experiment' });
    assert.deepEqual(first.features, ['PC_1', 'PC_2', 'PC_3', 'PC_4', 'PC_5', 'PC_6']);
    assert.deepEqual(correctProfiles(table, { method: 'harmony', batch: 'experiment' }).columns, first.columns);
  },
);
