/**
 * `phenomap embed`: one embedding per site, and per well (mean of its sites), written as ProfileTables with
 * the same Metadata_* columns as classical profiles and feature columns Embedding_0..Embedding_{d-1}.
 *
 * Work streams plate by plate: OUT/sites/{experiment}_{plate}.parquet and OUT/wells/{experiment}_{plate}.parquet
 * are written atomically when a plate is done, a rerun skips plates whose two parts exist, and memory holds
 * one plate's embeddings plus the sites in flight. Per experiment, before its plates, the embedder prepares:
 * normalisation statistics from the experiment's (or each plate's) negative controls and, for models trained
 * here, AdaBN batch-norm statistics. A site that cannot be loaded is reported and skipped.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { MetadataProblem } from '../data/metadata.js';
import type { SiteRecord } from '../data/site.js';
import { aggregateToWells } from '../store/wells.js';
import { SiteLoaderPool, loadSites } from '../image/pool.js';
import { META, siteMetadata, writeProfiles, type MetadataValue, type ProfileTable } from '../store/profiles.js';
import { datasetSites, downscale } from './data.js';
import { openEmbedder, type Embedder } from './embedders.js';
import type { Readout } from './export.js';
import type { Device } from './session.js';
import { writeFileAtomic } from '../util/files.js';

export const EMBEDDING_PREFIX = 'Embedding_';

export interface EmbedProgress {
  phase: 'prepare' | 'plate';
  experiment: string;
  plate?: number;
  platesDone: number;
  plates: number;
  sitesDone: number;
  sites: number;
}

export interface EmbedOptions {
  /** Dataset folder. */
  data: string;
  /** A model folder written by `phenomap train`, or an .onnx file (or folder holding one) with its sidecar JSON. */
  model: string;
  /** Output folder: sites/ and wells/ ProfileTables, embed.json. */
  out: string;
  /** Only these experiments (default all). */
  experiments?: string[];
  /** Sites per forward pass (default 16). */
  batchSize?: number;
  /** Site-loading threads. */
  threads?: number;
  /** Re-embed plates whose parts already exist. */
  overwrite?: boolean;
  /** AdaBN for models trained here (default: as the model was trained). */
  adabn?: boolean;
  /** What to write for models trained here (default: the model's configured readout; export.ts). */
  readout?: Readout;
  /** Where the network runs (default cpu; cuda needs onnxruntime's CUDA execution provider, session.ts). */
  device?: Device;
  /** onnxruntime intra-op threads (default one per core). */
  inferenceThreads?: number;
  onProgress?: (event: EmbedProgress) => void;
  /** Called for each site that cannot be loaded (it is skipped). Default: a process warning. */
  onSiteError?: (site: SiteRecord, error: Error) => void;
  /** The metadata rows left out (bad or repeated; also in embed.json), told before any plate runs. */
  onMetadataProblems?: (problems: MetadataProblem[]) => void;
}

export interface EmbedResult {
  out: string;
  modelKind: 'cnn' | 'onnx';
  dimension: number;
  plates: number;
  platesSkipped: number;
  /** Plates none of whose sites could be loaded (no part written). */
  platesEmpty: number;
  sites: number;
  wells: number;
  failedSites: { siteId: string; error: string }[];
  /** Experiments skipped because their normalisation/AdaBN statistics could not be computed. */
  failedExperiments: { experiment: string; error: string }[];
  /** Metadata rows left out of the run: file, line, field and why. */
  metadataProblems: MetadataProblem[];
  seconds: number;
}

function partName(experiment: string, plate: number): string {
  return `${experiment}_${plate}.parquet`;
}

/** A ProfileTable of site rows with the embedding as Embedding_0..d-1. */
function embeddingTable(sites: SiteRecord[], rows: Float32Array[], width: number): ProfileTable {
  const metadata: Record<string, MetadataValue[]> = {};
  for (const name of Object.values(META)) metadata[name] = [];
  for (const site of sites) for (const [name, value] of Object.entries(siteMetadata(site))) metadata[name].push(value);
  const columns = Array.from({ length: width }, (_, j) => Float32Array.from(rows, (r) => r[j]));
  return { rows: sites.length, metadata, features: columns.map((_, j) => `${EMBEDDING_PREFIX}${j}`), columns };
}

/** The state of one embedding run, shared by its plates. */
interface EmbedRun {
  options: EmbedOptions;
  imageRoot: string;
  sitesDir: string;
  wellsDir: string;
  embedder: Embedder;
  pool: SiteLoaderPool;
  totalPlates: number;
  totalSites: number;
  counts: { platesDone: number; platesSkipped: number; platesEmpty: number; sitesDone: number; wells: number };
  dimension: number;
  failedSites: { siteId: string; error: string }[];
  failedExperiments: { experiment: string; error: string }[];
}

function report(run: EmbedRun, phase: EmbedProgress['phase'], experiment: string, plate?: number): void {
  const { platesDone, sitesDone } = run.counts;
  run.options.onProgress?.({
    phase,
    experiment,
    plate,
    platesDone,
    plates: run.totalPlates,
    sitesDone,
    sites: run.totalSites,
  });
}

/** Loads (downscaled) sites for normalisation and AdaBN statistics; throws only when none of them loads. */
function statisticsLoader(run: EmbedRun): (sites: SiteRecord[]) => Promise<Uint8Array[]> {
  return async (chosen) => {
    const out: Uint8Array[] = [];
    const errors: string[] = [];
    const onError = (site: SiteRecord, error: Error) => errors.push(`${site.siteId}: ${error.message}`);
    for await (const { tensor } of loadSites(run.imageRoot, chosen, { pool: run.pool, onError }))
      out.push(downscale(tensor, run.embedder.factor));
    if (out.length === 0 && errors.length > 0)
      throw new Error(`no site could be loaded for normalisation/AdaBN statistics (first failure: ${errors[0]})`);
    return out;
  };
}

/** Embeds one plate in batches and writes its site and well parts (none when no site loads). */
async function embedPlate(run: EmbedRun, experiment: string, plate: number, plateSites: SiteRecord[]): Promise<void> {
  const done: SiteRecord[] = [];
  const rows: Float32Array[] = [];
  let images: Uint8Array[] = [];
  let batchSites: SiteRecord[] = [];
  const flush = async (): Promise<void> => {
    if (images.length === 0) return;
    const { values, width } = await run.embedder.embed(images, batchSites);
    run.dimension = width;
    for (let i = 0; i < images.length; i++) rows.push(values.slice(i * width, (i + 1) * width));
    done.push(...batchSites);
    run.counts.sitesDone += images.length;
    images = [];
    batchSites = [];
    report(run, 'plate', experiment, plate);
  };
  const onError = (site: SiteRecord, error: Error): void => {
    run.failedSites.push({ siteId: site.siteId, error: error.message });
    const warn = (s: SiteRecord, e: Error) =>
      process.emitWarning(`skipping site ${s.siteId}: ${e.message}`, 'SiteLoadWarning');
    (run.options.onSiteError ?? warn)(site, error);
  };
  for await (const { site, tensor } of loadSites(run.imageRoot, plateSites, { pool: run.pool, onError })) {
    images.push(downscale(tensor, run.embedder.factor));
    batchSites.push(site);
    if (images.length >= run.embedder.batchSize) await flush();
  }
  await flush();
  run.counts.platesDone++;
  if (done.length === 0) {
    // Nothing to write (every site failed): no part, so a rerun tries the plate again.
    run.counts.platesEmpty++;
  } else {
    const table = embeddingTable(done, rows, run.dimension);
    const wells = aggregateToWells(table);
    writeProfiles(path.join(run.sitesDir, partName(experiment, plate)), table);
    writeProfiles(path.join(run.wellsDir, partName(experiment, plate)), wells);
    run.counts.wells += wells.rows;
  }
  report(run, 'plate', experiment, plate);
}

/** Prepares the embedder for one experiment, then embeds its plates that are not done yet. */
async function embedExperiment(run: EmbedRun, experiment: string, plates: Map<number, SiteRecord[]>): Promise<void> {
  const done = (plate: number) =>
    fs.existsSync(path.join(run.sitesDir, partName(experiment, plate))) &&
    fs.existsSync(path.join(run.wellsDir, partName(experiment, plate)));
  const pending = [...plates.keys()].sort((a, b) => a - b).filter((p) => run.options.overwrite || !done(p));
  run.counts.platesSkipped += plates.size - pending.length;
  run.counts.platesDone += plates.size - pending.length;
  if (pending.length === 0) return;
  report(run, 'prepare', experiment);
  try {
    await run.embedder.prepare([...plates.values()].flat(), statisticsLoader(run));
  } catch (error) {
    // E.g. none of its control sites loads: report the experiment and go on with the others.
    run.failedExperiments.push({ experiment, error: (error as Error).message });
    process.emitWarning(`skipping experiment ${experiment}: ${(error as Error).message}`, 'EmbedWarning');
    run.counts.platesDone += pending.length;
    return;
  }
  for (const plate of pending) await embedPlate(run, experiment, plate, plates.get(plate)!);
}

function byExperimentAndPlate(sites: readonly SiteRecord[]): Map<string, Map<number, SiteRecord[]>> {
  const out = new Map<string, Map<number, SiteRecord[]>>();
  for (const s of sites) {
    const plates = out.get(s.experiment) ?? new Map<number, SiteRecord[]>();
    plates.set(s.plate, [...(plates.get(s.plate) ?? []), s]);
    out.set(s.experiment, plates);
  }
  return new Map([...out].sort(([a], [b]) => (a < b ? -1 : 1)));
}

/** Embeds a dataset; see the module comment. */
export async function embedDataset(options: EmbedOptions): Promise<EmbedResult> {
  const started = Date.now();
  const { imageRoot, sites: all, problems: metadataProblems } = await datasetSites(options.data);
  options.onMetadataProblems?.(metadataProblems);
  const wanted = options.experiments ? new Set(options.experiments) : null;
  const sites = all.filter((s) => !wanted || wanted.has(s.experiment));
  if (sites.length === 0)
    throw new Error(`${options.data}: no sites${wanted ? ` in experiment(s) ${[...wanted].join(', ')}` : ''}`);
  const groups = byExperimentAndPlate(sites);
  const run: EmbedRun = {
    options,
    imageRoot,
    sitesDir: path.join(options.out, 'sites'),
    wellsDir: path.join(options.out, 'wells'),
    embedder: await openEmbedder({ ...options, threads: options.inferenceThreads }),
    pool: new SiteLoaderPool({ threads: options.threads }),
    totalPlates: [...groups.values()].reduce((n, p) => n + p.size, 0),
    totalSites: sites.length,
    counts: { platesDone: 0, platesSkipped: 0, platesEmpty: 0, sitesDone: 0, wells: 0 },
    dimension: 0,
    failedSites: [],
    failedExperiments: [],
  };
  fs.mkdirSync(run.sitesDir, { recursive: true });
  fs.mkdirSync(run.wellsDir, { recursive: true });
  try {
    for (const [experiment, plates] of groups) await embedExperiment(run, experiment, plates);
  } finally {
    await run.pool.close();
    await run.embedder.close().catch(() => {});
  }
  const result: EmbedResult = {
    out: options.out,
    modelKind: run.embedder.kind,
    dimension: run.dimension,
    plates: run.totalPlates,
    platesSkipped: run.counts.platesSkipped,
    platesEmpty: run.counts.platesEmpty,
    sites: run.counts.sitesDone,
    wells: run.counts.wells,
    failedSites: run.failedSites,
    failedExperiments: run.failedExperiments,
    metadataProblems,
    seconds: (Date.now() - started) / 1000,
  };
  const record = {
    command: 'embed',
    data: path.resolve(options.data),
    model: path.resolve(options.model),
    embedder: run.embedder.describe(),
    result,
    finishedAt: new Date().toISOString(),
    node: process.versions.node,
  };
  writeFileAtomic(path.join(options.out, 'embed.json'), `${JSON.stringify(record, null, 2)}\n`);
  return result;
}
