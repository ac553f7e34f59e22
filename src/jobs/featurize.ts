/**
 * `featurize`: classical (CellProfiler-style) profiles of a dataset, plate by plate. Each plate is one job
 * (src/jobs/featurizePlate.ts) whose sites are segmented and measured on worker threads and written as
 *   {out}/sites/{experiment}_{plate}.parquet   one row per site (Metadata_* + site features, see features/pipeline.ts)
 *   {out}/cells/{experiment}_{plate}.parquet   one row per cell with --per-cell (Metadata_* + Metadata_object)
 *   {out}/manifests/{experiment}_{plate}.json  written last: row counts and checksums the parts must verify against
 * A rerun skips the plates whose parts verify and redoes the others (damaged, missing, other parameters). Sites with
 * no image file at the dataset's location (a partial download) are counted as absent and not featurized; a plate with
 * none featurized writes no part and is reported. Sites that cannot be loaded or measured are listed in
 * {out}/problems.json, after the metadata rows left out of the run (each with its file, line, field and why:
 * data/metadata.ts); {out}/run.json records parameters, versions, timings and every plate. The output location may
 * be a folder or an s3:// prefix, the dataset anything src/storage opens. The exit code says how it went: 0 all done,
 * 1 done with failed sites (listed), 2 nothing could be done. Memory is bounded by one plate's rows plus the sites in
 * flight (2 per thread).
 */
import os from 'node:os';
import { Piscina } from 'piscina';
import { DatasetError, detectLayout } from '../data/layout.js';
import type { MetadataProblem } from '../data/metadata.js';
import { ensureSiteIndex, querySiteIndex, type SiteFilter } from '../data/siteIndex.js';
import type { SiteRecord } from '../data/site.js';
import { featurizeParameters } from '../features/pipeline.js';
import { openStorage, type Storage } from '../storage/index.js';
import { phenomapVersion } from '../util/version.js';
import {
  type FeaturizePlateJob,
  type FeaturizePool,
  featurizePlate,
  type PlateOutcome,
  type PlateStatus,
} from './featurizePlate.js';
import { configHash, type SiteProblem } from './manifest.js';

export { OBJECT_COLUMN } from './featurizePlate.js';
export type { SiteProblem } from './manifest.js';

export interface FeaturizeOptions {
  /** Output location (a folder, created, or an s3:// prefix). */
  out: string;
  /** Also write per-cell rows. */
  perCell?: boolean;
  /** Worker threads (default os.availableParallelism()). */
  threads?: number;
  /** Which sites (default all in the dataset's index). */
  filter?: SiteFilter;
  /** Segmentation and measurement parameters (defaults: features/pipeline.ts). */
  parameters?: Parameters<typeof featurizeParameters>[0];
  /** Sites done (absent sites and complete plates count at once) out of all selected. */
  onProgress?: (done: number, total: number) => void;
  /**
   * Runs the plate jobs elsewhere (a queue, src/jobs/queue.ts) instead of on local threads; it returns each plate's
   * outcome, as featurizePlate does.
   */
  runPlates?: PlateRunner;
  /** The metadata rows left out of the run (also in problems.json), told before any plate runs. */
  onMetadataProblems?: (problems: MetadataProblem[]) => void;
}

/** Runs plate jobs and returns their outcomes in order; progress counts sites. */
export type PlateRunner = (
  jobs: FeaturizePlateJob[],
  onProgress: (done: number, total: number) => void,
) => Promise<PlateOutcome[]>;

export interface PlateRecord {
  plate: string;
  status: PlateStatus;
  sites: number;
  featurized: number;
  absent: number;
  failed: number;
  /** True when the plate's verified outputs were kept and nothing was recomputed. */
  skipped: boolean;
  seconds: number;
  note?: string;
}

/** 0: every site with images featurized; 1: done, but some sites failed (listed); 2: nothing could be done. */
export type ExitCode = 0 | 1 | 2;

export interface FeaturizeSummary {
  out: string;
  sites: number;
  /** Sites featurized by this run. */
  featurized: number;
  /** Rows in the outputs of the selected plates (this run's and those kept). */
  rows: number;
  absent: number;
  failed: number;
  /** Sites listed in problems.json. */
  problems: number;
  /** Metadata rows left out of the run (bad or repeated rows), listed first in problems.json. */
  metadataProblems: number;
  plates: PlateRecord[];
  features: number;
  seconds: number;
  exitCode: ExitCode;
}

/** An entry of problems.json: a metadata row left out of the run, or a site that failed. */
export type RunProblem = MetadataProblem | SiteProblem;

function isSiteProblem(problem: unknown): problem is SiteProblem {
  return typeof problem === 'object' && problem !== null && typeof (problem as SiteProblem).siteId === 'string';
}

function plateKey(site: Pick<SiteRecord, 'experiment' | 'plate'>): string {
  return `${site.experiment}_${site.plate}`;
}

async function readJson<T>(storage: Storage, key: string, fallback: T): Promise<T> {
  try {
    return JSON.parse(new TextDecoder().decode(await storage.read(key))) as T;
  } catch {
    return fallback;
  }
}

function writeJson(storage: Storage, key: string, value: unknown): Promise<void> {
  return storage.write(key, `${JSON.stringify(value, null, 2)}\n`);
}

function round3(value: number): number {
  return Math.round(value * 1000) / 1000;
}

/** The plate jobs of a featurization: one per plate of the selected sites. */
export async function planFeaturize(
  dir: string,
  options: Pick<FeaturizeOptions, 'out' | 'perCell' | 'filter' | 'parameters'>,
): Promise<{
  jobs: FeaturizePlateJob[];
  sites: number;
  layout: Awaited<ReturnType<typeof detectLayout>>;
  metadataProblems: MetadataProblem[];
}> {
  const parameters = featurizeParameters(options.parameters);
  const layout = await detectLayout(dir);
  const index = await ensureSiteIndex(layout);
  const sites = await querySiteIndex(index.file, options.filter ?? {});
  if (sites.length === 0)
    throw new DatasetError(
      `no sites: none of the ${index.sites} sites of ${layout.root} matches ${JSON.stringify(options.filter ?? {})}`,
    );
  const out = openStorage(options.out).location;
  const perCell = !!options.perCell;
  const version = phenomapVersion();
  const hash = configHash('featurize', { version, parameters, perCell });
  const plates = new Map<string, SiteRecord[]>();
  for (const site of sites) {
    const key = plateKey(site);
    const list = plates.get(key);
    if (list) list.push(site);
    else plates.set(key, [site]);
  }
  const jobs = [...plates].map(
    ([plate, plateSites]): FeaturizePlateJob => ({
      step: 'featurize',
      version,
      configHash: hash,
      imageRoot: layout.imageRoot,
      out,
      plate,
      sites: plateSites,
      parameters,
      perCell,
    }),
  );
  return { jobs, sites: sites.length, layout, metadataProblems: index.problems };
}

/** Runs plate jobs one after another on local worker threads. */
export function localPlateRunner(threads: number): PlateRunner {
  return async (jobs, onProgress) => {
    const total = jobs.reduce((sum, job) => sum + job.sites.length, 0);
    let done = 0;
    const pool: FeaturizePool = new Piscina({
      filename: new URL('../features/worker.js', import.meta.url).href,
      name: 'featurizeTask',
      minThreads: threads,
      maxThreads: threads,
    });
    const outcomes: PlateOutcome[] = [];
    try {
      for (const job of jobs) {
        const onSiteDone = (count: number) => {
          done += count;
          onProgress(done, total);
        };
        outcomes.push(await featurizePlate(job, pool, { inFlight: 2 * threads, onSiteDone }));
      }
    } finally {
      await pool.close();
    }
    return outcomes;
  };
}

function plateRecord(outcome: PlateOutcome): PlateRecord {
  const { plate, status, sites, featurized, absent, failed, seconds, note } = outcome;
  return {
    plate,
    status,
    sites,
    featurized,
    absent,
    failed,
    skipped: status === 'complete',
    seconds,
    ...(note ? { note } : {}),
  };
}

/** The exit code of a set of plate outcomes (see ExitCode). */
export function exitCodeOf(outcomes: readonly PlateOutcome[]): ExitCode {
  const rows = outcomes.reduce((sum, o) => sum + (o.status === 'empty' ? 0 : o.featurized), 0);
  if (rows === 0) return 2;
  return outcomes.some((o) => o.failed > 0) ? 1 : 0;
}

/** Featurizes the dataset at `dir` (any layout, any src/storage location) into `options.out`; see the module comment. */
export async function featurizeDataset(dir: string, options: FeaturizeOptions): Promise<FeaturizeSummary> {
  const started = performance.now();
  const startedAt = new Date().toISOString();
  const threads = options.threads ?? os.availableParallelism();
  if (!Number.isInteger(threads) || threads < 1) throw new Error(`threads ${threads}: expected an integer >= 1`);
  const { jobs, sites, layout, metadataProblems } = await planFeaturize(dir, options);
  options.onMetadataProblems?.(metadataProblems);
  const out = openStorage(options.out);
  options.onProgress?.(0, sites);
  const runner = options.runPlates ?? localPlateRunner(threads);
  const outcomes = jobs.length > 0 ? await runner(jobs, (done) => options.onProgress?.(done, sites)) : [];
  const selected = new Set(jobs.map((job) => job.plate));
  // Problems of plates outside this selection stay listed; those of the selected plates are theirs now, and the
  // metadata's are this run's.
  const earlier = await readJson<unknown>(out, 'problems.json', []);
  const problems = [
    ...(Array.isArray(earlier) ? earlier.filter(isSiteProblem) : []).filter((p) => !selected.has(p.plate)),
    ...outcomes.flatMap((o) => o.problems),
  ];
  await writeJson(out, 'problems.json', [...metadataProblems, ...problems]);
  const records = outcomes.map(plateRecord);
  const seconds = round3((performance.now() - started) / 1000);
  const featurized = outcomes.reduce((sum, o) => sum + (o.status === 'done' ? o.featurized : 0), 0);
  const summary: FeaturizeSummary = {
    out: out.location,
    sites,
    featurized,
    rows: outcomes.reduce((sum, o) => sum + (o.status === 'empty' ? 0 : o.featurized), 0),
    absent: outcomes.reduce((sum, o) => sum + o.absent, 0),
    failed: outcomes.reduce((sum, o) => sum + o.failed, 0),
    problems: problems.length,
    metadataProblems: metadataProblems.length,
    plates: records,
    features: Math.max(0, ...outcomes.map((o) => o.features)),
    seconds,
    exitCode: exitCodeOf(outcomes),
  };
  await writeJson(out, 'run.json', {
    command: 'featurize',
    dataset: layout.root,
    layout: layout.kind,
    startedAt,
    finishedAt: new Date().toISOString(),
    seconds,
    options: { perCell: !!options.perCell, threads, filter: options.filter ?? {}, queued: !!options.runPlates },
    parameters: jobs[0]?.parameters ?? featurizeParameters(options.parameters),
    configHash: jobs[0]?.configHash ?? null,
    versions: { phenomap: phenomapVersion(), node: process.version, v8: process.versions.v8 },
    outputs: {
      sites: 'sites/{experiment}_{plate}.parquet',
      cells: options.perCell ? 'cells/{experiment}_{plate}.parquet' : null,
      manifests: 'manifests/{experiment}_{plate}.json',
      problems: 'problems.json',
    },
    summary: { sites, featurized, rows: summary.rows, absent: summary.absent, failed: summary.failed },
    exitCode: summary.exitCode,
    plates: records,
    sitesPerSecond: featurized > 0 ? round3(featurized / seconds) : 0,
  });
  return summary;
}
