/** src/correct/combat.ts: sva ComBat parity. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { correctProfiles } from '../../src/correct/index.js';
import { readFixture } from '../helpers.js';
import { assertMatrixClose, fixtureTable, type Layout } from './tables.js';

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
