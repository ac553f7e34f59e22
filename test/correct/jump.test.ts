/**
 * src/correct/wellPosition.ts, cellCount.ts and jump.ts: well-position correction, cell-count regression and the
 * JUMP-CP recipe, against numpy/pandas re-implementations of jump-profiling-recipe's steps
 * (scripts/fixtures/correct_reference.py).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { correctProfiles, jumpPreprocess, regressCellCount, wellPositionProfiles } from '../../src/correct/index.js';
import { fitSpherize } from '../../src/correct/spherize.js';
import { applyLinear } from '../../src/correct/affine.js';
import type { ProfileTable } from '../../src/store/profiles.js';
import { readFixture } from '../helpers.js';
import { assertMatrixClose, fixtureTable, type Layout } from './tables.js';

interface PositionFixture extends Layout {
  well: string[];
  features: string[];
  X: number[][];
  wellMean: number[][];
  spatial: number[][];
  cellCount: number[][];
  jumpFeatures: string[];
  jumpSphered: number[][];
  lowRankFit: number[][];
  lowRankZcaCor: number[][];
}
const fixture = readFixture<PositionFixture>('correct-position.json');

function positionTable(): ProfileTable {
  const table = fixtureTable(fixture, fixture.X, fixture.features);
  table.metadata.Metadata_well = [...fixture.well];
  return table;
}

test("well-position correction: JUMP's subtract_well_mean, and the spatial rim + gradient fit", () => {
  const table = positionTable();
  assertMatrixClose(wellPositionProfiles(table, 'well_mean'), fixture.wellMean, 1e-5, 'well_mean');
  assertMatrixClose(wellPositionProfiles(table, 'spatial'), fixture.spatial, 1e-4, 'spatial');
  const noWells = fixtureTable(fixture, fixture.X, fixture.features);
  assert.throws(() => wellPositionProfiles(noWells, 'spatial'), /needs metadata column Metadata_well/);
});

test("cell-count regression: JUMP's OLS residuals for features with enough distinct values", () => {
  const table = positionTable();
  assertMatrixClose(regressCellCount(table), fixture.cellCount, 1e-4, 'cell count');
  const { Count_Cells: _, ...rest } = Object.fromEntries(table.features.map((f, j) => [f, j]));
  const withoutCount = {
    ...table,
    features: Object.keys(rest),
    columns: Object.values(rest).map((j) => table.columns[j]),
  };
  assert.throws(() => regressCellCount(withoutCount), /no cell-count feature/);
});

test("sphering with fewer fit rows than features follows pycytominer's n <= d branch", () => {
  const table = positionTable();
  const columns = table.columns.slice(0, 6);
  const rows = Int32Array.from([0, 1, 2, 3, 4]);
  const map = fitSpherize(columns, table.features.slice(0, 6), rows, 'ZCA-cor', 0.5, 'test', true);
  const out = applyLinear(columns, [Int32Array.from({ length: table.rows }, (_, i) => i)], 6, () => map);
  assertMatrixClose(
    { ...table, features: table.features.slice(0, 6), columns: out },
    fixture.lowRankZcaCor,
    1e-4,
    'ZCA-cor',
  );
  assert.throws(() => fitSpherize(columns, table.features, rows, 'ZCA-cor', 0.5, 'test'), /needs more than 6 fit rows/);
});

test('the JUMP recipe up to sphering matches the recipe step by step; with Harmony it runs as a method', () => {
  const table = positionTable();
  const sphered = jumpPreprocess(table, { batch: 'plate', controls: 'all' });
  assert.deepEqual(sphered.features, fixture.jumpFeatures);
  assertMatrixClose(sphered, fixture.jumpSphered, 1e-3, 'jump up to sphering');
  const recipe = correctProfiles(table, { method: 'jump', batch: 'plate', controls: 'all' });
  assert.deepEqual(recipe.features, fixture.jumpFeatures);
  assert.equal(recipe.rows, table.rows);
  for (const column of recipe.columns) assert.ok(column.every(Number.isFinite));
});
