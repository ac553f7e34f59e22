/**
 * src/correct/index.ts: every method through correctProfiles (rows and metadata kept, plate shifts removed), the
 * errors promised for bad input, row order.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CORRECTION_METHODS, correctProfiles, normalizeProfiles } from '../../src/correct/index.js';
import type { ProfileTable } from '../../src/store/profiles.js';
import { batchFixture, batchMeanSpread, fixtureTable, row, simulatedTable } from './tables.js';

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
      new RegExp(
        'group "EXP-\\d+_\\d" has [01] negative_control rows, needs at least 2 ' +
          '\\(fit on all controls or all rows, or use larger groups',
      ),
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
