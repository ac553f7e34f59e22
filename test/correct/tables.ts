/** Profile tables for the correct/ tests: from fixture rows (scripts/fixtures/correct_reference.py) or simulated. */
import assert from 'node:assert/strict';
import type { ProfileTable } from '../../src/store/profiles.js';
import { readFixture } from '../helpers.js';

/** Fixture rows; null stands for NaN. */
export type Rows = (number | null)[][];

export interface Layout {
  experiment: string[];
  plate: number[];
  wellType: string[];
}

/** A profile table from a fixture: rows of X (null = NaN) with experiment/plate/well type metadata. */
export function fixtureTable(layout: Layout, X: Rows, names?: string[]): ProfileTable {
  const n = X.length;
  const p = X[0].length;
  return {
    rows: n,
    metadata: {
      Metadata_site_id: layout.experiment.map((e, i) => `${e}_${layout.plate[i]}_R${i}_1`),
      Metadata_experiment: [...layout.experiment],
      Metadata_plate: [...layout.plate],
      Metadata_well_type: [...layout.wellType],
    },
    features: names ?? Array.from({ length: p }, (_, j) => `f_${j}`),
    columns: Array.from({ length: p }, (_, j) => Float32Array.from(X, (row) => row[j] ?? NaN)),
  };
}

/** Row i of the table's features. */
export function row(table: ProfileTable, i: number): number[] {
  return table.columns.map((column) => column[i]);
}

/** Every value within `tolerance` (absolute, scaled by max(1, |expected|)); NaN must match NaN. */
export function assertMatrixClose(actual: ProfileTable, expected: Rows, tolerance: number, what: string): void {
  assert.equal(actual.rows, expected.length, `${what}: rows`);
  assert.equal(actual.columns.length, expected[0].length, `${what}: columns`);
  let worst = 0;
  expected.forEach((values, i) => {
    values.forEach((e, j) => {
      const a = actual.columns[j][i];
      if (e === null) {
        assert.ok(Number.isNaN(a), `${what}: [${i}, ${j}] expected NaN, got ${a}`);
        return;
      }
      const error = Math.abs(a - e) / Math.max(1, Math.abs(e));
      worst = Math.max(worst, error);
      assert.ok(
        error <= tolerance,
        `${what}: [${i}, ${j}] = ${a}, expected ${e} (relative error ${error.toExponential(2)})`,
      );
    });
  });
  assert.ok(worst <= tolerance, what);
}

/** Sample covariance (ddof 1) of the table's features over `rows`, in float64. */
export function covarianceOf(table: ProfileTable, rows: number[]): number[][] {
  const p = table.columns.length;
  const mean = table.columns.map((c) => rows.reduce((s, i) => s + c[i], 0) / rows.length);
  return Array.from({ length: p }, (_, a) =>
    Array.from(
      { length: p },
      (_, b) =>
        rows.reduce((s, i) => s + (table.columns[a][i] - mean[a]) * (table.columns[b][i] - mean[b]), 0) /
        (rows.length - 1),
    ),
  );
}

/** Deterministic normal-ish numbers (sum of uniforms from an LCG): test data without a dependency. */
export function generator(seed: number): () => number {
  let state = seed >>> 0;
  const uniform = () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 4294967296;
  };
  return () => uniform() + uniform() + uniform() + uniform() - 2;
}

/**
 * A screen-shaped table: `experiments` x `plates` plates of `perPlate` rows, `negatives` controls each, batch shifts.
 */
export function simulatedTable(options: {
  experiments: number;
  plates: number;
  perPlate: number;
  negatives: number;
  p: number;
  seed: number;
}): ProfileTable {
  const next = generator(options.seed);
  const layout: Layout = { experiment: [], plate: [], wellType: [] };
  const X: number[][] = [];
  const mixing = Array.from({ length: options.p }, () => Array.from({ length: options.p }, () => next()));
  for (let e = 0; e < options.experiments; e++) {
    for (let plate = 1; plate <= options.plates; plate++) {
      const shift = Array.from({ length: options.p }, () => 4 * next());
      const scale = Array.from({ length: options.p }, () => 1 + Math.abs(next()));
      for (let r = 0; r < options.perPlate; r++) {
        layout.experiment.push(`HUVEC-0${e + 1}`);
        layout.plate.push(plate);
        layout.wellType.push(r < options.negatives ? 'negative_control' : 'treatment');
        const z = Array.from({ length: options.p }, () => next());
        X.push(mixing.map((m, j) => m.reduce((s, v, t) => s + v * z[t], 0) * scale[j] + shift[j] + 10));
      }
    }
  }
  const table = fixtureTable(layout, X);
  // Well positions B02, C02, ... down the used rows, then the next column (the same layout on every plate).
  table.metadata.Metadata_well = layout.experiment.map((_, i) => {
    const r = i % options.perPlate;
    return `${'BCDEFGHIJKLMNO'[r % 14]}${String(2 + Math.floor(r / 14)).padStart(2, '0')}`;
  });
  return table;
}

/** Spread of the batch means around their mean, over the spread of the rows: ~0 when batches are merged. */
export function batchMeanSpread(table: ProfileTable, batchOf: (i: number) => string): number {
  const batches = [...new Set(Array.from({ length: table.rows }, (_, i) => batchOf(i)))];
  let between = 0;
  let total = 0;
  for (const column of table.columns) {
    const overall = column.reduce((s, v) => s + v, 0) / column.length;
    for (const b of batches) {
      const values = column.filter((_, i) => batchOf(i) === b);
      between += (values.reduce((s, v) => s + v, 0) / values.length - overall) ** 2 / batches.length;
    }
    total += column.reduce((s, v) => s + (v - overall) ** 2, 0) / column.length;
  }
  return between / total;
}

/** correct-batch.json: the table and the TVN and CORAL outputs of scripts/fixtures/correct_reference.py. */
export interface BatchFixture extends Layout {
  X: number[][];
  tvnPlateNegative: number[][];
  tvnExperimentAll: number[][];
  tvnPlateNegativeLedoitWolf: number[][];
  tvnExperimentAllOas: number[][];
  coralPlateNegative: number[][];
  coralExperimentAll: number[][];
}
export const batchFixture = readFixture<BatchFixture>('correct-batch.json');
