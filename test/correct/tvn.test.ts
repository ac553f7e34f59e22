/** src/correct/tvn.ts: EFAAR tvn_on_controls parity. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { correctProfiles } from '../../src/correct/index.js';
import { assertMatrixClose, batchFixture, fixtureTable } from './tables.js';

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
