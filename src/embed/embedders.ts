/**
 * The two kinds of embedder `phenomap embed` runs: a model trained here (per experiment: control normalisation, AdaBN
 * statistics, then the model exported with them folded in, on onnxruntime) and an imported ONNX model with the
 * sidecar JSON that says how to feed it (onnx.ts).
 */
import path from 'node:path';
import { SITE_SIZE } from '../rxrx1/index.js';
import type { SiteRecord } from '../data/site.js';
import { controlNormalization, downscaleFactor, groupKey, type ChannelNorm, type NormalizationScope } from './data.js';
import type { Readout } from './export.js';
import { fixedStatsEmbedder, wholeImageBatch, type FixedStatsEmbedder } from './infer.js';
import { createModel, loadModelArrays, type Model } from './model.js';
import { locateOnnx, OnnxModel, onnxInputs, siteNorm, type OnnxSidecar } from './onnx.js';
import type { SessionOptions } from './session.js';
import { readManifest, readWeights, type ModelManifest } from './store.js';
import { evenlySpaced } from './trainData.js';
import { experimentBnStats } from './validate.js';

/** What turns downscaled sites of one experiment into embedding rows. */
export interface Embedder {
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
    private readonly session: SessionOptions,
    private readonly readout: Readout,
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
      stats = await experimentBnStats(
        this.model,
        images,
        this.size,
        chosen.slice(0, images.length).map((s) => this.normOf(s)),
        this.manifest.config.batchSize,
        true,
        this.session,
      );
    }
    await this.embedder?.close();
    this.embedder = await fixedStatsEmbedder(this.model, stats, { ...this.session, readout: this.readout });
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
    const values = await this.embedder.embed(x, images.length, this.size);
    return { values, width: values.length / images.length };
  }

  async close(): Promise<void> {
    await this.embedder?.close();
  }

  describe(): Record<string, unknown> {
    return {
      kind: 'cnn',
      runtime: 'onnxruntime',
      device: this.session.device ?? 'cpu',
      backbone: this.manifest.shape.backbone,
      embeddingDim: this.manifest.shape.embeddingDim,
      readout: this.readout,
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
export async function openEmbedder(
  options: { model: string; batchSize?: number; adabn?: boolean; readout?: Readout } & SessionOptions,
): Promise<Embedder> {
  const onnx = locateOnnx(options.model);
  if (onnx)
    return new OnnxEmbedder(
      await OnnxModel.open(onnx.file, onnx.sidecar, { device: options.device, threads: options.threads }),
      { ...onnx.sidecar, batchSize: options.batchSize ?? onnx.sidecar.batchSize },
      onnx.file,
    );
  const manifest = readManifest(options.model);
  const model = createModel(manifest.shape, 0);
  loadModelArrays(model, readWeights(options.model));
  const session = { device: options.device, threads: options.threads };
  const readout = options.readout ?? manifest.config.readout ?? 'embedding';
  return new CnnEmbedder(
    model,
    manifest,
    options.adabn ?? manifest.config.adabn,
    options.batchSize ?? 16,
    session,
    readout,
  );
}
