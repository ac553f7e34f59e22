/**
 * `phenomap train`: trains the CNN on a dataset's labelled sites (siRNA classification, the RxRx1 task) with
 * whole experiments held out for validation, and writes a model folder with one checkpoint per epoch.
 * A run stopped at any point resumes from its last checkpoint to exactly the weights the uninterrupted run
 * reaches: images and normalisation are recomputed identically, and the weights, batch-norm statistics,
 * momentum buffers, RNG state and step count are restored.
 */
import fs from 'node:fs';
import path from 'node:path';
import { CHANNEL_COUNT, SITE_SIZE } from '../rxrx1/index.js';
import type { SiteRecord } from '../data/site.js';
import { loadSites, SiteLoaderPool } from '../image/pool.js';
import { parseTrainConfig, type TrainConfig } from './config.js';
import {
  controlNormalization,
  datasetSites,
  downscale,
  downscaleFactor,
  groupKey,
  loadImages,
  mixBatch,
  writeSample,
  type ChannelNorm,
} from './data.js';
import { initEngine, type EngineInfo } from './engine/index.js';
import { adaptBatchNorm, fixedStatsEmbedder, predictClasses, wholeImageBatch } from './infer.js';
import { createModel, disposeModel, loadModelArrays, modelArrays, type BnStats, type Model } from './model.js';
import { Rng } from '../util/random.js';
import { DataParallel } from './parallel.js';
import { OrtTrainer } from './ortTrainer.js';
import { cosineLr, SgdMomentum, trainStep } from './step.js';
import {
  listCheckpoints,
  readWeights,
  writeFolderAtomically,
  writeModel,
  encodeTensors,
  type CheckpointState,
  type EpochRecord,
  type ModelManifest,
  MODEL_FORMAT,
} from './store.js';

export interface TrainProgress {
  phase: 'load' | 'train' | 'validate' | 'checkpoint';
  epoch?: number;
  epochs?: number;
  step?: number;
  steps?: number;
  loss?: number;
  lr?: number;
  validationAccuracy?: number | null;
  done?: number;
  total?: number;
}

export interface TrainOptions {
  /** Dataset folder (either RxRx1 layout). */
  data: string;
  /** Model folder to write. */
  out: string;
  /** Configuration (fields left out take their defaults). */
  config?: Partial<TrainConfig>;
  /** Continue from the last checkpoint in `out`. */
  resume?: boolean;
  /** Stop (after checkpointing) once this many epochs have run in this call; the run can be resumed. */
  stopAfterEpochs?: number;
  /** Site-loading threads. */
  threads?: number;
  onProgress?: (event: TrainProgress) => void;
}

export interface TrainResult {
  modelDir: string;
  epochsDone: number;
  finished: boolean;
  history: EpochRecord[];
  engine: EngineInfo;
  /** What ran the training steps. */
  trainer: 'onnxruntime' | 'tfjs';
  /** Treatment siRNAs kept out of training. */
  heldOutSirnas: number[];
  trainSites: number;
  validationSites: number;
  failedSites: { siteId: string; error: string }[];
  resumedFrom: number | null;
}

/**
 * Validation experiments: the configured ones, or a seeded draw of validationFraction of them (at least one train
 * experiment stays).
 */
export function splitExperiments(
  experiments: string[],
  config: TrainConfig,
): { train: string[]; validation: string[] } {
  const sorted = [...new Set(experiments)].sort();
  let validation: string[];
  if (config.validationExperiments) {
    const unknown = config.validationExperiments.filter((e) => !sorted.includes(e));
    if (unknown.length > 0)
      throw new Error(
        `validationExperiments: ${unknown.join(', ')} not among the dataset's labelled experiments (${sorted.join(', ')})`,
      );
    validation = [...config.validationExperiments].sort();
  } else {
    const count =
      sorted.length < 2
        ? 0
        : Math.min(
            sorted.length - 1,
            Math.max(config.validationFraction > 0 ? 1 : 0, Math.round(sorted.length * config.validationFraction)),
          );
    validation = new Rng(config.seed ^ 0x5eed)
      .shuffle([...sorted])
      .slice(0, count)
      .sort();
  }
  const train = sorted.filter((e) => !validation.includes(e));
  if (train.length === 0) throw new Error('no experiment left to train on after the validation split');
  return { train, validation };
}

/** Treatment siRNAs kept out of training: the configured ones, or a seeded draw of holdoutSirnaFraction of them. */
export function holdoutSirnas(sites: readonly SiteRecord[], config: TrainConfig): number[] {
  const treatments = [
    ...new Set(sites.filter((s) => s.wellType === 'treatment' && s.sirnaId !== null).map((s) => s.sirnaId!)),
  ].sort((a, b) => a - b);
  if (config.holdoutSirnas) {
    const unknown = config.holdoutSirnas.filter((id) => !treatments.includes(id));
    if (unknown.length > 0)
      throw new Error(`holdoutSirnas: ${unknown.join(', ')} not among the dataset's labelled treatment siRNAs`);
    return [...new Set(config.holdoutSirnas)].sort((a, b) => a - b);
  }
  const count = Math.round(treatments.length * config.holdoutSirnaFraction);
  return new Rng(config.seed ^ 0x51a4)
    .shuffle([...treatments])
    .slice(0, count)
    .sort((a, b) => a - b);
}

function evenlySpaced<T>(items: readonly T[], count: number): T[] {
  if (items.length <= count) return [...items];
  return Array.from({ length: count }, (_, i) => items[Math.floor((i * items.length) / count)]);
}

/** Batch-norm statistics for one experiment's sites: AdaBN over up to `maxSites` of them, or the running statistics. */
export function experimentBnStats(
  model: Model,
  images: Uint8Array[],
  size: number,
  norms: ChannelNorm[],
  batchSize: number,
  adabn: boolean,
): Map<string, BnStats> {
  if (!adabn || images.length === 0) return model.bn;
  const batches: { x: Float32Array; n: number; size: number }[] = [];
  for (let i = 0; i < images.length; i += batchSize) {
    const chunk = images.slice(i, i + batchSize);
    if (chunk.length < 2 && batches.length > 0) break; // a batch of one has no variance to estimate
    batches.push({ x: wholeImageBatch(chunk, size, norms.slice(i, i + batchSize)), n: chunk.length, size });
  }
  return adaptBatchNorm(model, batches);
}

function checkpointName(epoch: number): string {
  return `epoch-${String(epoch).padStart(4, '0')}`;
}

/** Trains a model; see the module comment. */
export async function trainModel(options: TrainOptions): Promise<TrainResult> {
  const config = parseTrainConfig(options.config ?? {});
  const progress = options.onProgress ?? (() => {});
  const engine = await initEngine({ backend: config.backend, threads: config.threads });
  const factor = downscaleFactor(config.imageScale);
  const size = SITE_SIZE / factor;
  if (config.crop > size)
    throw new Error(`crop ${config.crop} is larger than the ${size}x${size} images at imageScale ${config.imageScale}`);

  const { imageRoot, sites: allSites } = datasetSites(options.data);
  const allLabelled = allSites.filter((s) => s.sirnaId !== null && (config.datasets as string[]).includes(s.dataset));
  if (allLabelled.length === 0)
    throw new Error(`${options.data}: no labelled sites (sirna_id set) in dataset(s) ${config.datasets.join(', ')}`);
  // Class ids and cell types come from every labelled site, so held-out siRNAs keep their ids (and head rows).
  const heldOutSirnas = holdoutSirnas(allLabelled, config);
  const heldOut = new Set(heldOutSirnas);
  const labelled = allLabelled.filter((s) => !heldOut.has(s.sirnaId!));
  const split = splitExperiments(
    labelled.map((s) => s.experiment),
    config,
  );
  const cellTypes = [...new Set(allLabelled.map((s) => s.cellType))].sort();
  const numClasses = Math.max(...allLabelled.map((s) => s.sirnaId!)) + 1;

  const started = Date.now();
  const pool = new SiteLoaderPool({ threads: options.threads });
  try {
    const bytes = labelled.length * CHANNEL_COUNT * size * size;
    const inMemory = config.cache === 'memory' || (config.cache === 'auto' && bytes <= config.maxCacheMB * 2 ** 20);
    let source: ImageSource;
    let usable = labelled;
    if (inMemory) {
      let loaded: Awaited<ReturnType<typeof loadImages>>;
      try {
        loaded = await loadImages(imageRoot, labelled, factor, {
          pool,
          maxBytes: config.maxCacheMB * 2 ** 20,
          onProgress: (done, total) => progress({ phase: 'load', done, total }),
        });
      } finally {
        await pool.close();
      }
      source = new MemorySource(loaded.images, loaded.failed);
      usable = labelled.filter((s) => loaded.images.has(s.siteId));
    } else {
      source = new StreamSource(imageRoot, factor, pool);
    }
    const norms = await controlNormalization(
      usable,
      config.normalization,
      size,
      config.controlSitesPerGroup,
      async (group) => (await source.images(group)).filter((i): i is Uint8Array => i !== null),
    );
    const trainSites = usable.filter((s) => split.train.includes(s.experiment));
    const validationSites = usable.filter((s) => split.validation.includes(s.experiment));
    if (trainSites.length === 0) throw new Error('no training site could be loaded');

    const shape = { backbone: config.backbone, embeddingDim: config.embeddingDim, numClasses, cellTypes };
    const model = createModel(shape, config.seed);
    const optimizer = new SgdMomentum(config.momentum, config.weightDecay, true);
    let rng = new Rng(config.seed + 1);
    let state: CheckpointState = { epoch: 0, step: 0, rng: rng.state(), history: [] };
    let resumedFrom: number | null = null;
    fs.mkdirSync(options.out, { recursive: true });
    const configJson = JSON.stringify(config);
    // A fresh run replaces the checkpoints of any earlier run in the folder, so --resume never picks up a stale one.
    if (!options.resume) fs.rmSync(path.join(options.out, 'checkpoints'), { recursive: true, force: true });

    if (options.resume) {
      const last = listCheckpoints(options.out).at(-1);
      if (last) {
        const saved = JSON.parse(fs.readFileSync(path.join(last, 'model.json'), 'utf8')) as ModelManifest;
        if (JSON.stringify(saved.config) !== configJson)
          throw new Error(
            `${last}: the checkpoint was made with a different configuration; resume with the same --config (or start afresh without --resume)`,
          );
        loadModelArrays(model, readWeights(last));
        optimizer.load(readWeights(last, 'optimizer.bin'));
        state = JSON.parse(fs.readFileSync(path.join(last, 'state.json'), 'utf8')) as CheckpointState;
        rng = new Rng(state.rng);
        resumedFrom = state.epoch;
      }
    }

    const batchSize = Math.min(config.batchSize, trainSites.length);
    const stepsPerEpoch = Math.max(1, Math.floor(trainSites.length / batchSize));
    const totalSteps = stepsPerEpoch * config.epochs;
    const warmupSteps = Math.round(config.warmupEpochs * stepsPerEpoch);
    const cellIndex = new Map(cellTypes.map((c, i) => [c, i]));
    const sample = config.crop * config.crop * CHANNEL_COUNT;
    const normOf = (s: SiteRecord): ChannelNorm => norms.get(groupKey(s, config.normalization))!;

    const manifest = (epochs: number): ModelManifest => ({
      format: MODEL_FORMAT,
      version: 1,
      shape,
      channels: [1, 2, 3, 4, 5, 6],
      imageScale: config.imageScale,
      crop: config.crop,
      normalization: config.normalization,
      trainNormalization: Object.fromEntries(norms),
      config,
      trainExperiments: split.train,
      validationExperiments: split.validation,
      heldOutSirnas,
      epochs,
      versions: {
        ...engine.versions,
        ...(ort ? { 'onnxruntime-node': ort.version } : {}),
        phenomap: '0.1.0',
        node: process.versions.node,
      },
    });

    let epochsThisCall = 0;
    const arc = { scale: config.arcfaceScale, margin: config.arcfaceMargin };
    const lossWeights = { softmax: config.softmaxWeight, arcface: config.arcfaceWeight };
    const trainer =
      config.trainer === 'onnxruntime' || (config.trainer === 'auto' && engine.backend !== 'webgpu')
        ? 'onnxruntime'
        : 'tfjs';
    const ort =
      trainer === 'onnxruntime'
        ? await OrtTrainer.create(model, {
            crop: config.crop,
            arc,
            weights: lossWeights,
            momentum: config.momentum,
            weightDecay: config.weightDecay,
            threads: config.threads,
          })
        : null;
    const parallel =
      !ort && config.workers > 1 && engine.backend === 'wasm' ? await DataParallel.start(model, config.workers) : null;
    try {
      while (state.epoch < config.epochs) {
        if (options.stopAfterEpochs !== undefined && epochsThisCall >= options.stopAfterEpochs) break;
        const epoch = state.epoch + 1;
        const epochStart = performance.now();
        const order = rng.shuffle(trainSites.map((_, i) => i));
        let lossSum = 0;
        let lr = 0;
        const batchOf = (step: number): SiteRecord[] =>
          order.slice(step * batchSize, (step + 1) * batchSize).map((i) => trainSites[i]);
        // The next batch loads (streaming: on worker threads) while this one trains.
        let pending = source.images(batchOf(0));
        for (let step = 0; step < stepsPerEpoch; step++) {
          const requested = batchOf(step);
          const images = await pending;
          if (step + 1 < stepsPerEpoch) pending = source.images(batchOf(step + 1));
          // A site that failed to load is left out of its batch (the same ones on every run, so resume stays exact).
          const members = requested.filter((_, i) => images[i] !== null);
          const memberImages = images.filter((image): image is Uint8Array => image !== null);
          if (members.length === 0) {
            state.step++;
            continue;
          }
          const x = new Float32Array(members.length * sample);
          const types = new Float32Array(members.length * cellTypes.length);
          const labels = new Int32Array(members.length);
          members.forEach((site, i) => {
            const top = rng.int(size - config.crop + 1);
            const left = rng.int(size - config.crop + 1);
            const transform = rng.int(8);
            writeSample(memberImages[i], size, top, left, config.crop, transform, normOf(site), x, i * sample);
            types[i * cellTypes.length + cellIndex.get(site.cellType)!] = 1;
            labels[i] = site.sirnaId!;
          });
          const mixMode = config.mix !== 'none' && rng.next() < config.mixProbability ? config.mix : 'none';
          const { labelsB, lambda } = mixBatch(
            mixMode,
            config.mixAlpha,
            rng,
            x,
            types,
            labels,
            members.length,
            config.crop,
            cellTypes.length,
          );
          lr = cosineLr(state.step, totalSteps, config.lr, warmupSteps, config.minLr);
          const batch = {
            x,
            size: members.length,
            crop: config.crop,
            cellTypes: types,
            labelsA: labels,
            labelsB,
            lambda,
          };
          const loss = ort
            ? await ort.step(model, optimizer, batch, lr)
            : parallel
              ? await parallel.step(model, optimizer, batch, lr, arc, lossWeights)
              : trainStep(model, optimizer, batch, lr, arc, lossWeights);
          if (!Number.isFinite(loss))
            throw new Error(`epoch ${epoch} step ${step + 1}: the loss is ${loss} (diverged); lower lr`);
          lossSum += loss;
          state.step++;
          progress({ phase: 'train', epoch, epochs: config.epochs, step: step + 1, steps: stepsPerEpoch, loss, lr });
        }
        const trainSeconds = (performance.now() - epochStart) / 1000;
        let validationAccuracy: number | null = null;
        if (validationSites.length > 0) {
          progress({ phase: 'validate', epoch, epochs: config.epochs });
          validationAccuracy = await validate(
            model,
            validationSites,
            source,
            size,
            normOf,
            cellIndex,
            config,
            trainer === 'onnxruntime',
          );
        }
        const record: EpochRecord = {
          epoch,
          loss: lossSum / stepsPerEpoch,
          lr,
          validationAccuracy,
          seconds: trainSeconds,
          imagesPerSecond: (stepsPerEpoch * batchSize) / trainSeconds,
        };
        state = { epoch, step: state.step, rng: rng.state(), history: [...state.history, record] };
        const weights = encodeTensors(modelArrays(model));
        const checkpoints = path.join(options.out, 'checkpoints');
        writeFolderAtomically(path.join(checkpoints, checkpointName(epoch)), {
          'model.json': `${JSON.stringify(manifest(epoch), null, 2)}\n`,
          'weights.bin': weights,
          'optimizer.bin': encodeTensors(optimizer.state()),
          'state.json': `${JSON.stringify(state, null, 2)}\n`,
        });
        for (const old of listCheckpoints(options.out).slice(0, -2)) fs.rmSync(old, { recursive: true, force: true });
        progress({ phase: 'checkpoint', epoch, epochs: config.epochs, loss: record.loss, validationAccuracy });
        epochsThisCall++;
      }
      const finished = state.epoch >= config.epochs;
      if (finished) {
        // The model itself: weights then manifest, each renamed into place.
        const final = path.join(options.out, `.final.${process.pid}.tmp`);
        writeModel(final, manifest(state.epoch), modelArrays(model));
        fs.renameSync(path.join(final, 'weights.bin'), path.join(options.out, 'weights.bin'));
        fs.renameSync(path.join(final, 'model.json'), path.join(options.out, 'model.json'));
        fs.rmSync(final, { recursive: true, force: true });
      }
      const result: TrainResult = {
        modelDir: options.out,
        epochsDone: state.epoch,
        finished,
        history: state.history,
        engine,
        trainer,
        heldOutSirnas,
        trainSites: trainSites.length,
        validationSites: validationSites.length,
        failedSites: source.failed,
        resumedFrom,
      };
      fs.writeFileSync(
        path.join(options.out, 'train.json'),
        `${JSON.stringify(
          {
            command: 'train',
            data: path.resolve(options.data),
            config,
            split,
            result,
            seconds: (Date.now() - started) / 1000,
            finishedAt: new Date().toISOString(),
          },
          null,
          2,
        )}\n`,
      );
      return result;
    } finally {
      await parallel?.close();
      await ort?.close();
      optimizer.dispose();
      disposeModel(model);
    }
  } finally {
    await pool.close();
  }
}

/** Softmax-head accuracy on held-out experiments (sites that load), with per-experiment AdaBN (when configured). */
async function validate(
  model: Model,
  sites: SiteRecord[],
  source: ImageSource,
  size: number,
  normOf: (s: SiteRecord) => ChannelNorm,
  cellIndex: Map<string, number>,
  config: TrainConfig,
  onnxruntime: boolean,
): Promise<number> {
  let correct = 0;
  let total = 0;
  const byExperiment = new Map<string, SiteRecord[]>();
  for (const s of sites) byExperiment.set(s.experiment, [...(byExperiment.get(s.experiment) ?? []), s]);
  const present = async (chunk: SiteRecord[]): Promise<{ sites: SiteRecord[]; images: Uint8Array[] }> => {
    const images = await source.images(chunk);
    return {
      sites: chunk.filter((_, i) => images[i] !== null),
      images: images.filter((i): i is Uint8Array => i !== null),
    };
  };
  for (const members of byExperiment.values()) {
    const adapt = await present(evenlySpaced(members, config.adabnSites));
    const stats = experimentBnStats(model, adapt.images, size, adapt.sites.map(normOf), config.batchSize, config.adabn);
    const embedder = await fixedStatsEmbedder(model, stats, onnxruntime, config.threads);
    try {
      for (let i = 0; i < members.length; i += config.batchSize) {
        const chunk = await present(members.slice(i, i + config.batchSize));
        if (chunk.sites.length === 0) continue;
        const x = wholeImageBatch(chunk.images, size, chunk.sites.map(normOf));
        const e = await embedder.embed(x, chunk.sites.length, size);
        const predicted = predictClasses(
          model,
          e,
          chunk.sites.length,
          chunk.sites.map((s) => cellIndex.get(s.cellType)!),
        );
        chunk.sites.forEach((s, k) => {
          correct += predicted[k] === s.sirnaId ? 1 : 0;
        });
        total += chunk.sites.length;
      }
    } finally {
      await embedder.close();
    }
  }
  return total > 0 ? correct / total : 0;
}

/** Where training images come from: all held in memory, or loaded per batch on worker threads. */
interface ImageSource {
  /** Images of `sites` in order, null for a site that cannot be loaded. */
  images(sites: SiteRecord[]): Promise<(Uint8Array | null)[]>;
  readonly failed: { siteId: string; error: string }[];
}

class MemorySource implements ImageSource {
  constructor(
    private readonly cache: Map<string, Uint8Array>,
    readonly failed: { siteId: string; error: string }[],
  ) {}

  async images(sites: SiteRecord[]): Promise<(Uint8Array | null)[]> {
    return sites.map((s) => this.cache.get(s.siteId) ?? null);
  }
}

/** Streams sites from disk each time they are needed (datasets larger than maxCacheMB); failures are reported once. */
class StreamSource implements ImageSource {
  readonly failed: { siteId: string; error: string }[] = [];
  private readonly reported = new Set<string>();

  constructor(
    private readonly imageRoot: string,
    private readonly factor: number,
    private readonly pool: SiteLoaderPool,
  ) {}

  async images(sites: SiteRecord[]): Promise<(Uint8Array | null)[]> {
    const byId = new Map<string, Uint8Array>();
    const onError = (site: SiteRecord, error: Error): void => {
      if (this.reported.has(site.siteId)) return;
      this.reported.add(site.siteId);
      this.failed.push({ siteId: site.siteId, error: error.message });
    };
    for await (const { site, tensor } of loadSites(this.imageRoot, sites, { pool: this.pool, onError }))
      byId.set(site.siteId, downscale(tensor, this.factor));
    return sites.map((s) => byId.get(s.siteId) ?? null);
  }
}

export { evenlySpaced };
