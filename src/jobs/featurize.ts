/**
 * `featurize`: classical (CellProfiler-style) profiles of a dataset, plate by plate. Each plate's sites are
 * segmented and measured on worker threads (src/features/worker.ts) and written as one Parquet part,
 *   {out}/sites/{experiment}_{plate}.parquet   one row per site (Metadata_* + site features, see features/pipeline.ts)
 *   {out}/cells/{experiment}_{plate}.parquet   one row per cell with --per-cell (Metadata_* + Metadata_object)
 * atomically (writeProfiles), so a rerun skips the plates whose parts exist. Sites that cannot be loaded or
 * measured are skipped and listed in {out}/problems.json, after the metadata rows left out of the run (each with its
 * file, line, field and why: data/metadata.ts); {out}/run.json records parameters, versions and timings.
 * Memory is bounded by one plate's rows plus the sites in flight (2 per thread).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import { DatasetError, detectLayout } from '../data/layout.js';
import type { MetadataProblem } from '../data/metadata.js';
import { ensureSiteIndex, querySiteIndex, type SiteFilter } from '../data/siteIndex.js';
import type { SiteRecord } from '../data/site.js';
import { featurizeParameters, type FeaturizeParameters } from '../features/pipeline.js';
import type { FeaturizeFailure, FeaturizeSuccess, FeaturizeTask } from '../features/worker.js';
import { siteMetadata, writeProfiles, type MetadataValue, type ProfileTable } from '../store/profiles.js';

export interface FeaturizeOptions {
  /** Output folder (created). */
  out: string;
  /** Also write per-cell rows. */
  perCell?: boolean;
  /** Worker threads (default os.availableParallelism()). */
  threads?: number;
  /** Which sites (default all in the dataset's index). */
  filter?: SiteFilter;
  /** Segmentation and measurement parameters (defaults: features/pipeline.ts). */
  parameters?: Parameters<typeof featurizeParameters>[0];
  /** Sites done (skipped plates count at once) out of all selected. */
  onProgress?: (done: number, total: number) => void;
  /** The metadata rows left out of the run (also in problems.json), told before any plate runs. */
  onMetadataProblems?: (problems: MetadataProblem[]) => void;
}

export interface SiteProblem {
  siteId: string;
  /** The plate part the site belongs to, `{experiment}_{plate}`. */
  plate: string;
  problem: string;
  files?: { file: string; reason: string }[];
}

/** An entry of problems.json: a metadata row left out of the run, or a site that failed. */
export type RunProblem = MetadataProblem | SiteProblem;

function isSiteProblem(problem: unknown): problem is SiteProblem {
  return typeof problem === 'object' && problem !== null && typeof (problem as SiteProblem).siteId === 'string';
}

export interface PlateRecord {
  plate: string;
  sites: number;
  featurized: number;
  failed: number;
  /** True when the plate's parts existed and it was not recomputed. */
  skipped: boolean;
  seconds: number;
}

export interface FeaturizeSummary {
  out: string;
  sites: number;
  featurized: number;
  problems: number;
  /** Metadata rows left out of the run (bad or repeated rows). */
  metadataProblems: number;
  plates: PlateRecord[];
  features: number;
  seconds: number;
}

/** Metadata column of the per-cell table: the object number within its site (nucleus o and the cell grown from it). */
export const OBJECT_COLUMN = 'Metadata_object';

function plateKey(site: Pick<SiteRecord, 'experiment' | 'plate'>): string {
  return `${site.experiment}_${site.plate}`;
}

function writeJson(file: string, value: unknown): void {
  const temporary = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(temporary, `${JSON.stringify(value, null, 2)}\n`);
  fs.renameSync(temporary, file);
}

function readJson<T>(file: string, fallback: T): T {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as T;
  } catch {
    return fallback;
  }
}

function packageVersion(): string {
  const file = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'package.json');
  return readJson<{ version?: string }>(file, {}).version ?? 'unknown';
}

/** Builds a table from rows that share `names`; metadata per row. */
function table(
  names: string[],
  metadata: Record<string, MetadataValue>[],
  rows: Float32Array[],
  offsets: number[],
): ProfileTable {
  const columns = names.map((_, j) => {
    const column = new Float32Array(rows.length);
    rows.forEach((row, i) => {
      column[i] = row[offsets[i] + j];
    });
    return column;
  });
  const metadataColumns: Record<string, MetadataValue[]> = {};
  for (const name of Object.keys(metadata[0] ?? {})) metadataColumns[name] = metadata.map((row) => row[name]);
  return { rows: rows.length, metadata: metadataColumns, features: names, columns };
}

/** Featurizes the dataset in `dir` (official or Kaggle layout) into `options.out`; see the module comment. */
// biome-ignore lint/complexity/noExcessiveLinesPerFunction: being rebuilt as queued plate jobs (issue 11), split there
export async function featurizeDataset(dir: string, options: FeaturizeOptions): Promise<FeaturizeSummary> {
  const started = performance.now();
  const startedAt = new Date().toISOString();
  const threads = options.threads ?? os.availableParallelism();
  if (!Number.isInteger(threads) || threads < 1) throw new Error(`threads ${threads}: expected an integer >= 1`);
  const parameters: FeaturizeParameters = featurizeParameters(options.parameters);
  const layout = detectLayout(dir);
  const index = await ensureSiteIndex(layout);
  options.onMetadataProblems?.(index.problems);
  const sites = await querySiteIndex(index.file, options.filter ?? {});
  if (sites.length === 0)
    throw new DatasetError(
      `no sites: none of the ${index.sites} sites of ${layout.root} matches ${JSON.stringify(options.filter)}`,
    );
  const out = path.resolve(options.out);
  const sitesDir = path.join(out, 'sites');
  const cellsDir = path.join(out, 'cells');
  fs.mkdirSync(sitesDir, { recursive: true });
  if (options.perCell) fs.mkdirSync(cellsDir, { recursive: true });

  const plates = new Map<string, SiteRecord[]>();
  for (const site of sites) {
    const key = plateKey(site);
    const list = plates.get(key);
    if (list) list.push(site);
    else plates.set(key, [site]);
  }
  const problemsFile = path.join(out, 'problems.json');
  // Problems of plates not recomputed in this run stay listed; the metadata's are this run's.
  const earlier = readJson<unknown>(problemsFile, []);
  let problems = Array.isArray(earlier) ? earlier.filter(isSiteProblem) : [];
  const writeProblems = () => writeJson(problemsFile, [...index.problems, ...problems]);
  writeProblems();
  const records: PlateRecord[] = [];
  let done = 0;
  let features = 0;
  options.onProgress?.(0, sites.length);

  const pool = new Piscina<FeaturizeTask, FeaturizeSuccess | FeaturizeFailure>({
    filename: new URL('../features/worker.js', import.meta.url).href,
    name: 'featurizeTask',
    minThreads: threads,
    maxThreads: threads,
  });
  try {
    for (const [key, plateSites] of plates) {
      const plateStarted = performance.now();
      const sitesPart = path.join(sitesDir, `${key}.parquet`);
      const cellsPart = path.join(cellsDir, `${key}.parquet`);
      if (fs.existsSync(sitesPart) && (!options.perCell || fs.existsSync(cellsPart))) {
        done += plateSites.length;
        options.onProgress?.(done, sites.length);
        records.push({ plate: key, sites: plateSites.length, featurized: 0, failed: 0, skipped: true, seconds: 0 });
        continue;
      }
      const results = await runPlate(
        pool,
        layout.imageRoot,
        plateSites,
        parameters,
        !!options.perCell,
        2 * threads,
        () => options.onProgress?.(++done, sites.length),
      );
      const plateProblems: SiteProblem[] = [];
      const siteRows: { site: SiteRecord; result: FeaturizeSuccess }[] = [];
      results.forEach((result, i) => {
        if ('problem' in result)
          plateProblems.push({ siteId: result.siteId, plate: key, problem: result.problem, files: result.files });
        else siteRows.push({ site: plateSites[i], result });
      });
      const names = siteRows[0]?.result.names ?? [];
      features = Math.max(features, names.length);
      writeProfiles(
        sitesPart,
        table(
          names,
          siteRows.map(({ site }) => siteMetadata(site)),
          siteRows.map(({ result }) => result.values),
          siteRows.map(() => 0),
        ),
      );
      if (options.perCell) {
        const cellNames = siteRows.find(({ result }) => result.objects)?.result.objects?.names ?? [];
        const metadata: Record<string, MetadataValue>[] = [];
        const rows: Float32Array[] = [];
        const offsets: number[] = [];
        for (const { site, result } of siteRows) {
          const objects = result.objects!;
          for (let o = 0; o < objects.count; o++) {
            metadata.push({ ...siteMetadata(site), [OBJECT_COLUMN]: o + 1 });
            rows.push(objects.values);
            offsets.push(o * objects.names.length);
          }
        }
        writeProfiles(cellsPart, table(cellNames, metadata, rows, offsets));
      }
      problems = [...problems.filter((p) => p.plate !== key), ...plateProblems];
      writeProblems();
      records.push({
        plate: key,
        sites: plateSites.length,
        featurized: siteRows.length,
        failed: plateProblems.length,
        skipped: false,
        seconds: round3((performance.now() - plateStarted) / 1000),
      });
    }
  } finally {
    await pool.close();
  }
  const seconds = round3((performance.now() - started) / 1000);
  const featurized = records.reduce((sum, r) => sum + r.featurized, 0);
  writeJson(path.join(out, 'run.json'), {
    command: 'featurize',
    dataset: layout.root,
    layout: layout.kind,
    startedAt,
    finishedAt: new Date().toISOString(),
    seconds,
    options: { perCell: !!options.perCell, threads, filter: options.filter ?? {} },
    parameters,
    versions: { phenomap: packageVersion(), node: process.version, v8: process.versions.v8 },
    outputs: {
      sites: 'sites/{experiment}_{plate}.parquet',
      cells: options.perCell ? 'cells/{experiment}_{plate}.parquet' : null,
      problems: 'problems.json',
    },
    plates: records,
    sitesPerSecond: featurized > 0 ? round3(featurized / seconds) : 0,
  });
  return {
    out,
    sites: sites.length,
    featurized,
    problems: problems.length,
    metadataProblems: index.problems.length,
    plates: records,
    features,
    seconds,
  };
}

function round3(value: number): number {
  return Math.round(value * 1000) / 1000;
}

/** Runs a plate's sites on the pool with at most `inFlight` queued at once; results in site order. */
async function runPlate(
  pool: Piscina<FeaturizeTask, FeaturizeSuccess | FeaturizeFailure>,
  imageRoot: string,
  sites: SiteRecord[],
  parameters: FeaturizeParameters,
  perObject: boolean,
  inFlight: number,
  onSiteDone: () => void,
): Promise<(FeaturizeSuccess | FeaturizeFailure)[]> {
  const results: (FeaturizeSuccess | FeaturizeFailure)[] = new Array(sites.length);
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < sites.length) {
      const i = next++;
      const site = sites[i];
      const location = {
        siteId: site.siteId,
        dataset: site.dataset,
        experiment: site.experiment,
        plate: site.plate,
        well: site.well,
        site: site.site,
      };
      try {
        results[i] = await pool.run({ imageRoot, site: location, parameters, perObject });
      } catch (error) {
        // A worker that died (out of memory, a crash in native code) costs the site, not the run.
        results[i] = { siteId: site.siteId, problem: `worker failed: ${(error as Error).message}` };
      }
      onSiteDone();
    }
  };
  await Promise.all(Array.from({ length: Math.min(inFlight, sites.length) }, lane));
  return results;
}
