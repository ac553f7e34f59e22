/**
 * `pipeline`: featurize -> select -> impute -> normalize -> correct + evaluate, in one run folder, resumable.
 *   {run}/profiles/            featurize output (one Parquet part per plate; a rerun skips complete plates)
 *   {run}/site_profiles.parquet selected, imputed, normalized site profiles (uncorrected)
 *   {run}/well_profiles.parquet the same averaged into wells (what the server's plate and map views read)
 *   {run}/metrics.json, report.html  evaluation of every correction method (written last: the run is complete)
 *   {run}/run.json             parameters, versions and step timings
 * Each step's output is written atomically, and a rerun skips the steps whose outputs exist, so a killed run
 * resumes where it stopped.
 */
import fs from 'node:fs';
import path from 'node:path';
import { featurizeDataset } from './featurize.js';
import { selectFeatures, type SelectOperation } from '../correct/select.js';
import { imputeMedian } from '../correct/impute.js';
import { normalizeProfiles } from '../correct/normalize.js';
import { evaluateProfiles, writeReport, type CorrectionMethod } from '../evaluate/index.js';
import type { FitOn } from '../correct/index.js';
import { writeFileAtomic } from '../util/files.js';
import { readProfiles, writeProfiles } from '../store/profiles.js';
import { aggregateToWells } from '../store/wells.js';

export interface PipelineOptions {
  out: string;
  threads?: number;
  /** Correction methods compared by the evaluation ('none' = uncorrected). */
  methods?: CorrectionMethod[];
  batch?: 'experiment' | 'plate';
  /** Rows the per-batch corrections fit on. */
  controls?: FitOn;
  /** Feature selection operations, in order (pycytominer's). */
  select?: SelectOperation[];
  seed?: number;
  /** Skip UMAP in the report (the slowest plot). */
  umap?: boolean;
  /** Step names and per-step progress. */
  onStep?: (step: string, detail: string) => void;
  onProgress?: (done: number, total: number) => void;
}

export const PIPELINE_DEFAULTS = {
  methods: ['none', 'center_scale', 'robust', 'tvn', 'coral', 'combat', 'harmony'] as CorrectionMethod[],
  batch: 'experiment' as const,
  controls: 'all' as const,
  select: ['drop_na_columns', 'variance_threshold', 'correlation_threshold', 'drop_outliers'] as SelectOperation[],
  seed: 0,
};

export interface PipelineSummary {
  run: string;
  steps: Record<string, { seconds: number; skipped: boolean; detail?: string }>;
  metrics: string;
  report: string;
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
  const step = async (name: string, output: string, work: () => Promise<string | undefined> | string | undefined) => {
    const started = performance.now();
    if (fs.existsSync(output)) {
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
  const groundTruth = path.join(dir, 'ground_truth.json');

  // Featurize resumes plate by plate itself, so it always runs (complete plates are skipped inside).
  const featurized = performance.now();
  options.onStep?.('featurize', 'running');
  const summary = await featurizeDataset(dir, {
    out: profiles,
    threads: settings.threads,
    onProgress: options.onProgress,
  });
  const allSkipped = summary.plates.every((p) => p.skipped);
  // When every plate was already done, this call measured nothing: keep the run that did the work on record.
  steps.featurize =
    allSkipped && earlier.featurize
      ? { ...earlier.featurize, skipped: true }
      : {
          seconds: Number(((performance.now() - featurized) / 1000).toFixed(3)),
          skipped: allSkipped,
          detail: `${summary.sites} sites, ${summary.problems} problems, ${summary.features} features`,
        };

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

  await step('evaluate', metrics, async () => {
    const result = await evaluateProfiles(readProfiles(siteProfiles), {
      methods: settings.methods,
      batch: settings.batch,
      controls: settings.controls,
      seed: settings.seed,
      umap: settings.umap,
      groundTruth: fs.existsSync(groundTruth) ? groundTruth : undefined,
    });
    writeReport(result, run);
    return Object.entries(result.metrics.heldout_accuracy)
      .map(([method, value]) => `${method} ${value === null ? '-' : value.toFixed(3)}`)
      .join(', ');
  });

  const record = {
    dataset: path.resolve(dir),
    parameters: settings,
    steps,
    versions: { node: process.version },
    finished: new Date().toISOString(),
  };
  writeFileAtomic(
    recordFile,
    `${JSON.stringify(record, (key, value) => (key === 'onStep' || key === 'onProgress' ? undefined : value), 2)}\n`,
  );
  return { run, steps, metrics, report: path.join(run, 'report.html') };
}
