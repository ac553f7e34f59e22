/** End-to-end tests of evaluate/: the protocol on a small synthetic screen, the report, and the CLI. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { Command } from 'commander';
import {
  evaluateProfiles,
  parseSplit,
  resolveSplit,
  writeReport,
  type CorrectFn,
  type GroundTruth,
} from '../src/evaluate/index.js';
import { registerEvaluateCommands } from '../src/cli/evaluate.js';
import { Rng } from '../src/util/random.js';
import { writeProfiles, type MetadataValue, type ProfileTable } from '../src/store/profiles.js';
import { tempDir } from './helpers.js';

const P = 8;
const SIRNAS = 10;

/**
 * A small RxRx1-shaped screen: 5 experiments (HEPG2-01/02 and U2OS-01 train, HEPG2-03 and U2OS-02 test), 2
 * plates each; siRNAs 0-4 form group A and 5-9 group B; each plate holds one group (swapped between
 * experiments), one well per siRNA, a negative control (B02) and a positive control; 2 sites per well.
 * Feature = siRNA mean (distinct, norm ~2.5) + experiment shift (large, norm ~14) + noise.
 */
function syntheticScreen(seed = 1): { table: ProfileTable; means: number[][] } {
  const rng = new Rng(seed);
  const normal = () => Math.sqrt(-2 * Math.log(1 - rng.next())) * Math.cos(2 * Math.PI * rng.next());
  const means = Array.from({ length: SIRNAS + 1 }, () => Array.from({ length: P }, () => normal()));
  const negative = new Array<number>(P).fill(0);
  const experiments = [
    ['HEPG2-01', 'train'],
    ['HEPG2-02', 'train'],
    ['HEPG2-03', 'test'],
    ['U2OS-01', 'train'],
    ['U2OS-02', 'test'],
  ];
  const meta: Record<string, MetadataValue[]> = {};
  const names = [
    'Metadata_site_id',
    'Metadata_well_id',
    'Metadata_dataset',
    'Metadata_experiment',
    'Metadata_plate',
    'Metadata_well',
    'Metadata_site',
    'Metadata_cell_type',
    'Metadata_well_type',
    'Metadata_sirna_id',
  ];
  for (const name of names) meta[name] = [];
  const values: number[][] = Array.from({ length: P }, () => []);
  experiments.forEach(([experiment, dataset], e) => {
    const shift = Array.from({ length: P }, () => 5 * normal());
    for (const plate of [1, 2]) {
      const group = (plate + e) % 2;
      const wells: [string, number, string][] = [
        ['B02', 1138, 'negative_control'],
        ['B03', 1108, 'positive_control'],
      ];
      for (let s = 0; s < 5; s++) wells.push([`C${String(s + 2).padStart(2, '0')}`, group * 5 + s, 'treatment']);
      for (const [well, sirna, type] of wells) {
        const mean = sirna === 1138 ? negative : sirna === 1108 ? means[SIRNAS] : means[sirna];
        const wellNoise = Array.from({ length: P }, () => 0.25 * normal());
        for (const site of [1, 2]) {
          meta.Metadata_site_id.push(`${experiment}_${plate}_${well}_${site}`);
          meta.Metadata_well_id.push(`${experiment}_${plate}_${well}`);
          meta.Metadata_dataset.push(dataset);
          meta.Metadata_experiment.push(experiment);
          meta.Metadata_plate.push(plate);
          meta.Metadata_well.push(well);
          meta.Metadata_site.push(site);
          meta.Metadata_cell_type.push(experiment.split('-')[0]);
          meta.Metadata_well_type.push(type);
          meta.Metadata_sirna_id.push(sirna);
          for (let j = 0; j < P; j++)
            values[j].push((sirna === 1108 ? 2 : 1) * mean[j] + shift[j] + wellNoise[j] + 0.1 * normal());
        }
      }
    }
  });
  return {
    table: {
      rows: meta.Metadata_site.length,
      metadata: meta,
      features: Array.from({ length: P }, (_, j) => `f${j}`),
      columns: values.map((v) => Float32Array.from(v)),
    },
    means: means.slice(0, SIRNAS),
  };
}

/** A trivial local correction: subtract each batch's mean over all its wells. */
const centerPerBatch: CorrectFn = (table, options) => {
  const key = (i: number) =>
    options.batch === 'plate'
      ? `${table.metadata.Metadata_experiment[i]}_${table.metadata.Metadata_plate[i]}`
      : String(table.metadata.Metadata_experiment[i]);
  const columns = table.columns.map((column) => {
    const sums = new Map<string, [number, number]>();
    for (let i = 0; i < table.rows; i++) {
      const s = sums.get(key(i)) ?? [0, 0];
      s[0] += column[i];
      s[1]++;
      sums.set(key(i), s);
    }
    return Float32Array.from(column, (v, i) => v - sums.get(key(i))![0] / sums.get(key(i))![1]);
  });
  return { ...table, columns };
};

const FAST = { nullSize: 500, umap: false } as const;

test('split: the competition split, the documented fallback, and leave-out', () => {
  const { table } = syntheticScreen();
  const rxrx1 = resolveSplit(table);
  assert.equal(rxrx1.kind, 'rxrx1');
  assert.deepEqual(rxrx1.testExperiments, ['HEPG2-03', 'U2OS-02']);
  const unlabelled = {
    ...table,
    metadata: {
      ...table.metadata,
      Metadata_sirna_id: table.metadata.Metadata_sirna_id.map((v, i) =>
        table.metadata.Metadata_dataset[i] === 'test' ? null : v,
      ),
    },
  };
  const fallback = resolveSplit(unlabelled);
  assert.equal(fallback.kind, 'leave-out');
  assert.deepEqual(fallback.testExperiments, ['HEPG2-02'], 'the last HEPG2 training experiment; U2OS has only one');
  assert.deepEqual(resolveSplit(table, parseSplit('leave-out:U2OS-01')).trainExperiments, [
    'HEPG2-01',
    'HEPG2-02',
    'HEPG2-03',
    'U2OS-02',
  ]);
  assert.throws(() => resolveSplit(table, { leaveOut: ['NOPE-1'] }), /unknown experiment/);
  assert.throws(() => parseSplit('leave-out:'), /expected/);
});

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

test('CLI: phenomap evaluate PROFILES --out DIR', async () => {
  const { table } = syntheticScreen(3);
  const dir = tempDir();
  const file = path.join(dir, 'profiles.parquet');
  writeProfiles(file, table);
  const program = new Command().exitOverride();
  registerEvaluateCommands(program);
  const log = console.log;
  const lines: string[] = [];
  console.log = (...args: unknown[]) => lines.push(args.join(' '));
  try {
    await program.parseAsync([
      'node',
      'phenomap',
      'evaluate',
      file,
      '--out',
      path.join(dir, 'report'),
      '--methods',
      'none',
      '--no-umap',
      '--null-size',
      '200',
      '--quiet',
      '--split',
      'leave-out:HEPG2-02',
    ]);
  } finally {
    console.log = log;
  }
  const metrics = JSON.parse(fs.readFileSync(path.join(dir, 'report', 'metrics.json'), 'utf8'));
  assert.deepEqual(metrics.split.test_experiments, ['HEPG2-02']);
  assert.equal(typeof metrics.heldout_accuracy.none, 'number');
  assert.ok(lines.some((line) => line.includes('wrote')));

  // A second representation of the same screen, evaluated with --compare against the first: the report carries both.
  const second = new Command().exitOverride();
  registerEvaluateCommands(second);
  console.log = () => {};
  try {
    await second.parseAsync([
      'node',
      'phenomap',
      'evaluate',
      file,
      '--out',
      path.join(dir, 'report2'),
      '--methods',
      'none,center_scale',
      '--no-plots',
      '--null-size',
      '200',
      '--quiet',
      '--split',
      'leave-out:HEPG2-02',
      '--name',
      'cnn',
      '--compare',
      `classical=${path.join(dir, 'report')}`,
    ]);
  } finally {
    console.log = log;
  }
  const compared = JSON.parse(fs.readFileSync(path.join(dir, 'report2', 'compare.json'), 'utf8'));
  assert.deepEqual(
    compared.runs.map((r: { name: string }) => r.name),
    ['cnn', 'classical'],
  );
  assert.equal(compared.sameSplit, true);
  assert.equal(compared.values.heldout_accuracy.classical.none, metrics.heldout_accuracy.none);
  assert.equal(
    compared.values.heldout_accuracy.classical.center_scale,
    null,
    'the first run did not evaluate center_scale',
  );
  const report = fs.readFileSync(path.join(dir, 'report2', 'report.html'), 'utf8');
  assert.match(report, /Compared with other representations/);
  assert.match(report, /classical = /);
  const bad = new Command().exitOverride().configureOutput({ writeErr: () => {}, writeOut: () => {} });
  registerEvaluateCommands(bad);
  await assert.rejects(
    bad.parseAsync(['node', 'phenomap', 'evaluate', file, '--out', dir, '--methods', 'none,bogus']),
    /unknown: bogus/,
  );
});
