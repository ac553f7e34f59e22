/**
 * src/correct/normalize.ts: standardize and robust against scikit-learn and pycytominer fixtures; the errors
 * promised for bad input.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { normalizeProfiles } from '../../src/correct/index.js';
import { readFixture } from '../helpers.js';
import { assertMatrixClose, fixtureTable, type Layout, type Rows } from './tables.js';

interface NormalizeFixture extends Layout {
  X: number[][];
  Xnan: Rows;
  standardizeByPlateNegative: Rows;
  robustByExperimentAll: Rows;
  spherizeAll: Record<'PCA' | 'ZCA' | 'PCA-cor' | 'ZCA-cor', number[][]>;
  zcaByExperimentAll: number[][];
}
const normalizeFixture = readFixture<NormalizeFixture>('correct-normalize.json');

test(
  'standardize per plate, fitted on negative controls, matches scikit-learn StandardScaler ' +
    '(NaN skipped, then kept)',
  () => {
    const table = fixtureTable(normalizeFixture, normalizeFixture.Xnan);
    const out = normalizeProfiles(table, { method: 'standardize', fitOn: 'negative', by: 'plate' });
    assertMatrixClose(out, normalizeFixture.standardizeByPlateNegative, 2e-6, 'standardize');
    assert.deepEqual(out.features, table.features);
    assert.deepEqual(out.metadata, table.metadata);
    assert.notEqual(out.metadata.Metadata_plate, table.metadata.Metadata_plate, 'metadata is copied, not shared');
  },
);

test('robust per experiment matches pycytominer RobustMAD: (x - median) / (1.4826 MAD + 1e-18)', () => {
  const out = normalizeProfiles(fixtureTable(normalizeFixture, normalizeFixture.Xnan), {
    method: 'robust',
    fitOn: 'all',
    by: 'experiment',
  });
  assertMatrixClose(out, normalizeFixture.robustByExperimentAll, 2e-6, 'robust');
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
