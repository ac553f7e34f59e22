/** src/correct/tvn.ts: EFAAR tvn_on_controls parity. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { correctProfiles, tvnProfiles } from '../../src/correct/index.js';
import { assertMatrixClose, batchFixture, fixtureTable } from './tables.js';

test('TVN without shrinkage matches EFAAR tvn_on_controls (with per-batch centring on the batch controls)', () => {
  const table = fixtureTable(batchFixture, batchFixture.X);
  const byPlate = tvnProfiles(table, { batch: 'plate', controls: 'negative', shrinkage: 'none' });
  assertMatrixClose(byPlate, batchFixture.tvnPlateNegative, 2e-5, 'tvn plate negative');
  assert.deepEqual(byPlate.features, ['PC_1', 'PC_2', 'PC_3', 'PC_4', 'PC_5', 'PC_6']);
  assertMatrixClose(
    tvnProfiles(table, { batch: 'experiment', controls: 'all', shrinkage: 'none' }),
    batchFixture.tvnExperimentAll,
    2e-5,
    'tvn experiment all',
  );
});

test('TVN with Ledoit-Wolf (the default) and OAS shrinkage matches scikit-learn-based references', () => {
  const table = fixtureTable(batchFixture, batchFixture.X);
  assertMatrixClose(
    correctProfiles(table, { method: 'tvn', batch: 'plate' }),
    batchFixture.tvnPlateNegativeLedoitWolf,
    2e-5,
    'tvn plate negative ledoit-wolf',
  );
  assertMatrixClose(
    tvnProfiles(table, { batch: 'experiment', controls: 'all', shrinkage: 'oas' }),
    batchFixture.tvnExperimentAllOas,
    2e-5,
    'tvn experiment all oas',
  );
});

test('TVN keeps every component when there are fewer controls than features', () => {
  // One negative control per plate kept, 6 features: 6 controls in all, a control covariance of rank 5 of 6.
  const seen = new Map<string, number>();
  const wellType = batchFixture.wellType.map((w, i) => {
    if (w !== 'negative_control') return w;
    const plate = `${batchFixture.experiment[i]}_${batchFixture.plate[i]}`;
    seen.set(plate, (seen.get(plate) ?? 0) + 1);
    return seen.get(plate)! <= 1 ? w : 'treatment';
  });
  const table = fixtureTable({ ...batchFixture, wellType }, batchFixture.X);
  const shrunk = correctProfiles(table, { method: 'tvn', batch: 'experiment' });
  assert.equal(shrunk.features.length, 6);
  for (const column of shrunk.columns) assert.ok(column.every(Number.isFinite));
  const plain = tvnProfiles(table, { batch: 'experiment', controls: 'negative', shrinkage: 'none' });
  assert.ok(plain.features.length < 6, `EFAAR keeps ${plain.features.length} components`);
});
