/**
 * src/correct: normalization, feature selection and batch correction against reference values from
 * scripts/fixtures/correct_reference.py (numpy, scipy, scikit-learn, pandas re-implementations of pycytominer,
 * EFAAR, CORAL, sva ComBat and harmonypy), plus properties (identity covariance after sphering, Harmony
 * merging batches) and the errors promised for bad input.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  correctProfiles,
  CORRECTION_METHODS,
  correlationThreshold,
  dropNaColumns,
  dropOutliers,
  harmonize,
  normalizeProfiles,
  selectFeatures,
  varianceThreshold,
  type SelectOperation,
} from '../src/correct/index.js';
import { gemmNT, mirrorUpper } from '../src/correct/kernels.js';
import { correlationMatrix } from '../src/correct/select.js';
import { median } from '../src/correct/stats.js';
import type { ProfileTable } from '../src/store/profiles.js';
import { readFixture } from './helpers.js';

type Matrix = (number | null)[][];

interface Layout {
  experiment: string[];
  plate: number[];
  wellType: string[];
}

/** A profile table from a fixture: rows of X (null = NaN) with experiment/plate/well type metadata. */
function fixtureTable(layout: Layout, X: Matrix, names?: string[]): ProfileTable {
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
function row(table: ProfileTable, i: number): number[] {
  return table.columns.map((column) => column[i]);
}

/** Every value within `tolerance` (absolute, scaled by max(1, |expected|)); NaN must match NaN. */
function assertMatrixClose(actual: ProfileTable, expected: Matrix, tolerance: number, what: string): void {
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
function covarianceOf(table: ProfileTable, rows: number[]): number[][] {
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
function generator(seed: number): () => number {
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
function simulatedTable(options: {
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
  return fixtureTable(layout, X);
}

// ---------------------------------------------------------------------------------------------------------
// normalize

interface NormalizeFixture extends Layout {
  X: number[][];
  Xnan: Matrix;
  standardizeByPlateNegative: Matrix;
  robustByExperimentAll: Matrix;
  spherizeAll: Record<'PCA' | 'ZCA' | 'PCA-cor' | 'ZCA-cor', number[][]>;
  zcaByExperimentAll: number[][];
}
const normalizeFixture = readFixture<NormalizeFixture>('correct-normalize.json');

test('standardize per plate, fitted on negative controls, matches scikit-learn StandardScaler (NaN skipped, then kept)', () => {
  const table = fixtureTable(normalizeFixture, normalizeFixture.Xnan);
  const out = normalizeProfiles(table, { method: 'standardize', fitOn: 'negative', by: 'plate' });
  assertMatrixClose(out, normalizeFixture.standardizeByPlateNegative, 2e-6, 'standardize');
  assert.deepEqual(out.features, table.features);
  assert.deepEqual(out.metadata, table.metadata);
  assert.notEqual(out.metadata.Metadata_plate, table.metadata.Metadata_plate, 'metadata is copied, not shared');
});

test('robust per experiment matches pycytominer RobustMAD: (x - median) / (1.4826 MAD + 1e-18)', () => {
  const out = normalizeProfiles(fixtureTable(normalizeFixture, normalizeFixture.Xnan), {
    method: 'robust',
    fitOn: 'all',
    by: 'experiment',
  });
  assertMatrixClose(out, normalizeFixture.robustByExperimentAll, 2e-6, 'robust');
});

test('spherize PCA, ZCA, PCA-cor and ZCA-cor match pycytominer Spherize on centred data', () => {
  const table = fixtureTable(normalizeFixture, normalizeFixture.X);
  for (const method of ['PCA', 'ZCA', 'PCA-cor', 'ZCA-cor'] as const) {
    const out = normalizeProfiles(table, { method: 'spherize', spherize: method, fitOn: 'all', by: 'all' });
    assertMatrixClose(out, normalizeFixture.spherizeAll[method], 2e-5, method);
    assert.deepEqual(
      out.features,
      method.startsWith('PCA') ? ['PC_1', 'PC_2', 'PC_3', 'PC_4', 'PC_5'] : table.features,
    );
  }
  const byExperiment = normalizeProfiles(table, { method: 'spherize', fitOn: 'all', by: 'experiment' });
  assertMatrixClose(byExperiment, normalizeFixture.zcaByExperimentAll, 2e-5, 'ZCA by experiment');
});

test('after sphering, the fitted subset has identity covariance (to 1e-5), for every variant and fit subset', () => {
  const table = simulatedTable({ experiments: 2, plates: 2, perPlate: 150, negatives: 60, p: 12, seed: 4 });
  const wellType = table.metadata.Metadata_well_type;
  for (const method of ['PCA', 'ZCA', 'PCA-cor', 'ZCA-cor'] as const) {
    for (const fitOn of ['all', 'negative'] as const) {
      const out = normalizeProfiles(table, { method: 'spherize', spherize: method, fitOn, by: 'experiment' });
      for (const experiment of ['HUVEC-01', 'HUVEC-02']) {
        const rows = [...Array(table.rows).keys()].filter(
          (i) =>
            table.metadata.Metadata_experiment[i] === experiment &&
            (fitOn === 'all' || wellType[i] === 'negative_control'),
        );
        const cov = covarianceOf(out, rows);
        cov.forEach((values, a) => {
          values.forEach((v, b) => {
            assert.ok(
              Math.abs(v - (a === b ? 1 : 0)) < 1e-5,
              `${method} ${fitOn} ${experiment}: cov[${a}][${b}] = ${v}`,
            );
          });
        });
      }
    }
  }
});

test('normalize errors name the group, column or row at fault', () => {
  const table = fixtureTable(normalizeFixture, normalizeFixture.X);
  const noPlate = {
    ...table,
    metadata: { ...table.metadata, Metadata_plate: table.metadata.Metadata_plate.map((v, i) => (i === 7 ? null : v)) },
  };
  assert.throws(
    () => normalizeProfiles(noPlate, { method: 'standardize', fitOn: 'all', by: 'plate' }),
    /row 7 \(EXP-\d+_\d_R7_1\) has no Metadata_plate/,
  );
  const withNaN = fixtureTable(normalizeFixture, normalizeFixture.Xnan);
  assert.throws(
    () => normalizeProfiles(withNaN, { method: 'spherize', fitOn: 'all', by: 'all' }),
    /feature "f_1" is NaN at row 3/,
  );
  const infinite = fixtureTable(normalizeFixture, normalizeFixture.X);
  infinite.columns[2][5] = Infinity;
  assert.throws(
    () => normalizeProfiles(infinite, { method: 'standardize', fitOn: 'all', by: 'all' }),
    /feature "f_2" is Infinity at row 5/,
  );
  const oneControl = {
    ...table,
    metadata: {
      ...table.metadata,
      Metadata_well_type: table.metadata.Metadata_well_type.map((_, i) => (i === 0 ? 'negative_control' : 'treatment')),
    },
  };
  assert.throws(
    () => normalizeProfiles(oneControl, { method: 'robust', fitOn: 'negative', by: 'experiment' }),
    /group "EXP-\d+" has (0|1) negative_control rows, needs at least 2/,
  );
  assert.throws(
    () => normalizeProfiles(table, { method: 'spherize', fitOn: 'negative', by: 'plate' }),
    /sphering 5 features needs more than 5 fit rows, got 5/,
  );
  const collinear = fixtureTable(
    normalizeFixture,
    normalizeFixture.X.map((values) => [...values, values[0] + values[1]]),
  );
  assert.throws(() => normalizeProfiles(collinear, { method: 'spherize', fitOn: 'all', by: 'all' }), /not full rank/);
  const { Metadata_well_type: _, ...noWellType } = table.metadata;
  assert.throws(
    () =>
      normalizeProfiles({ ...table, metadata: noWellType }, { method: 'standardize', fitOn: 'negative', by: 'all' }),
    /needs metadata column Metadata_well_type/,
  );
});

// ---------------------------------------------------------------------------------------------------------
// select

interface SelectFixture {
  features: string[];
  X: Matrix;
  single: Record<'variance_threshold' | 'correlation_threshold' | 'drop_na_columns' | 'drop_outliers', string[]>;
  operations: SelectOperation[];
  blocklist: string[];
  sequential: Record<SelectOperation, string[]>;
  kept: string[];
  correlation: Matrix;
}
const selectFixture = readFixture<SelectFixture>('correct-select.json');
const selectTable = () => {
  const n = selectFixture.X.length;
  return fixtureTable(
    { experiment: Array(n).fill('E-01'), plate: Array(n).fill(1), wellType: Array(n).fill('treatment') },
    selectFixture.X,
    selectFixture.features,
  );
};

test('each selection operation alone drops what pycytominer drops', () => {
  const table = selectTable();
  const dropped = (kept: string[]) => table.features.filter((f) => !kept.includes(f)).sort();
  assert.deepEqual(dropped(varianceThreshold(table)), selectFixture.single.variance_threshold);
  assert.deepEqual(dropped(correlationThreshold(table)), selectFixture.single.correlation_threshold);
  assert.deepEqual(dropped(dropNaColumns(table)), selectFixture.single.drop_na_columns);
  assert.deepEqual(dropped(dropOutliers(table)), selectFixture.single.drop_outliers);
});

test('Pearson correlations match pandas, pairwise-complete where values are missing', () => {
  const table = selectTable();
  const all = Int32Array.from({ length: table.rows }, (_, i) => i);
  const corr = correlationMatrix(table.columns, all);
  const q = table.features.length;
  selectFixture.correlation.forEach((values, a) => {
    values.forEach((e, b) => {
      const v = corr[a * q + b];
      if (e === null) assert.ok(Number.isNaN(v), `corr[${a}][${b}] should be NaN`);
      else assert.ok(Math.abs(v - e) < 1e-12, `corr[${a}][${b}] = ${v}, expected ${e}`);
    });
  });
});

test('selectFeatures runs the operations in order on what each keeps, and reports what each dropped', () => {
  const table = selectTable();
  const result = selectFeatures(table, { operations: selectFixture.operations, blocklist: selectFixture.blocklist });
  assert.deepEqual(result.kept, selectFixture.kept);
  for (const op of selectFixture.operations)
    assert.deepEqual([...result.dropped[op]!].sort(), selectFixture.sequential[op], op);
  assert.deepEqual(result.table.features, selectFixture.kept);
  const source = table.features.indexOf('f_g');
  assert.deepEqual(result.table.columns[result.kept.indexOf('f_g')], table.columns[source]);
  assert.throws(() => selectFeatures(table, { operations: ['blocklist'] }), /blocklist\): needs the list/);
  assert.throws(
    () => selectFeatures(table, { operations: ['variance_treshold' as SelectOperation] }),
    /unknown operation\(s\) variance_treshold/,
  );
});

// ---------------------------------------------------------------------------------------------------------
// batch correction

interface BatchFixture extends Layout {
  X: number[][];
  tvnPlateNegative: number[][];
  tvnExperimentAll: number[][];
  coralPlateNegative: number[][];
  coralExperimentAll: number[][];
}
const batchFixture = readFixture<BatchFixture>('correct-batch.json');

test('TVN matches EFAAR tvn_on_controls (with per-batch centring on the batch controls)', () => {
  const table = fixtureTable(batchFixture, batchFixture.X);
  const byPlate = correctProfiles(table, { method: 'tvn', batch: 'plate' });
  assertMatrixClose(byPlate, batchFixture.tvnPlateNegative, 2e-5, 'tvn plate negative');
  assert.deepEqual(byPlate.features, ['PC_1', 'PC_2', 'PC_3', 'PC_4', 'PC_5', 'PC_6']);
  assertMatrixClose(
    correctProfiles(table, { method: 'tvn', batch: 'experiment', controls: 'all' }),
    batchFixture.tvnExperimentAll,
    2e-5,
    'tvn experiment all',
  );
});

test('CORAL matches (x - μ_b)(C_b + I)^(-1/2)(C_t + I)^(1/2) + μ_t computed with scipy', () => {
  const table = fixtureTable(batchFixture, batchFixture.X);
  assertMatrixClose(
    correctProfiles(table, { method: 'coral', batch: 'plate' }),
    batchFixture.coralPlateNegative,
    2e-5,
    'coral plate negative',
  );
  assertMatrixClose(
    correctProfiles(table, { method: 'coral', batch: 'experiment', controls: 'all' }),
    batchFixture.coralExperimentAll,
    2e-5,
    'coral experiment all',
  );
});

interface CombatFixture extends Layout {
  X: number[][];
  byExperiment: number[][];
  byPlate: number[][];
}
const combatFixture = readFixture<CombatFixture>('correct-combat.json');

test('ComBat matches sva ComBat formulas, leaving a feature constant within a batch unadjusted', () => {
  const table = fixtureTable(combatFixture, combatFixture.X);
  const byExperiment = correctProfiles(table, { method: 'combat', batch: 'experiment' });
  assertMatrixClose(byExperiment, combatFixture.byExperiment, 2e-6, 'combat experiment');
  assert.deepEqual(byExperiment.columns[6], table.columns[6], 'the flat feature is copied unchanged');
  assertMatrixClose(
    correctProfiles(table, { method: 'combat', batch: 'plate' }),
    combatFixture.byPlate,
    2e-6,
    'combat plate',
  );
});

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
    Float64Array.from(harmonyFixture.Z.flat()),
    d,
    Int32Array.from(harmonyFixture.batch),
    harmonyFixture.B,
    {
      clusters: harmonyFixture.K,
      blockSize: 1,
      initialCentroids: Float64Array.from(harmonyFixture.initialCentroids.flat()),
    },
  );
  assert.equal(result.iterations, harmonyFixture.iterations);
  result.objective.forEach((value, i) => {
    assert.ok(
      Math.abs(value - harmonyFixture.objective[i]) < 1e-8 * Math.abs(harmonyFixture.objective[i]),
      `objective ${i}`,
    );
  });
  harmonyFixture.corrected.forEach((values, i) => {
    values.forEach((e, l) => {
      assert.ok(Math.abs(result.embedding[i * d + l] - e) < 1e-8, `embedding [${i}, ${l}]`);
    });
  });
});

/** Spread of the batch means around their mean, over the spread of the rows: ~0 when batches are merged. */
function batchMeanSpread(table: ProfileTable, batchOf: (i: number) => string): number {
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

test('every correction runs through correctProfiles, keeps rows and metadata, and removes plate shifts', () => {
  const table = simulatedTable({ experiments: 2, plates: 3, perPlate: 50, negatives: 16, p: 8, seed: 7 });
  const plateOf = (i: number) => `${table.metadata.Metadata_experiment[i]}_${table.metadata.Metadata_plate[i]}`;
  const before = batchMeanSpread(table, plateOf);
  assert.ok(before > 0.2, `simulated plate effects are strong (${before.toFixed(3)})`);
  for (const method of CORRECTION_METHODS) {
    const out = correctProfiles(table, { method, batch: 'plate' });
    assert.equal(out.rows, table.rows, method);
    assert.deepEqual(out.metadata, table.metadata, method);
    assert.ok(
      out.columns.every((column) => column.every(Number.isFinite)),
      `${method}: finite output`,
    );
    if (method === 'none') {
      assert.deepEqual(out.columns, table.columns);
      assert.notEqual(out.columns[0], table.columns[0], 'none copies the features');
      continue;
    }
    const after = batchMeanSpread(out, plateOf);
    assert.ok(after < before / 4, `${method}: plate-mean spread ${before.toFixed(3)} -> ${after.toFixed(4)}`);
  }
  assert.deepEqual(
    correctProfiles(table, { method: 'center_scale', batch: 'experiment', controls: 'all' }),
    normalizeProfiles(table, { method: 'standardize', fitOn: 'all', by: 'experiment' }),
  );
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

test('Harmony with defaults (k-means++ start, shuffled blocks) merges batches, keeps shared clusters apart, and is deterministic', () => {
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
  const result = harmonize(Z, d, batch, B);
  assert.ok(result.converged);
  const [batchBefore, batchAfter] = [groupSpread(Z, d, batch), groupSpread(result.embedding, d, batch)];
  assert.ok(batchAfter < batchBefore / 20, `batch-mean spread ${batchBefore.toFixed(3)} -> ${batchAfter.toFixed(4)}`);
  assert.ok(groupSpread(result.embedding, d, type) > groupSpread(Z, d, type), 'the shared clusters stay apart');
  assert.deepEqual(harmonize(Z, d, batch, B).embedding, result.embedding, 'same input and seed, same output');
  assert.notDeepEqual(harmonize(Z, d, batch, B, { seed: 1 }).embedding, result.embedding, 'the seed is used');
  const table = simulatedTable({ experiments: 3, plates: 1, perPlate: 60, negatives: 10, p: 6, seed: 12 });
  const first = correctProfiles(table, { method: 'harmony', batch: 'experiment' });
  assert.deepEqual(first.features, ['PC_1', 'PC_2', 'PC_3', 'PC_4', 'PC_5', 'PC_6']);
  assert.deepEqual(correctProfiles(table, { method: 'harmony', batch: 'experiment' }).columns, first.columns);
});

test('correction errors say what is missing and what to change', () => {
  const table = fixtureTable(batchFixture, batchFixture.X);
  const oneControlPerPlate = {
    ...table,
    metadata: {
      ...table.metadata,
      Metadata_well_type: table.metadata.Metadata_site_id.map((_, i) =>
        table.metadata.Metadata_well_type.indexOf('negative_control') === i ? 'negative_control' : 'treatment',
      ),
    },
  };
  for (const method of ['center_scale', 'robust', 'spherize', 'tvn', 'coral'] as const) {
    assert.throws(
      () => correctProfiles(oneControlPerPlate, { method, batch: 'plate' }),
      /group "EXP-\d+_\d" has [01] negative_control rows, needs at least 2 \(fit on all controls or all rows, or use larger groups/,
      method,
    );
  }
  const withNaN = fixtureTable(
    batchFixture,
    batchFixture.X.map((values, i) => (i === 4 ? [values[0], null, ...values.slice(2)] : values)),
  );
  for (const method of ['tvn', 'coral', 'combat', 'harmony'] as const) {
    assert.throws(
      () => correctProfiles(withNaN, { method, batch: 'experiment', controls: 'all' }),
      /feature "f_1" is NaN at row 4/,
      method,
    );
  }
  const oneExperiment = {
    ...table,
    metadata: { ...table.metadata, Metadata_experiment: table.metadata.Metadata_experiment.map(() => 'ONE') },
  };
  for (const method of ['combat', 'harmony'] as const)
    assert.throws(
      () => correctProfiles(oneExperiment, { method, batch: 'experiment' }),
      /needs at least 2 batches/,
      method,
    );
  assert.throws(() => correctProfiles(table, { method: 'magic' as never, batch: 'plate' }), /unknown method "magic"/);
});

// ---------------------------------------------------------------------------------------------------------
// numerical building blocks

test('the blocked product kernel equals naive sums, for odd shapes and the symmetric (Gram) case', () => {
  const next = generator(3);
  for (const [m, n, k] of [
    [7, 5, 3],
    [9, 9, 13],
    [4, 8, 1],
    [13, 6, 17],
  ]) {
    const A = Float64Array.from({ length: m * k }, next);
    const B = Float64Array.from({ length: n * k }, next);
    const C = Float64Array.from({ length: m * n }, next);
    const expected = C.map(
      (c, at) =>
        c +
        Array.from({ length: k }, (_, t) => A[Math.floor(at / n) * k + t] * B[(at % n) * k + t]).reduce(
          (s, v) => s + v,
          0,
        ),
    );
    gemmNT(m, n, k, A, B, C);
    C.forEach((v, at) => {
      assert.ok(Math.abs(v - expected[at]) < 1e-12, `${m}x${n}x${k} [${at}]`);
    });
    const G = new Float64Array(m * m);
    gemmNT(m, m, k, A, A, G, true);
    mirrorUpper(m, G);
    for (let i = 0; i < m; i++)
      for (let j = 0; j < m; j++) {
        const dot = Array.from({ length: k }, (_, t) => A[i * k + t] * A[j * k + t]).reduce((s, v) => s + v, 0);
        assert.ok(Math.abs(G[i * m + j] - dot) < 1e-12, `gram ${m}x${k} [${i}, ${j}]`);
      }
  }
});

test('quickselect median equals the sorted median (odd, even, ties)', () => {
  const next = generator(8);
  for (const n of [1, 2, 3, 10, 11, 64, 101]) {
    for (const ties of [false, true]) {
      const values = Float64Array.from({ length: n }, () => (ties ? Math.round(next() * 2) : next()));
      const sorted = Float64Array.from(values).sort();
      const expected = n % 2 ? sorted[(n - 1) / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
      assert.ok(median(values, n) === expected, `n=${n} ties=${ties}`);
    }
  }
});

test('row order does not matter: interleaved groups give the same result as the same rows sorted', () => {
  const table = fixtureTable(batchFixture, batchFixture.X);
  const order = [...Array(table.rows).keys()].sort((a, b) =>
    String(table.metadata.Metadata_site_id[a]).localeCompare(String(table.metadata.Metadata_site_id[b])),
  );
  const sorted: ProfileTable = {
    rows: table.rows,
    metadata: Object.fromEntries(Object.entries(table.metadata).map(([k, v]) => [k, order.map((i) => v[i])])),
    features: table.features,
    columns: table.columns.map((c) => Float32Array.from(order, (i) => c[i])),
  };
  for (const method of ['tvn', 'coral', 'combat'] as const) {
    const a = correctProfiles(table, { method, batch: 'plate' });
    const b = correctProfiles(sorted, { method, batch: 'plate' });
    order.forEach((i, r) => {
      row(a, i).forEach((v, j) => {
        assert.ok(Math.abs(v - b.columns[j][r]) < 1e-4, `${method} row ${i}`);
      });
    });
  }
});
