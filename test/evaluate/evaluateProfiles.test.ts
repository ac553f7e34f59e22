/** src/evaluate/evaluateProfiles.ts: the protocol end to end on a small synthetic screen. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { evaluateProfiles, type GroundTruth } from '../../src/evaluate/index.js';
import { centerPerBatch, FAST, syntheticScreen } from './screen.js';

test('batch shift: uncorrected held-out accuracy is low, per-batch centering makes it high', async () => {
  const { table, means } = syntheticScreen();
  const truth: GroundTruth = new Map(means.map((m, id) => [id, { phenotype: m, hasEffect: true }]));
  const result = await evaluateProfiles(table, {
    ...FAST,
    methods: ['none', 'center_scale'],
    correct: centerPerBatch,
    groundTruth: truth,
    plots: false,
  });
  const m = result.metrics;
  assert.equal(m.n_classes, 10);
  assert.equal(m.n_train_wells, 30);
  assert.equal(m.n_test_wells, 20);
  assert.equal(m.chance_accuracy, 0.1);
  assert.ok(m.heldout_accuracy.none! < 0.5, `uncorrected accuracy ${m.heldout_accuracy.none}`);
  assert.ok(m.heldout_accuracy.center_scale! >= 0.9, `centred accuracy ${m.heldout_accuracy.center_scale}`);
  assert.ok(
    m.heldout_accuracy_plate_constrained.center_scale! >= m.heldout_accuracy.center_scale!,
    'the plate constraint does not hurt here',
  );
  assert.equal(m.plate_group_accuracy.center_scale, 1);
  assert.ok(
    m.knn_accuracy.center_scale! >= 0.9 && m.knn_accuracy.none! < 0.5,
    `kNN ${m.knn_accuracy.none} -> ${m.knn_accuracy.center_scale}`,
  );
  assert.deepEqual(Object.keys(m.kshot_accuracy.center_scale), ['1', '5', '10']);
  assert.ok(m.kshot_accuracy.center_scale['1']! >= 0.7, `1-shot ${m.kshot_accuracy.center_scale['1']}`);
  assert.equal(m.kshot_novel_accuracy, undefined, 'no novel-siRNA k-shot unless siRNAs are named');
  // Novel siRNAs 0-2 (as if a model never saw them): 3 candidates, and their 6 held-out wells as the only queries.
  const novel = (
    await evaluateProfiles(table, {
      ...FAST,
      methods: ['none', 'center_scale'],
      correct: centerPerBatch,
      plots: false,
      novelSirnas: [0, 1, 2],
    })
  ).metrics;
  assert.equal(novel.kshot_novel_accuracy!.center_scale['1'], 1);
  assert.equal(novel.kshot_novel_chance, 1 / 3, 'chance among the three novel siRNAs');
  assert.equal(m.kshot_novel_chance, undefined);
  for (const k of ['1', '5', '10']) {
    const hits = novel.kshot_novel_accuracy!.none[k]! * 6;
    assert.ok(Math.abs(hits - Math.round(hits)) < 1e-9, `${k}-shot: ${hits} of 6 queries`);
  }
  assert.deepEqual(novel.kshot_accuracy, m.kshot_accuracy, 'the all-siRNA k-shot is unchanged');
  assert.deepEqual(Object.keys(m.heldout_accuracy_by_cell_type.none), ['HEPG2', 'U2OS']);
  assert.ok(m.map.center_scale! > m.map.none!, `mAP ${m.map.none} -> ${m.map.center_scale}`);
  assert.ok(m.fraction_retrieved.center_scale! > 0.5, `retrieved ${m.fraction_retrieved.center_scale}`);
  assert.ok(m.activity_map.center_scale! > 0.5);
  assert.ok(
    m.silhouette_batch.center_scale! < m.silhouette_batch.none!,
    `silhouette batch ${m.silhouette_batch.none} -> ${m.silhouette_batch.center_scale}`,
  );
  assert.ok(m.silhouette_sirna.center_scale! > m.silhouette_sirna.none!);
  assert.ok(m.ilisi.center_scale! > m.ilisi.none!, `iLISI ${m.ilisi.none} -> ${m.ilisi.center_scale}`);
  assert.ok(m.clisi.center_scale! < m.clisi.none!, `cLISI ${m.clisi.none} -> ${m.clisi.center_scale}`);
  assert.ok(m.graph_connectivity.center_scale! >= m.graph_connectivity.none!);
  assert.ok(
    m.ground_truth!.center_scale.rank_correlation! > 0.8,
    `rank correlation ${m.ground_truth!.center_scale.rank_correlation}`,
  );
  assert.ok(m.ground_truth!.center_scale.rank_correlation! > m.ground_truth!.none.rank_correlation!);
  assert.ok(m.ground_truth!.center_scale.fraction_detected! >= 0.5);
});

test('the real src/correct corrections are wired in by default', async () => {
  const { table } = syntheticScreen(4);
  const result = await evaluateProfiles(table, {
    ...FAST,
    plots: false,
    methods: ['none', 'center_scale', 'combat'],
    controls: 'all',
  });
  const m = result.metrics;
  assert.equal(m.errors, undefined);
  assert.ok(m.heldout_accuracy.none! < 0.5, `uncorrected ${m.heldout_accuracy.none}`);
  assert.ok(
    m.heldout_accuracy.center_scale! >= 0.9 && m.heldout_accuracy.combat! >= 0.9,
    `center_scale ${m.heldout_accuracy.center_scale}, combat ${m.heldout_accuracy.combat}`,
  );
  await assert.rejects(evaluateProfiles(table, { methods: ['bogus' as 'none'] }), /unknown correction method/);
});
