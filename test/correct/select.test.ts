/** src/correct/select.ts: pycytominer's feature selection operations and pandas' pairwise-complete correlations. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  correlationThreshold,
  dropNaColumns,
  dropOutliers,
  selectFeatures,
  varianceThreshold,
  type SelectOperation,
} from '../../src/correct/index.js';
import { correlationMatrix } from '../../src/correct/select.js';
import { readFixture } from '../helpers.js';
import { fixtureTable, type Rows } from './tables.js';

interface SelectFixture {
  features: string[];
  X: Rows;
  single: Record<'variance_threshold' | 'correlation_threshold' | 'drop_na_columns' | 'drop_outliers', string[]>;
  operations: SelectOperation[];
  blocklist: string[];
  sequential: Record<SelectOperation, string[]>;
  kept: string[];
  correlation: Rows;
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
