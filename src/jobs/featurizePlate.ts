/**
 * One plate of `featurize`, the unit of work of a local run and of a queued one alike: everything it needs is in
 * its job (dataset and output locations, the plate's sites, the parameters and their hash), so any process that can
 * read the dataset and write the output can run it. It
 *   1. returns at once when the plate's outputs verify against their manifest (src/jobs/manifest.ts);
 *   2. lists the plate's image folder once: sites with no image file at all are absent (a partial download), counted
 *      but not featurized and not listed one by one;
 *   3. featurizes the present sites on the worker threads (src/features/worker.ts);
 *   4. writes the parts, then the manifest; a plate where no site could be featurized writes nothing and says why.
 */
import os from 'node:os';
import type { Piscina } from 'piscina';
import { channelPath, type SiteRecord } from '../data/site.js';
import type { FeaturizeParameters } from '../features/pipeline.js';
import type { FeaturizeFailure, FeaturizeSuccess, FeaturizeTask } from '../features/worker.js';
import { CHANNEL_COUNT } from '../rxrx1/index.js';
import { openStorage, type Storage } from '../storage/index.js';
import { encodeProfiles, type MetadataValue, type ProfileTable, siteMetadata } from '../store/profiles.js';
import {
  type PartRecord,
  partRecord,
  type PlateManifest,
  type SiteProblem,
  verifyPlate,
  writeManifest,
} from './manifest.js';

/** Metadata column of the per-cell table: the object number within its site (nucleus o and the cell grown from it). */
export const OBJECT_COLUMN = 'Metadata_object';

/** Everything one plate's featurization needs; plain data, so it can travel through a queue. */
export interface FeaturizePlateJob {
  step: 'featurize';
  /** phenomap version of the submitter (a worker of another version refuses the job). */
  version: string;
  /** Hash of the parameters and options that change the output (manifest.ts). */
  configHash: string;
  /** Location of the dataset's images (src/storage). */
  imageRoot: string;
  /** Output location: sites/, cells/, manifests/ below it. */
  out: string;
  /** `{experiment}_{plate}`. */
  plate: string;
  sites: SiteRecord[];
  parameters: FeaturizeParameters;
  perCell: boolean;
}

export type PlateStatus = 'done' | 'complete' | 'empty';

/** What happened to one plate. */
export interface PlateOutcome {
  plate: string;
  /** done: featurized now; complete: verified outputs found, nothing redone; empty: no site featurized, no part. */
  status: PlateStatus;
  manifest: PlateManifest | null;
  sites: number;
  featurized: number;
  absent: number;
  failed: number;
  problems: SiteProblem[];
  seconds: number;
  /** Why an earlier output was redone, or why an empty plate has no part. */
  note: string | null;
  features: number;
}

export type FeaturizePool = Piscina<FeaturizeTask, FeaturizeSuccess | FeaturizeFailure>;

/** The part keys of a plate. */
export function partKeys(plate: string): { sites: string; cells: string } {
  return { sites: `sites/${plate}.parquet`, cells: `cells/${plate}.parquet` };
}

/** The sites with at least one channel file at the images' location (one listing per plate folder). */
export async function presentSites(images: Storage, sites: readonly SiteRecord[]): Promise<Set<string>> {
  const names = new Map<string, Set<string>>();
  const present = new Set<string>();
  for (const site of sites) {
    const folder = channelPath(site, 1).replace(/\/[^/]*$/, '');
    let files = names.get(folder);
    if (!files) {
      files = new Set((await images.list(folder)).map((info) => info.key));
      names.set(folder, files);
    }
    for (let channel = 1; channel <= CHANNEL_COUNT; channel++)
      if (files.has(channelPath(site, channel))) {
        present.add(site.siteId);
        break;
      }
  }
  return present;
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

/** The per-cell table of a plate's featurized sites. */
function cellTable(siteRows: { site: SiteRecord; result: FeaturizeSuccess }[]): ProfileTable {
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
  return table(cellNames, metadata, rows, offsets);
}

/** Runs a plate's sites on the pool with at most `inFlight` queued at once; results in site order. */
async function runSites(
  pool: FeaturizePool,
  job: FeaturizePlateJob,
  sites: SiteRecord[],
  inFlight: number,
  onSiteDone: () => void,
): Promise<(FeaturizeSuccess | FeaturizeFailure)[]> {
  const results: (FeaturizeSuccess | FeaturizeFailure)[] = new Array(sites.length);
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < sites.length) {
      const i = next++;
      const { siteId, dataset, experiment, plate, well, site } = sites[i];
      const location = { siteId, dataset, experiment, plate, well, site };
      try {
        results[i] = await pool.run({
          imageRoot: job.imageRoot,
          site: location,
          parameters: job.parameters,
          perObject: job.perCell,
        });
      } catch (error) {
        // A worker that died (out of memory, a crash in native code) costs the site, not the run.
        results[i] = { siteId, problem: `worker failed: ${(error as Error).message}` };
      }
      onSiteDone();
    }
  };
  await Promise.all(Array.from({ length: Math.min(inFlight, sites.length) }, lane));
  return results;
}

function outcomeOf(manifest: PlateManifest, status: PlateStatus, note: string | null): PlateOutcome {
  const { plate, sites, featurized, absent, failed, problems, seconds, features } = manifest;
  return { plate, status, manifest, sites, featurized, absent, failed, problems, seconds, note, features };
}

function round3(value: number): number {
  return Math.round(value * 1000) / 1000;
}

/** Why a plate produced no part. */
function emptyReason(total: number, absent: number, problems: SiteProblem[]): string {
  if (absent === total) return `none of its ${total} sites has an image file at the dataset's location`;
  const first = problems[0];
  const detail = first ? `; first: ${first.siteId}: ${first.files?.[0]?.reason ?? first.problem}` : '';
  return `none of its ${total - absent} sites with images could be featurized${detail}`;
}

/**
 * Featurizes one plate (see the module comment). `onSiteDone` is called once per site handled (absent and skipped
 * sites included), so progress adds up to the plate's site count.
 */
export async function featurizePlate(
  job: FeaturizePlateJob,
  pool: FeaturizePool,
  options: { inFlight: number; onSiteDone?: (count: number) => void },
): Promise<PlateOutcome> {
  const started = performance.now();
  const out = openStorage(job.out);
  const keys = partKeys(job.plate);
  const verified = await verifyPlate(out, job.plate, job.configHash);
  if (verified.complete) {
    options.onSiteDone?.(job.sites.length);
    return outcomeOf(verified.manifest, 'complete', null);
  }
  const present = await presentSites(openStorage(job.imageRoot), job.sites);
  const absent = job.sites.length - present.size;
  options.onSiteDone?.(absent);
  const sites = job.sites.filter((site) => present.has(site.siteId));
  const results = await runSites(pool, job, sites, options.inFlight, () => options.onSiteDone?.(1));
  const problems: SiteProblem[] = [];
  const siteRows: { site: SiteRecord; result: FeaturizeSuccess }[] = [];
  results.forEach((result, i) => {
    if ('problem' in result)
      problems.push({ siteId: result.siteId, plate: job.plate, problem: result.problem, files: result.files });
    else siteRows.push({ site: sites[i], result });
  });
  const record = {
    plate: job.plate,
    sites: job.sites.length,
    featurized: siteRows.length,
    absent,
    failed: problems.length,
    problems,
    seconds: round3((performance.now() - started) / 1000),
  };
  if (siteRows.length === 0) {
    // No part: an empty table would read as a plate with no feature columns. The old outputs, if any, go too.
    await Promise.all([out.remove(keys.sites), out.remove(keys.cells)]);
    return {
      ...record,
      status: 'empty',
      manifest: null,
      note: emptyReason(job.sites.length, absent, problems),
      features: 0,
    };
  }
  const names = siteRows[0].result.names;
  const parts: PartRecord[] = [];
  const sitesBytes = encodeProfiles(
    table(
      names,
      siteRows.map(({ site }) => siteMetadata(site)),
      siteRows.map(({ result }) => result.values),
      siteRows.map(() => 0),
    ),
  );
  await out.write(keys.sites, sitesBytes);
  parts.push(partRecord(keys.sites, sitesBytes, siteRows.length));
  if (job.perCell) {
    const cells = cellTable(siteRows);
    const cellBytes = encodeProfiles(cells);
    await out.write(keys.cells, cellBytes);
    parts.push(partRecord(keys.cells, cellBytes, cells.rows));
  }
  const manifest: PlateManifest = {
    format: 1,
    step: job.step,
    configHash: job.configHash,
    parts,
    features: names.length,
    ...record,
    seconds: round3((performance.now() - started) / 1000),
    finishedAt: new Date().toISOString(),
    worker: `${os.hostname()}:${process.pid}`,
  };
  await writeManifest(out, manifest);
  return outcomeOf(manifest, 'done', verified.reason);
}
