/**
 * `phenomap evaluate PROFILES --out REPORT_DIR`: the evaluate/ library behind a command. Writes metrics.json
 * (schema in src/evaluate/METRICS.md) and report.html into REPORT_DIR.
 */
import fs from 'node:fs';
import path from 'node:path';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { readProfiles } from '../store/profiles.js';
import { readManifest } from '../embed/store.js';
import { compareRuns, writeComparison, type ComparedRun } from '../evaluate/compare.js';
import { integer, listOf, positiveNumber } from './options.js';
import {
  CORRECTION_METHODS,
  evaluateProfiles,
  parseSplit,
  writeReport,
  type CorrectionMethod,
  type EvaluateOptions,
  type EvaluationResult,
  type SplitSpec,
} from '../evaluate/index.js';
import { FIT_ON, type FitOn } from '../correct/index.js';

function splitOption(value: string): SplitSpec {
  try {
    return parseSplit(value);
  } catch (error) {
    throw new InvalidArgumentError((error as Error).message);
  }
}

interface EvaluateCliOptions {
  out: string;
  methods: CorrectionMethod[];
  batch: 'experiment' | 'plate';
  controls?: FitOn;
  correctAt: 'well' | 'site';
  split: SplitSpec;
  groundTruth?: string;
  seed: number;
  l2: number;
  maxIter: number;
  nullSize: number;
  umap: boolean;
  plots: boolean;
  heatmapFeature?: string;
  quiet?: boolean;
  compare?: ComparedRun[];
  name: string;
  novelSirnas?: number[];
}

/** A comma-separated list of siRNA ids, or a model folder whose model.json lists the siRNAs it was not trained on. */
function novelSirnas(value: string): number[] {
  if (fs.existsSync(path.join(value, 'model.json'))) {
    const ids = readManifest(value).heldOutSirnas;
    if (!ids || ids.length === 0)
      throw new InvalidArgumentError(
        `${path.join(value, 'model.json')}: the model holds out no siRNAs (train with holdoutSirnaFraction or ` +
          `holdoutSirnas)`,
      );
    return ids;
  }
  const ids = value.split(',').map((v) => Number(v.trim()));
  if (ids.some((id) => !Number.isInteger(id) || id < 0))
    throw new InvalidArgumentError(
      `"${value}": expected siRNA ids (e.g. 3,17,42) or a model folder holding model.json`,
    );
  return ids;
}

/** NAME=DIR: a named run folder holding metrics.json. */
function runSpec(spec: string, previous: ComparedRun[] = []): ComparedRun[] {
  const at = spec.indexOf('=');
  if (at <= 0) throw new InvalidArgumentError(`run "${spec}": expected NAME=DIR, e.g. classical=data/run-small`);
  return [...previous, { name: spec.slice(0, at), dir: spec.slice(at + 1) }];
}

/** Adds `evaluate` to the program. */
function registerEvaluateCommand(program: Command): void {
  program
    .command('evaluate')
    .description(
      'score a profile table (sites or wells) before and after batch correction: held-out siRNA accuracy, mAP, ' +
        'batch mixing; writes metrics.json and report.html',
    )
    .argument(
      '<profiles>',
      'profile table: a .parquet file or a folder of parts (Metadata_* columns, then float32 features)',
    )
    .requiredOption('--out <dir>', 'report folder (metrics.json, report.html)')
    .option(
      '--methods <list>',
      `correction methods to compare, comma-separated (${CORRECTION_METHODS.join(', ')})`,
      listOf(CORRECTION_METHODS),
      ['none', 'center_scale', 'tvn'],
    )
    .addOption(
      new Option(
        '--batch <unit>',
        'batch unit for correction and mixing metrics (default: chosen by cross-validation inside the training experiments)',
      ).choices(['experiment', 'plate']),
    )
    .addOption(
      new Option(
        '--controls <which>',
        'rows the corrections fit on: negative controls, all controls or all rows (default: chosen by cross-validation)',
      ).choices(FIT_ON),
    )
    .addOption(
      new Option(
        '--correct-at <level>',
        'correct the well table, or the site table before averaging into wells (more control rows per batch)',
      )
        .choices(['well', 'site'])
        .default('well'),
    )
    .option(
      '--split <split>',
      'rxrx1 (Metadata_dataset train/test, or a documented leave-out fallback) or leave-out:EXP1,EXP2',
      splitOption,
      'rxrx1' as SplitSpec,
    )
    .option(
      '--ground-truth <file>',
      'ground_truth.json of a simulated dataset: also score against the true siRNA phenotypes',
    )
    .option('--seed <n>', 'seed of subsets, k-shot draws, permutation nulls and UMAP', integer('seed', 0), 0)
    .option('--l2 <x>', 'L2 penalty of the logistic regression', positiveNumber('l2'), 1e-3)
    .option('--max-iter <n>', 'L-BFGS iterations at most', integer('max-iter', 0), 200)
    .option('--null-size <n>', 'permutation null size of the mAP p-values', integer('null-size', 0), 10000)
    .option('--no-umap', 'skip the UMAP plots (the slowest part of the report)')
    .option('--no-plots', 'skip all plots')
    .option('--heatmap-feature <name>', 'feature drawn in the plate heatmaps (default: the first feature)')
    .option('--quiet', 'no progress messages')
    .option(
      '--compare <NAME=DIR>',
      'also compare this run with another evaluation (e.g. classical=data/run-small, on the same held-out ' +
        'experiments); repeatable; adds a section to report.html and writes compare.json/compare.html',
      runSpec,
    )
    .option('--name <name>', 'name of this run in the comparison', 'this')
    .option(
      '--novel-sirnas <ids|MODEL_DIR>',
      'siRNAs a model never saw in training (ids, or the model folder): adds k-shot accuracy among them ' +
        '(kshot_novel_accuracy)',
      novelSirnas,
    )
    .action(evaluateAction);
}

/** `phenomap evaluate`: evaluate, compare when asked, write the report, print one line per method. */
async function evaluateAction(profiles: string, options: EvaluateCliOptions): Promise<void> {
  const table = readProfiles(profiles);
  const evaluateOptions: EvaluateOptions = {
    methods: options.methods,
    batch: options.batch,
    controls: options.controls,
    correctAt: options.correctAt,
    split: options.split,
    groundTruth: options.groundTruth,
    seed: options.seed,
    logistic: { l2: options.l2, maxIterations: options.maxIter },
    nullSize: options.nullSize,
    plots: options.plots,
    umap: options.umap && options.plots,
    heatmapFeature: options.heatmapFeature,
    novelSirnas: options.novelSirnas,
    onProgress: options.quiet ? undefined : (message) => console.error(message),
  };
  const result = await evaluateProfiles(table, evaluateOptions);
  const comparison = options.compare
    ? compareRuns([{ name: options.name, dir: options.out, metrics: result.metrics }, ...options.compare])
    : undefined;
  if (comparison) {
    writeComparison(comparison, options.out);
    if (!comparison.sameSplit) console.error('warning: the compared runs held out different experiments');
  }
  const written = writeReport(result, options.out, { comparison });
  printSummary(result);
  console.log(`wrote ${written.metrics} and ${written.report}`);
}

function printSummary(result: EvaluationResult): void {
  const m = result.metrics;
  const show = (v: number | null | undefined) => (v === null || v === undefined ? '-' : v.toFixed(3));
  console.log(
    `${m.n_classes} siRNAs, ${m.n_train_wells} training wells, ${m.n_test_wells} held-out wells (chance ` +
      `${show(m.chance_accuracy)}); ${result.split.description}`,
  );
  const interval = (ci: [number, number] | null | undefined) => (ci ? ` [${show(ci[0])}, ${show(ci[1])}]` : '');
  for (const method of m.methods) {
    console.log(
      `${method === m.selected_method ? '* ' : '  '}${method.padEnd(13)} accuracy ${show(m.heldout_accuracy[method])}` +
        `${interval(m.heldout_accuracy_ci[method])}  plate-constrained ` +
        `${show(m.heldout_accuracy_plate_constrained[method])}  kNN ${show(m.knn_accuracy[method])}  mAP ` +
        `${show(m.map[method])}  activity mAP ${show(m.activity_map[method])}  iLISI ${show(m.ilisi[method])}`,
    );
  }
  const s = m.selection;
  console.log(`selected (*): ${s.method}, batch ${s.batch}, controls ${s.controls} (${s.protocol})`);
  if (m.errors) {
    for (const [method, error] of Object.entries(m.errors)) console.error(`${method}: ${error}`);
    process.exitCode = 1;
  }
}

function registerCompareCommand(program: Command): void {
  program
    .command('compare')
    .description(
      'compare representations evaluated on the same held-out experiments (e.g. classical profiles and CNN ' +
        'embeddings), each before and after correction',
    )
    .argument('<runs...>', "NAME=DIR pairs, each DIR holding an evaluation's metrics.json")
    .requiredOption('--out <dir>', 'folder for compare.json and compare.html')
    .action((specs: string[], options: { out: string }) => {
      const comparison = compareRuns(specs.flatMap((spec) => runSpec(spec)));
      const written = writeComparison(comparison, options.out);
      for (const run of comparison.runs) {
        const accuracy = (m: string) => comparison.values.heldout_accuracy[run.name][m]?.toFixed(3) ?? '-';
        console.log(`${run.name.padEnd(12)} ${comparison.methods.map((m) => `${m} ${accuracy(m)}`).join(', ')}`);
      }
      if (!comparison.sameSplit) console.log('warning: the runs held out different experiments');
      console.log(`wrote ${written.json} and ${written.html}`);
    });
}

export function registerEvaluateCommands(program: Command): void {
  registerEvaluateCommand(program);
  registerCompareCommand(program);
}
