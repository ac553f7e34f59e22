/** src/evaluate/selection.ts: leave-one-experiment-out selection of the correction inside the training experiments. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { evaluateProfiles } from '../../src/evaluate/index.js';
import { selectionCandidates, settingKey } from '../../src/evaluate/selection.js';
import { centerPerBatch, FAST, syntheticScreen } from './screen.js';

test('candidates: every batch unit and fit-row set a method uses, unless fixed', () => {
  const { table } = syntheticScreen();
  const keys = (fixed: Parameters<typeof selectionCandidates>[1]) =>
    selectionCandidates(['none', 'center_scale', 'combat'], fixed, table).map(settingKey);
  assert.deepEqual(keys({}), [
    'none',
    'center_scale:experiment:negative',
    'center_scale:experiment:controls',
    'center_scale:experiment:all',
    'center_scale:plate:negative',
    'center_scale:plate:controls',
    'center_scale:plate:all',
    'combat:experiment:all',
    'combat:plate:all',
  ]);
  assert.deepEqual(keys({ batch: 'plate', controls: 'controls' }), [
    'none',
    'center_scale:plate:controls',
    'combat:plate:all',
  ]);
  // One plate per experiment: plate batches would repeat experiment batches.
  const plate1 = table.metadata.Metadata_plate.map((p) => (p === 2 ? 1 : p));
  const single = { ...table, metadata: { ...table.metadata, Metadata_plate: plate1 } };
  assert.deepEqual(selectionCandidates(['center_scale'], { controls: 'all' }, single).map(settingKey), [
    'center_scale:experiment:all',
  ]);
});

test('selection: per-batch centring beats no correction in cross-validation, and is evaluated at its best setting', async () => {
  const { table } = syntheticScreen();
  const result = await evaluateProfiles(table, {
    ...FAST,
    plots: false,
    methods: ['none', 'center_scale'],
    controls: 'all',
    correct: centerPerBatch,
  });
  const { selection, selected_method } = result.metrics;
  assert.equal(selected_method, 'center_scale');
  assert.ok(selected_method in result.metrics.heldout_accuracy);
  assert.deepEqual(selection.fold_experiments, ['HEPG2-01', 'HEPG2-02', 'U2OS-01']);
  assert.deepEqual(selection.candidates, ['none', 'center_scale:experiment:all', 'center_scale:plate:all']);
  const none = selection.cv_scores.none;
  const centred = selection.cv_scores['center_scale:experiment:all'];
  // U2OS-01 is the only U2OS training experiment: its fold is scored on siRNAs seen in HEPG2 only.
  assert.equal(none.folds.length, 3);
  assert.ok(none.mean! < 0.5 && centred.mean! >= 0.9, `cv: none ${none.mean}, centred ${centred.mean}`);
  assert.equal(centred.mean, Math.round((centred.folds.reduce((a, b) => a + b, 0) / 3) * 1e4) / 1e4);
  assert.equal(selection.method, 'center_scale');
  assert.equal(selection.per_method.center_scale.candidate, `center_scale:${selection.batch}:all`);
  assert.equal(result.selected.method, 'center_scale');
  assert.equal(result.selected.profiles?.rows, 50 + 20, 'the corrected wells of every experiment');
  // Intervals nest the accuracies.
  const [lo, hi] = result.metrics.heldout_accuracy_ci.center_scale!;
  assert.ok(lo <= result.metrics.heldout_accuracy.center_scale! && result.metrics.heldout_accuracy.center_scale! <= hi);
  assert.equal(Object.keys(result.metrics.kshot_accuracy_ci.none).join(), '1,5,10');
});

test('held-out labels take no part in the selection', async () => {
  const { table } = syntheticScreen(2);
  const options = { ...FAST, plots: false, methods: ['none', 'center_scale'] as const, correct: centerPerBatch };
  const first = await evaluateProfiles(table, { ...options, methods: [...options.methods] });
  // Relabel every held-out treatment well: the cross-validation scores cannot change.
  const dataset = table.metadata.Metadata_dataset;
  const sirna = table.metadata.Metadata_sirna_id.map((id, i) =>
    dataset[i] === 'test' && Number(id) < 1108 ? (Number(id) + 3) % 10 : id,
  );
  const relabelled = { ...table, metadata: { ...table.metadata, Metadata_sirna_id: sirna } };
  const second = await evaluateProfiles(relabelled, { ...options, methods: [...options.methods] });
  assert.deepEqual(second.metrics.selection, first.metrics.selection);
  assert.notDeepEqual(second.metrics.heldout_accuracy, first.metrics.heldout_accuracy);
});
