/** src/evaluate/report.ts: metrics.json keys and a self-contained report.html with its plots. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { evaluateProfiles, writeReport, type CorrectFn } from '../../src/evaluate/index.js';
import { tempDir } from '../helpers.js';
import { centerPerBatch, syntheticScreen } from './screen.js';

test('report: metrics.json has the documented keys; report.html holds SVG plots and the metric table', async () => {
  const { table } = syntheticScreen(2);
  const failing: CorrectFn = (t, options) => {
    if (options.method === 'harmony') throw new Error('not implemented');
    return centerPerBatch(t, options);
  };
  const result = await evaluateProfiles(table, {
    nullSize: 200,
    methods: ['none', 'tvn', 'harmony'],
    correct: failing,
    maxPlotWells: 60,
    heatmapPlates: 2,
  });
  const dir = tempDir();
  const written = writeReport(result, dir);
  const metrics = JSON.parse(fs.readFileSync(written.metrics, 'utf8'));
  for (const key of [
    'heldout_accuracy',
    'heldout_accuracy_plate_constrained',
    'heldout_accuracy_by_cell_type',
    'knn_accuracy',
    'kshot_accuracy',
    'map',
    'fraction_retrieved',
    'activity_map',
    'silhouette_batch',
    'silhouette_sirna',
    'ilisi',
    'clisi',
    'graph_connectivity',
  ]) {
    assert.deepEqual(Object.keys(metrics[key]), ['none', 'tvn', 'harmony'], key);
  }
  for (const key of ['chance_accuracy', 'n_train_wells', 'n_test_wells', 'n_classes'])
    assert.equal(typeof metrics[key], 'number', key);
  assert.equal(metrics.heldout_accuracy.harmony, null);
  assert.match(metrics.errors.harmony, /not implemented/);
  assert.equal(typeof metrics.heldout_accuracy.tvn, 'number');
  const html = fs.readFileSync(written.report, 'utf8');
  assert.ok(html.includes('id="metric-table"'));
  assert.ok(html.includes('heldout_accuracy_plate_constrained'));
  assert.ok((html.match(/<svg/g) ?? []).length >= 1 + 2 * (6 + 2), 'bar chart + per method: 3 PCA, 3 UMAP, 2 heatmaps');
  assert.ok(html.includes('UMAP, tvn: by experiment') && html.includes('PCA, none: by cell type'));
  assert.ok(!/<script|https?:\/\/(?!www\.w3\.org)/.test(html), 'self-contained: no scripts, no external resources');
  assert.deepEqual(fs.readdirSync(dir).sort(), ['metrics.json', 'report.html']);
  const again = await evaluateProfiles(table, { nullSize: 200, methods: ['none'], maxPlotWells: 60, heatmapPlates: 2 });
  assert.deepEqual(again.methods[0].plots!.umap, result.methods[0].plots!.umap, 'UMAP is seeded');
  assert.deepEqual(again.metrics.map, { none: result.metrics.map.none });
});
