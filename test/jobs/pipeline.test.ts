import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { simulate } from '../../src/data/simulate/index.js';
import { runPipeline } from '../../src/jobs/pipeline.js';
import { readProfiles } from '../../src/store/profiles.js';
import { tempDir } from '../helpers.js';

/** The first test's simulated dataset and run, which later tests resume (a pipeline run takes a while). */
let done: { data: string; run: string } | undefined;

test('the pipeline runs featurize -> select -> correct -> evaluate and resumes a half-finished run', async () => {
  const dir = tempDir();
  const data = path.join(dir, 'data');
  await simulate({
    out: data,
    seed: 3,
    threads: 2,
    preset: {
      experiments: ['HEPG2-01', 'HEPG2-08'],
      groups: [0],
      sirnasPerGroup: 4,
      replicates: 1,
      positiveControls: 2,
    },
  });
  const run = path.join(dir, 'run');
  const first = await runPipeline(data, {
    out: run,
    methods: ['none', 'center_scale', 'combat'],
    umap: false,
    threads: 2,
  });
  assert.deepEqual(Object.keys(first.steps), ['featurize', 'select', 'evaluate']);
  assert.equal(first.steps.featurize.skipped, false);

  const metrics = JSON.parse(fs.readFileSync(first.metrics, 'utf8'));
  assert.deepEqual(Object.keys(metrics.heldout_accuracy), ['none', 'center_scale', 'combat']);
  for (const value of Object.values(metrics.heldout_accuracy))
    assert.ok(typeof value === 'number' && value >= 0 && value <= 1);
  assert.match(fs.readFileSync(first.report, 'utf8'), /<svg/);
  // One training experiment: no cross-validation; the first corrected candidate that succeeds is selected, and
  // its corrected wells are the run's main output.
  assert.ok(metrics.selected_method in metrics.heldout_accuracy);
  assert.match(metrics.selection.protocol, /no cross-validation/);
  assert.equal(
    first.selected,
    `${metrics.selection.method} (batch experiment, controls ${metrics.selection.controls})`,
  );
  assert.equal(readProfiles(first.profiles).rows, metrics.parameters.wells);
  const sites = readProfiles(path.join(run, 'site_profiles.parquet'));
  const wells = readProfiles(path.join(run, 'well_profiles.parquet'));
  assert.equal(sites.rows, wells.rows * 2, 'two sites per well');
  assert.ok(sites.features.length > 20, `${sites.features.length} features kept`);
  // Selected features are z-scored over all sites (a global scale, no batch removed).
  const column = sites.columns[0];
  const mean = column.reduce((s, v) => s + v, 0) / column.length;
  assert.ok(Math.abs(mean) < 1e-4, `mean ${mean}`);

  // Killed after selection: the evaluation is redone, earlier steps are skipped.
  fs.rmSync(first.metrics);
  const second = await runPipeline(data, { out: run, methods: ['none'], umap: false, threads: 2 });
  assert.equal(second.steps.featurize.skipped, true);
  assert.equal(second.steps.select.skipped, true);
  assert.equal(second.steps.evaluate.skipped, false);
  const record = JSON.parse(fs.readFileSync(path.join(run, 'run.json'), 'utf8'));
  assert.equal(
    record.steps.select.seconds,
    first.steps.select.seconds,
    'a resumed run keeps the timing of the step it skipped',
  );
  assert.equal(
    second.steps.featurize.detail,
    first.steps.featurize.detail,
    'and what featurize did (not "0 features")',
  );
  assert.match(first.steps.featurize.detail ?? '', /[1-9]\d* features/);
  assert.ok(first.steps.select.seconds > 0);
  assert.deepEqual(Object.keys(JSON.parse(fs.readFileSync(second.metrics, 'utf8')).heldout_accuracy), ['none']);
  done = { data, run };
});

test("a ground_truth.json that is not phenomap's is skipped with a warning, unless --ground-truth names it", async (t) => {
  if (!done) return t.skip("needs the first test's run");
  const { data, run } = done;
  const metrics = path.join(run, 'metrics.json');
  assert.ok(JSON.parse(fs.readFileSync(metrics, 'utf8')).ground_truth, "the simulator's own ground truth is scored");
  // Another simulator's RxRx1-layout dataset, with a sidecar of its own schema.
  const sidecar = path.join(data, 'ground_truth.json');
  fs.writeFileSync(sidecar, JSON.stringify({ simulator: 'other', effects: [{ gene: 'X', strength: 0.3 }] }));
  fs.rmSync(metrics);
  const warnings: string[] = [];
  const summary = await runPipeline(data, {
    out: run,
    methods: ['none'],
    umap: false,
    threads: 2,
    onWarning: (w) => warnings.push(w),
  });
  assert.equal(warnings.length, 1);
  assert.match(
    warnings[0],
    new RegExp(
      `^${sidecar.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} skipped: not a ground truth phenomap reads \\(expected the simulator's ground_truth\\.json; .*no usable treatment siRNA entry`,
    ),
  );
  assert.deepEqual(summary.warnings, warnings);
  assert.deepEqual(JSON.parse(fs.readFileSync(path.join(run, 'run.json'), 'utf8')).warnings, warnings);
  const written = JSON.parse(fs.readFileSync(metrics, 'utf8'));
  assert.deepEqual(Object.keys(written.heldout_accuracy), ['none']);
  assert.equal(written.ground_truth, undefined);
  // Asked for by name, the same file is an error.
  fs.rmSync(metrics);
  await assert.rejects(
    () => runPipeline(data, { out: run, methods: ['none'], umap: false, threads: 2, groundTruth: sidecar }),
    /no usable treatment siRNA entry/,
  );
  assert.equal(fs.existsSync(metrics), false);
});
