/**
 * src/correct/spherize.ts: pycytominer Spherize parity (PCA, ZCA, -cor variants) and identity covariance after
 * sphering.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { normalizeProfiles } from '../../src/correct/index.js';
import { readFixture } from '../helpers.js';
import { assertMatrixClose, covarianceOf, fixtureTable, type Layout, simulatedTable } from './tables.js';

interface NormalizeFixture extends Layout {
  X: number[][];
  spherizeAll: Record<'PCA' | 'ZCA' | 'PCA-cor' | 'ZCA-cor', number[][]>;
  zcaByExperimentAll: number[][];
}
const normalizeFixture = readFixture<NormalizeFixture>('correct-normalize.json');

test('spherize PCA, ZCA, PCA-cor and ZCA-cor match pycytominer Spherize on centred data', () => {
  const table = fixtureTable(normalizeFixture, normalizeFixture.X);
  for (const method of ['PCA', 'ZCA', 'PCA-cor', 'ZCA-cor'] as const) {
    const out = normalizeProfiles(table, { method: 'spherize', spherize: method, fitOn: 'all', by: 'all' });
    assertMatrixClose(out, normalizeFixture.spherizeAll[method], 2e-5, method);
    assert.deepEqual(
      out.features,
      method.startsWith('PCA') ? ['PC_1', 'PC_2', 'PC_3', 'PC_4', 'PC_5'] : table.features,
    );
  }
  const byExperiment = normalizeProfiles(table, { method: 'spherize', fitOn: 'all', by: 'experiment' });
  assertMatrixClose(byExperiment, normalizeFixture.zcaByExperimentAll, 2e-5, 'ZCA by experiment');
});

test('after sphering, the fitted subset has identity covariance (to 1e-5), for every variant and fit subset', () => {
  const table = simulatedTable({ experiments: 2, plates: 2, perPlate: 150, negatives: 60, p: 12, seed: 4 });
  const wellType = table.metadata.Metadata_well_type;
  for (const method of ['PCA', 'ZCA', 'PCA-cor', 'ZCA-cor'] as const) {
    for (const fitOn of ['all', 'negative'] as const) {
      const out = normalizeProfiles(table, { method: 'spherize', spherize: method, fitOn, by: 'experiment' });
      for (const experiment of ['HUVEC-01', 'HUVEC-02']) {
        const rows = [...Array(table.rows).keys()].filter(
          (i) =>
            table.metadata.Metadata_experiment[i] === experiment &&
            (fitOn === 'all' || wellType[i] === 'negative_control'),
        );
        const cov = covarianceOf(out, rows);
        cov.forEach((values, a) => {
          values.forEach((v, b) => {
            assert.ok(
              Math.abs(v - (a === b ? 1 : 0)) < 1e-5,
              `${method} ${fitOn} ${experiment}: cov[${a}][${b}] = ${v}`,
            );
          });
        });
      }
    }
  }
});
