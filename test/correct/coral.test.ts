/** src/correct/coral.ts: CORAL against scipy's matrix square roots. */
import { test } from 'node:test';
import { correctProfiles } from '../../src/correct/index.js';
import { assertMatrixClose, batchFixture, fixtureTable } from './tables.js';

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
