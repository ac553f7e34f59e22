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
import { SITE_SIZE } from '../rxrx1/index.js';
import type { SiteRecord } from '../data/site.js';
import { aggregateToWells } from '../store/wells.js';
import { SiteLoaderPool, loadSites } from '../image/pool.js';
import { META, siteMetadata, writeProfiles, type MetadataValue, type ProfileTable } from '../store/profiles.js';
import {
  controlNormalization,
  datasetSites,
  downscale,
  downscaleFactor,
  groupKey,
  type ChannelNorm,
  type NormalizationScope,
} from './data.js';
import { initEngine, type BackendChoice } from './engine/index.js';
import { fixedStatsEmbedder, wholeImageBatch, type FixedStatsEmbedder } from './infer.js';
import { createModel, disposeModel, loadModelArrays, type Model } from './model.js';
import { locateOnnx, OnnxModel, onnxInputs, siteNorm, type OnnxSidecar } from './onnx.js';
import { readManifest, readWeights, type ModelManifest } from './store.js';
import { evenlySpaced, experimentBnStats } from './train.js';

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
  backend?: BackendChoice;
  onProgress?: (event: EmbedProgress) => void;
  /** Called for each site that cannot be loaded (it is skipped). Default: a process warning. */
  onSiteError?: (site: SiteRecord, error: Error) => void;
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
  seconds: number;
}

/** What turns downscaled sites of one experiment into embedding rows. */
interface Embedder {
  kind: 'cnn' | 'onnx';
  /** Downscale factor applied to loaded 512x512 sites. */
  factor: number;
  /** Sites per forward pass. */
  batchSize: number;
  /** Called once per experiment with loaders for its sites, before embedding them. */
  prepare(sites: SiteRecord[], load: (sites: SiteRecord[]) => Promise<Uint8Array[]>): Promise<void>;
  embed(images: Uint8Array[], sites: SiteRecord[]): Promise<{ values: Float32Array; width: number }>;
  close(): Promise<void>;
  describe(): Record<string, unknown>;
}

class CnnEmbedder implements Embedder {
  readonly kind = 'cnn' as const;
  readonly factor: number;
  readonly size: number;
  private norms = new Map<string, ChannelNorm>();
  private embedder: FixedStatsEmbedder | null = null;

  constructor(
    private readonly model: Model,
    private readonly manifest: ModelManifest,
    private readonly adabn: boolean,
    readonly batchSize: number,
    /** Run the network on onnxruntime (CPUs) rather than the tfjs backend (webgpu). */
    private readonly onnxruntime: boolean,
  ) {
    this.factor = downscaleFactor(manifest.imageScale);
    this.size = SITE_SIZE / this.factor;
  }

  async prepare(sites: SiteRecord[], load: (sites: SiteRecord[]) => Promise<Uint8Array[]>): Promise<void> {
    const scope = this.manifest.normalization;
    this.norms = await controlNormalization(sites, scope, this.size, this.manifest.config.controlSitesPerGroup, load);
    let stats = this.model.bn;
    if (this.adabn) {
      const chosen = evenlySpaced(sites, this.manifest.config.adabnSites);
      const images = await load(chosen);
      stats = experimentBnStats(
        this.model,
        images,
        this.size,
        chosen.slice(0, images.length).map((s) => this.normOf(s)),
        this.manifest.config.batchSize,
        true,
      );
    }
    await this.embedder?.close();
    this.embedder = await fixedStatsEmbedder(this.model, stats, this.onnxruntime);
  }

  private normOf(site: SiteRecord): ChannelNorm {
    const norm = this.norms.get(groupKey(site, this.manifest.normalization));
    if (!norm) throw new Error(`no normalisation statistics for ${groupKey(site, this.manifest.normalization)}`);
    return norm;
  }

  async embed(images: Uint8Array[], sites: SiteRecord[]): Promise<{ values: Float32Array; width: number }> {
    const x = wholeImageBatch(
      images,
      this.size,
      sites.map((s) => this.normOf(s)),
    );
    if (!this.embedder) throw new Error('CnnEmbedder.embed called before prepare');
    return { values: await this.embedder.embed(x, images.length, this.size), width: this.model.shape.embeddingDim };
  }

  async close(): Promise<void> {
    await this.embedder?.close();
    disposeModel(this.model);
  }

  describe(): Record<string, unknown> {
    return {
      kind: 'cnn',
      runtime: this.onnxruntime ? 'onnxruntime' : 'tfjs',
      backbone: this.manifest.shape.backbone,
      embeddingDim: this.manifest.shape.embeddingDim,
      imageScale: this.manifest.imageScale,
      normalization: this.manifest.normalization,
      adabn: this.adabn,
      batchSize: this.batchSize,
    };
  }
}

class OnnxEmbedder implements Embedder {
  readonly kind = 'onnx' as const;
  readonly factor: number;
  readonly batchSize: number;
  readonly size: number;
  private norms = new Map<string, ChannelNorm>();

  constructor(
    private readonly model: OnnxModel,
    private readonly sidecar: OnnxSidecar,
    private readonly file: string,
  ) {
    this.batchSize = sidecar.batchSize;
    this.factor = downscaleFactor(sidecar.imageScale);
    this.size = SITE_SIZE / this.factor;
  }

  async prepare(sites: SiteRecord[], load: (sites: SiteRecord[]) => Promise<Uint8Array[]>): Promise<void> {
    const n = this.sidecar.normalization;
    if (n.kind === 'controls') this.norms = await controlNormalization(sites, n.scope, this.size, 16, load);
  }

  private normFor(site: SiteRecord, image: Uint8Array): { mean: number[]; std: number[] } {
    const n = this.sidecar.normalization;
    const channels = this.sidecar.channels;
    if (n.kind === 'fixed') return { mean: n.mean, std: n.std };
    if (n.kind === 'site') return siteNorm(image, this.size, channels);
    const group = this.norms.get(groupKey(site, n.scope as NormalizationScope))!;
    return { mean: channels.map((c) => group.mean[c - 1]), std: channels.map((c) => group.std[c - 1]) };
  }

  async embed(images: Uint8Array[], sites: SiteRecord[]): Promise<{ values: Float32Array; width: number }> {
    const { data, dims, tilesPerSite } = onnxInputs(
      images,
      this.size,
      this.sidecar,
      images.map((image, i) => this.normFor(sites[i], image)),
    );
    const { values, width } = await this.model.run(data, dims);
    if (tilesPerSite === 1) return { values, width };
    const out = new Float32Array(images.length * width);
    for (let i = 0; i < images.length; i++)
      for (let t = 0; t < tilesPerSite; t++)
        for (let j = 0; j < width; j++) out[i * width + j] += values[(i * tilesPerSite + t) * width + j] / tilesPerSite;
    return { values: out, width };
  }

  async close(): Promise<void> {
    await this.model.close();
  }

  describe(): Record<string, unknown> {
    return {
      kind: 'onnx',
      file: path.resolve(this.file),
      executionProvider: this.model.executionProvider,
      ...this.sidecar,
    };
  }
}

/** Opens MODEL as an embedder: a phenomap model folder, or an ONNX model with its sidecar. */
async function openEmbedder(options: EmbedOptions): Promise<Embedder> {
  const onnx = locateOnnx(options.model);
  if (onnx)
    return new OnnxEmbedder(
      await OnnxModel.open(onnx.file, onnx.sidecar),
      { ...onnx.sidecar, batchSize: options.batchSize ?? onnx.sidecar.batchSize },
      onnx.file,
    );
  const manifest = readManifest(options.model);
  const engine = await initEngine({ backend: options.backend ?? manifest.config.backend });
  const model = createModel(manifest.shape, 0);
  loadModelArrays(model, readWeights(options.model));
  return new CnnEmbedder(
    model,
    manifest,
    options.adabn ?? manifest.config.adabn,
    options.batchSize ?? 16,
    engine.backend !== 'webgpu',
  );
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

/** Embeds a dataset; see the module comment. */
export async function embedDataset(options: EmbedOptions): Promise<EmbedResult> {
  const started = Date.now();
  const progress = options.onProgress ?? (() => {});
  const { imageRoot, sites: all } = datasetSites(options.data);
  const wanted = options.experiments ? new Set(options.experiments) : null;
  const sites = all.filter((s) => !wanted || wanted.has(s.experiment));
  if (sites.length === 0)
    throw new Error(`${options.data}: no sites${wanted ? ` in experiment(s) ${[...wanted].join(', ')}` : ''}`);
  const sitesDir = path.join(options.out, 'sites');
  const wellsDir = path.join(options.out, 'wells');
  fs.mkdirSync(sitesDir, { recursive: true });
  fs.mkdirSync(wellsDir, { recursive: true });

  const byExperiment = new Map<string, Map<number, SiteRecord[]>>();
  for (const s of sites) {
    const plates = byExperiment.get(s.experiment) ?? new Map<number, SiteRecord[]>();
    plates.set(s.plate, [...(plates.get(s.plate) ?? []), s]);
    byExperiment.set(s.experiment, plates);
  }
  const totalPlates = [...byExperiment.values()].reduce((n, p) => n + p.size, 0);
  const failedSites: { siteId: string; error: string }[] = [];
  const failedExperiments: { experiment: string; error: string }[] = [];
  const onSiteError = (site: SiteRecord, error: Error): void => {
    failedSites.push({ siteId: site.siteId, error: error.message });
    (
      options.onSiteError ??
      ((s: SiteRecord, e: Error) => process.emitWarning(`skipping site ${s.siteId}: ${e.message}`, 'SiteLoadWarning'))
    )(site, error);
  };
  const embedder = await openEmbedder(options);
  const pool = new SiteLoaderPool({ threads: options.threads });
  const batchSize = embedder.batchSize;
  const load = async (chosen: SiteRecord[]): Promise<Uint8Array[]> => {
    const out: Uint8Array[] = [];
    const errors: string[] = [];
    for await (const { tensor } of loadSites(imageRoot, chosen, {
      pool,
      onError: (site, error) => errors.push(`${site.siteId}: ${error.message}`),
    }))
      out.push(downscale(tensor, embedder.factor));
    if (out.length === 0 && errors.length > 0)
      throw new Error(`no site could be loaded for normalisation/AdaBN statistics (first failure: ${errors[0]})`);
    return out;
  };
  let platesDone = 0;
  let platesSkipped = 0;
  let platesEmpty = 0;
  let sitesDone = 0;
  let wellsWritten = 0;
  let dimension = 0;
  try {
    for (const [experiment, plates] of [...byExperiment].sort(([a], [b]) => (a < b ? -1 : 1))) {
      const pending = [...plates.keys()]
        .sort((a, b) => a - b)
        .filter(
          (plate) =>
            options.overwrite ||
            !(
              fs.existsSync(path.join(sitesDir, partName(experiment, plate))) &&
              fs.existsSync(path.join(wellsDir, partName(experiment, plate)))
            ),
        );
      platesSkipped += plates.size - pending.length;
      platesDone += plates.size - pending.length;
      if (pending.length === 0) continue;
      const experimentSites = [...plates.values()].flat();
      progress({ phase: 'prepare', experiment, platesDone, plates: totalPlates, sitesDone, sites: sites.length });
      try {
        await embedder.prepare(experimentSites, load);
      } catch (error) {
        // E.g. none of its control sites loads: report the experiment and go on with the others.
        failedExperiments.push({ experiment, error: (error as Error).message });
        process.emitWarning(`skipping experiment ${experiment}: ${(error as Error).message}`, 'EmbedWarning');
        platesDone += pending.length;
        continue;
      }
      for (const plate of pending) {
        const plateSites = plates.get(plate)!;
        const done: SiteRecord[] = [];
        const rows: Float32Array[] = [];
        let images: Uint8Array[] = [];
        let batchSites: SiteRecord[] = [];
        const flush = async (): Promise<void> => {
          if (images.length === 0) return;
          const { values, width } = await embedder.embed(images, batchSites);
          dimension = width;
          for (let i = 0; i < images.length; i++) rows.push(values.slice(i * width, (i + 1) * width));
          done.push(...batchSites);
          sitesDone += images.length;
          images = [];
          batchSites = [];
          progress({
            phase: 'plate',
            experiment,
            plate,
            platesDone,
            plates: totalPlates,
            sitesDone,
            sites: sites.length,
          });
        };
        for await (const { site, tensor } of loadSites(imageRoot, plateSites, { pool, onError: onSiteError })) {
          images.push(downscale(tensor, embedder.factor));
          batchSites.push(site);
          if (images.length >= batchSize) await flush();
        }
        await flush();
        platesDone++;
        if (done.length === 0) {
          // Nothing to write (every site failed): no part, so a rerun tries the plate again.
          platesEmpty++;
          progress({
            phase: 'plate',
            experiment,
            plate,
            platesDone,
            plates: totalPlates,
            sitesDone,
            sites: sites.length,
          });
          continue;
        }
        const table = embeddingTable(done, rows, dimension);
        const wells = aggregateToWells(table);
        writeProfiles(path.join(sitesDir, partName(experiment, plate)), table);
        writeProfiles(path.join(wellsDir, partName(experiment, plate)), wells);
        wellsWritten += wells.rows;
        progress({
          phase: 'plate',
          experiment,
          plate,
          platesDone,
          plates: totalPlates,
          sitesDone,
          sites: sites.length,
        });
      }
    }
  } finally {
    await pool.close();
    await embedder.close().catch(() => {});
  }
  const result: EmbedResult = {
    out: options.out,
    modelKind: embedder.kind,
    dimension,
    plates: totalPlates,
    platesSkipped,
    platesEmpty,
    sites: sitesDone,
    wells: wellsWritten,
    failedSites,
    failedExperiments,
    seconds: (Date.now() - started) / 1000,
  };
  fs.writeFileSync(
    path.join(options.out, 'embed.json'),
    `${JSON.stringify(
      {
        command: 'embed',
        data: path.resolve(options.data),
        model: path.resolve(options.model),
        embedder: embedder.describe(),
        result,
        finishedAt: new Date().toISOString(),
        node: process.versions.node,
      },
      null,
      2,
    )}\n`,
  );
  return result;
}
