/**
 * `pipeline`: featurize -> select -> impute -> normalize -> correct + evaluate, in one run folder, resumable.
 *   {run}/profiles/            featurize output (one Parquet part per plate; a rerun skips complete plates)
 *   {run}/site_profiles.parquet selected, imputed, normalized site profiles (uncorrected)
 *   {run}/well_profiles.parquet the same averaged into wells (what the server's plate and map views read)
 *   {run}/corrected_profiles.parquet  the run's main output: the wells corrected by the selected method (chosen
 *                              by cross-validation inside the training experiments, src/evaluate/selection.ts)
 *   {run}/metrics.json, report.html  evaluation of every correction method (written last: the run is complete)
 *   {run}/run.json             parameters, versions and step timings
 * Each step's output is written atomically, and a rerun skips the steps whose outputs exist, so a killed run
 * resumes where it stopped; when featurize (re)did a plate, the steps after it are redone. The summary's exit code
 * is featurize's (0 all done, 1 done with failed sites, 2 nothing could be featurized: the later steps do not run).
 * A ground_truth.json beside the dataset adds ground-truth metrics when it is the simulator's; any other is named in
 * a warning and left aside (only an explicit `groundTruth` file must parse).
 */
import fs from 'node:fs';
import path from 'node:path';
import type { MetadataProblem } from '../data/metadata.js';
import { type ExitCode, type FeaturizeSummary, featurizeDataset, type PlateRunner } from './featurize.js';
import { selectFeatures, type SelectOperation } from '../correct/select.js';
import { imputeMedian } from '../correct/impute.js';
import { normalizeProfiles } from '../correct/normalize.js';
import {
  evaluateProfiles,
  readGroundTruth,
  writeReport,
  type CorrectionMethod,
  type EvaluationMetrics,
  type GroundTruth,
  type SelectionJson,
} from '../evaluate/index.js';
import type { FitOn } from '../correct/index.js';
import { writeFileAtomic } from '../util/files.js';
import { phenomapVersion } from '../util/version.js';
import { readProfiles, writeProfiles } from '../store/profiles.js';
import { aggregateToWells } from '../store/wells.js';

export interface PipelineOptions {
  out: string;
  threads?: number;
  /** Correction methods compared by the evaluation ('none' = uncorrected), the selection's candidates. */
  methods?: CorrectionMethod[];
  /** Batch unit; default: chosen by cross-validation with the method. */
  batch?: 'experiment' | 'plate';
  /** Rows the per-batch corrections fit on; default: chosen by cross-validation with the method. */
  controls?: FitOn;
  /** Feature selection operations, in order (pycytominer's). */
  select?: SelectOperation[];
  seed?: number;
  /** Skip UMAP in the report (the slowest plot). */
  umap?: boolean;
  /** Ground truth to score against (an error when it cannot be read); default: DIR/ground_truth.json if usable. */
  groundTruth?: string;
  /** Things the run left aside and went on without (also recorded in run.json). */
  onWarning?: (message: string) => void;
  /** Step names and per-step progress. */
  onStep?: (step: string, detail: string) => void;
  onProgress?: (done: number, total: number) => void;
  /** The metadata rows left out of the run (also in profiles/problems.json), told before featurizing. */
  onMetadataProblems?: (problems: MetadataProblem[]) => void;
  /** Runs featurize's plate jobs elsewhere (a queue); see FeaturizeOptions.runPlates. */
  runPlates?: PlateRunner;
}

export const PIPELINE_DEFAULTS = {
  methods: ['none', 'center_scale', 'robust', 'tvn', 'coral', 'combat', 'harmony', 'jump'] as CorrectionMethod[],
  select: ['drop_na_columns', 'variance_threshold', 'correlation_threshold', 'drop_outliers'] as SelectOperation[],
  seed: 0,
};

export interface PipelineSummary {
  run: string;
  warnings: string[];
  steps: Record<string, { seconds: number; skipped: boolean; detail?: string }>;
  metrics: string;
  report: string;
  /** The selected correction, e.g. "center_scale (batch plate, controls all)". */
  selected: string;
  /** The selected method's corrected well profiles. */
  profiles: string;
  featurize: FeaturizeSummary;
  exitCode: ExitCode;
}

export async function runPipeline(dir: string, options: PipelineOptions): Promise<PipelineSummary> {
  const settings = {
    ...PIPELINE_DEFAULTS,
    ...Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)),
  } as Required<PipelineOptions>;
  const run = path.resolve(options.out);
  fs.mkdirSync(run, { recursive: true });
  const steps: PipelineSummary['steps'] = {};
  const recordFile = path.join(run, 'run.json');
  // A resumed run keeps what the earlier run recorded for the steps it skips.
  const earlier: PipelineSummary['steps'] = fs.existsSync(recordFile)
    ? (JSON.parse(fs.readFileSync(recordFile, 'utf8')).steps ?? {})
    : {};
  // Set when featurize (re)did plates: every later output is then out of date.
  let redo = false;
  const step = async (name: string, output: string, work: () => Promise<string | undefined> | string | undefined) => {
    const started = performance.now();
    if (fs.existsSync(output) && !redo) {
      steps[name] = { ...earlier[name], seconds: earlier[name]?.seconds ?? 0, skipped: true };
      options.onStep?.(name, `${path.relative(process.cwd(), output)} exists: skipped`);
      return;
    }
    options.onStep?.(name, 'running');
    const detail = await work();
    steps[name] = { seconds: Number(((performance.now() - started) / 1000).toFixed(3)), skipped: false, detail };
    if (detail) options.onStep?.(name, detail);
  };

  const profiles = path.join(run, 'profiles');
  const siteProfiles = path.join(run, 'site_profiles.parquet');
  const wellProfiles = path.join(run, 'well_profiles.parquet');
  const metrics = path.join(run, 'metrics.json');
  const correctedProfiles = path.join(run, CORRECTED_PROFILES);
  const warnings: string[] = [];

  const { summary, record } = await featurizeStep(dir, options, profiles, earlier.featurize);
  steps.featurize = record;
  redo = summary.plates.some((p) => p.status === 'done');
  if (summary.exitCode === 2) {
    writeRecord(recordFile, dir, settings, steps, warnings, null);
    return {
      run,
      steps,
      warnings,
      metrics,
      report: path.join(run, 'report.html'),
      selected: 'none (nothing could be featurized)',
      profiles: correctedProfiles,
      featurize: summary,
      exitCode: 2,
    };
  }

  await step('select', siteProfiles, () => {
    const sites = readProfiles(path.join(profiles, 'sites'));
    const selected = selectFeatures(sites, { operations: settings.select });
    const { table: imputed, imputed: count } = imputeMedian(selected.table);
    // A global z-score puts features on one scale without removing any batch effect: correction comes next.
    const normalized = normalizeProfiles(imputed, { method: 'standardize', fitOn: 'all', by: 'all' });
    writeProfiles(siteProfiles, normalized);
    writeProfiles(wellProfiles, aggregateToWells(normalized));
    return `${sites.features.length} -> ${selected.kept.length} features, ${count} missing values imputed`;
  });

  await step('evaluate', metrics, () =>
    evaluateStep(siteProfiles, run, settings, groundTruthOf(dir, options, warnings)),
  );
  const selection = (JSON.parse(fs.readFileSync(metrics, 'utf8')) as EvaluationMetrics).selection;

  const selected = selection
    ? { method: selection.method, batch: selection.batch, controls: selection.controls }
    : null;
  writeRecord(recordFile, dir, settings, steps, warnings, selected);
  return {
    run,
    steps,
    warnings,
    metrics,
    report: path.join(run, 'report.html'),
    selected: selection ? describe(selection) : 'unknown (metrics.json of an older run has no selection)',
    profiles: correctedProfiles,
    featurize: summary,
    exitCode: summary.exitCode,
  };
}

/**
 * Featurize resumes plate by plate itself, so it always runs (complete plates are skipped inside); when every plate
 * was already done, this call measured nothing, and the record of the run that did the work is kept.
 */
async function featurizeStep(
  dir: string,
  options: PipelineOptions,
  profiles: string,
  earlier: PipelineSummary['steps'][string] | undefined,
): Promise<{ summary: FeaturizeSummary; record: PipelineSummary['steps'][string] }> {
  const started = performance.now();
  options.onStep?.('featurize', 'running');
  const summary = await featurizeDataset(dir, {
    out: profiles,
    threads: options.threads,
    onProgress: options.onProgress,
    onMetadataProblems: options.onMetadataProblems,
    runPlates: options.runPlates,
  });
  const allSkipped = summary.plates.every((p) => p.skipped);
  if (allSkipped && earlier) return { summary, record: { ...earlier, skipped: true } };
  const detail =
    `${summary.sites} sites, ${summary.rows} featurized, ${summary.absent} without images, ` +
    `${summary.failed} failed, ${summary.features} features`;
  return {
    summary,
    record: { seconds: Number(((performance.now() - started) / 1000).toFixed(3)), skipped: allSkipped, detail },
  };
}

/** run.json: parameters, step records (a skipped step keeps the record of the run that did it), versions. */
function writeRecord(
  file: string,
  dir: string,
  settings: object,
  steps: PipelineSummary['steps'],
  warnings: string[],
  selected: { method: string; batch: string; controls: string } | null,
): void {
  const record = {
    dataset: dir.includes('://') ? dir : path.resolve(dir),
    parameters: settings,
    steps,
    warnings,
    selected,
    versions: { phenomap: phenomapVersion(), node: process.version },
    finished: new Date().toISOString(),
  };
  // JSON leaves the callbacks among the parameters out.
  writeFileAtomic(file, `${JSON.stringify(record, null, 2)}\n`);
}

/**
 * The ground truth asked for (an error when it cannot be read), else DIR/ground_truth.json when it is the simulator's
 * (or another shape evaluate/groundTruth.ts reads): a sidecar the run does not need never stops it, one that cannot
 * be read is named in a warning (added to `warnings`) and skipped.
 */
function groundTruthOf(dir: string, options: PipelineOptions, warnings: string[]): GroundTruth | undefined {
  if (options.groundTruth) return readGroundTruth(options.groundTruth);
  const file = path.join(dir, 'ground_truth.json');
  if (!fs.existsSync(file)) return undefined;
  try {
    return readGroundTruth(file);
  } catch (error) {
    const warning =
      `${file} skipped: not a ground truth phenomap reads (expected the simulator's ground_truth.json; ` +
      `${(error as Error).message}); the run goes on without ground-truth metrics (give --ground-truth FILE ` +
      'to require one)';
    warnings.push(warning);
    options.onWarning?.(warning);
    return undefined;
  }
}

/**
 * Evaluates every method (selecting one by cross-validation), writes the selected method's corrected wells (the
 * run's main output), then report.html and metrics.json (last: a run with metrics.json is complete).
 */
async function evaluateStep(
  siteProfiles: string,
  run: string,
  settings: Required<PipelineOptions>,
  groundTruth: GroundTruth | undefined,
): Promise<string> {
  const result = await evaluateProfiles(readProfiles(siteProfiles), {
    methods: settings.methods,
    batch: settings.batch,
    controls: settings.controls,
    seed: settings.seed,
    umap: settings.umap,
    groundTruth,
  });
  const { selected } = result;
  if (!selected.profiles) throw new Error(`pipeline: the selected correction (${selected.method}) failed`);
  writeProfiles(path.join(run, CORRECTED_PROFILES), selected.profiles);
  writeReport(result, run);
  const accuracies = Object.entries(result.metrics.heldout_accuracy)
    .map(([method, value]) => `${method} ${value === null ? '-' : value.toFixed(3)}`)
    .join(', ');
  return `selected ${describe(result.metrics.selection)}; held-out accuracy ${accuracies}`;
}

/** The run's main output: the selected method's corrected well profiles. */
export const CORRECTED_PROFILES = 'corrected_profiles.parquet';

const describe = (s: SelectionJson) => `${s.method} (batch ${s.batch}, controls ${s.controls})`;
