/** src/correct/groups.ts: the fit subsets (negative controls, all controls, all rows) of each batch. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { correctProfiles } from '../../src/correct/index.js';
import { META, type ProfileTable } from '../../src/store/profiles.js';

// Two experiments, each with one negative control, two positive controls and one treatment well.
const table: ProfileTable = {
  rows: 8,
  metadata: {
    [META.experiment]: ['E1', 'E1', 'E1', 'E1', 'E2', 'E2', 'E2', 'E2'],
    [META.plate]: [1, 1, 1, 1, 1, 1, 1, 1],
    [META.wellType]: [
      'negative_control',
      'positive_control',
      'positive_control',
      'treatment',
      'negative_control',
      'positive_control',
      'positive_control',
      'treatment',
    ],
  },
  features: ['f'],
  columns: [Float32Array.from([1, 2, 3, 10, 11, 12, 13, 20])],
};

test("fitting on 'controls' uses negative and positive control rows; 'negative' alone is too few here", () => {
  // E1 controls 1, 2, 3: mean 2, population std sqrt(2/3); E2 controls 11, 12, 13: mean 12.
  const out = correctProfiles(table, { method: 'center_scale', batch: 'experiment', controls: 'controls' });
  const s = Math.sqrt(2 / 3);
  const expected = [-1 / s, 0, 1 / s, 8 / s, -1 / s, 0, 1 / s, 8 / s];
  out.columns[0].forEach((v, i) => {
    assert.ok(Math.abs(v - expected[i]) < 1e-5, `row ${i}: ${v} vs ${expected[i]}`);
  });
  assert.throws(
    () => correctProfiles(table, { method: 'center_scale', batch: 'experiment', controls: 'negative' }),
    /group "E1" has 1 negative_control rows, needs at least 2/,
  );
});
