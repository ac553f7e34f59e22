/** src/store/wells.ts: site rows averaged into wells. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { aggregateToWells } from '../../src/store/wells.js';
import type { ProfileTable } from '../../src/store/profiles.js';
import { f32 } from '../helpers.js';

test('site rows average into wells; metadata keeps the first site, site columns are dropped', () => {
  const table: ProfileTable = {
    rows: 4,
    metadata: {
      Metadata_experiment: ['E-1', 'E-1', 'E-1', 'E-1'],
      Metadata_plate: [1, 1, 1, 1],
      Metadata_well: ['B02', 'B03', 'B02', 'B03'],
      Metadata_site: [1, 1, 2, 2],
      Metadata_site_id: ['E-1_1_B02_1', 'E-1_1_B03_1', 'E-1_1_B02_2', 'E-1_1_B03_2'],
      Metadata_sirna_id: [1138, 5, 1138, 5],
    },
    features: ['a', 'b'],
    columns: [f32([1, 10, 3, 20]), f32([NaN, 1, 4, 1])],
  };
  const wells = aggregateToWells(table);
  assert.equal(wells.rows, 2);
  assert.deepEqual(wells.metadata.Metadata_well_id, ['E-1_1_B02', 'E-1_1_B03']);
  assert.deepEqual(wells.metadata.Metadata_sirna_id, [1138, 5]);
  assert.equal(wells.metadata.Metadata_site, undefined);
  assert.equal(wells.metadata.Metadata_site_id, undefined);
  assert.deepEqual([...wells.columns[0]], [2, 15]);
  assert.deepEqual([...wells.columns[1]], [4, 1], 'NaN sites are skipped');
});
