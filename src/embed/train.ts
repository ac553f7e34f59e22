/**
 * `phenomap train`: trains the CNN on a dataset's labelled sites (siRNA classification, the RxRx1 task; optionally
 * with a contrastive loss that also sees unlabelled sites) with whole experiments held out for validation, and
 * writes a model folder with one checkpoint per epoch. Three parts: the data setup (trainData.ts), the epoch loop
 * (steps on onnxruntime, trainer.ts; validation, validate.ts), and checkpointing (checkpoint.ts), through which a
 * run stopped at any point resumes to exactly the weights the uninterrupted run reaches.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { SiteRecord } from '../data/site.js';
import { Rng } from '../util/random.js';
import type { TrainConfig, TrainConfigInput } from './config.js';
import { buildBatch } from './batches.js';
import { manifestOf, resumeFrom, writeCheckpoint, writeFinalModel } from './checkpoint.js';
import { backboneSpec, createModel, type Model } from './model.js';
import { onnxruntimeVersion } from './session.js';
import type { CheckpointState, EpochRecord, ModelManifest, TensorMap } from './store.js';
import { prepareTrainData, type TrainData } from './trainData.js';
import { cosineLr, Trainer } from './trainer.js';
import { validate } from './validate.js';

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
  /** Configuration (fields left out take their defaults; the adapting ones follow the dataset's size). */
  config?: TrainConfigInput;
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
  /** The configuration trained with (adapting fields resolved). */
  config: TrainConfig;
  device: string;
  /** Treatment siRNAs kept out of training. */
  heldOutSirnas: number[];
  trainSites: number;
  validationSites: number;
  unlabelledSites: number;
  failedSites: { siteId: string; error: string }[];
  resumedFrom: number | null;
}

/** Everything the epoch loop works on. */
interface Run {
  data: TrainData;
  model: Model;
  velocity: TensorMap;
  trainer: Trainer;
  rng: Rng;
  state: CheckpointState;
  manifest: (epochs: number) => ModelManifest;
  progress: (event: TrainProgress) => void;
}

/** Epochs between validations: about ten per run, and always the last epoch. */
function validates(epoch: number, epochs: number): boolean {
  return epoch === epochs || epoch % Math.max(1, Math.ceil(epochs / 10)) === 0;
}

/** One epoch: shuffled sites, each batch loading while the previous one trains. */
async function runEpoch(run: Run): Promise<EpochRecord> {
  const { data, rng } = run;
  const { config } = data;
  const epoch = run.state.epoch + 1;
  const started = performance.now();
  const pool = [...data.trainSites, ...data.unlabelledSites];
  const labelled = new Set(data.trainSites.map((s) => s.siteId));
  const batchSize = Math.min(config.batchSize, pool.length);
  const steps = Math.max(1, Math.floor(pool.length / batchSize));
  const order = rng.shuffle(pool.map((_, i) => i));
  const batchOf = (step: number): SiteRecord[] =>
    order.slice(step * batchSize, (step + 1) * batchSize).map((i) => pool[i]);
  const totalSteps = steps * config.epochs;
  const warmupSteps = Math.round(config.warmupEpochs * steps);
  let lossSum = 0;
  let lr = 0;
  let images = 0;
  let pending = data.source.images(batchOf(0));
  for (let step = 0; step < steps; step++) {
    const requested = batchOf(step);
    const loaded = await pending;
    if (step + 1 < steps) pending = data.source.images(batchOf(step + 1));
    // A site that failed to load is left out of its batch (the same ones on every run, so resume stays exact).
    const members = requested.filter((_, i) => loaded[i] !== null);
    const memberImages = loaded.filter((image): image is Uint8Array => image !== null);
    lr = cosineLr(run.state.step, totalSteps, config.lr, warmupSteps, config.minLr);
    run.state.step++;
    if (members.length < 2) continue;
    const batch = buildBatch(data, members, memberImages, labelled, rng);
    const loss = await run.trainer.step(run.model, run.velocity, batch, lr);
    if (!Number.isFinite(loss))
      throw new Error(`epoch ${epoch} step ${step + 1}: the loss is ${loss} (diverged); lower lr`);
    lossSum += loss;
    images += batch.size;
    run.progress({ phase: 'train', epoch, epochs: config.epochs, step: step + 1, steps, loss, lr });
  }
  const seconds = (performance.now() - started) / 1000;
  let validationAccuracy: number | null = null;
  if (data.validationSites.length > 0 && config.softmaxWeight > 0 && validates(epoch, config.epochs)) {
    run.progress({ phase: 'validate', epoch, epochs: config.epochs });
    const input = {
      sites: data.validationSites,
      source: data.source,
      size: data.size,
      normOf: data.normOf,
      cellTypes: data.cellTypes,
      batchSize: config.batchSize,
      adabn: config.adabn,
      adabnSites: config.adabnSites,
    };
    validationAccuracy = await validate(run.model, input, { threads: config.threads, device: config.device });
  }
  return { epoch, loss: lossSum / steps, lr, validationAccuracy, seconds, imagesPerSecond: images / seconds };
}

/** The model, optimiser state and RNG of a fresh run, or of the last checkpoint with `resume`. */
async function startRun(options: TrainOptions, data: TrainData): Promise<Omit<Run, 'trainer' | 'progress'>> {
  const { config } = data;
  const shape = {
    backbone: config.backbone,
    spec: backboneSpec(config.backbone),
    embeddingDim: config.embeddingDim,
    numClasses: data.numClasses,
    cellTypes: data.cellTypes,
    ...(config.contrastiveWeight > 0 ? { projectionDim: config.projectionDim } : {}),
  };
  const model = createModel(shape, config.seed);
  const velocity: TensorMap = new Map();
  const versions = { 'onnxruntime-node': await onnxruntimeVersion(), phenomap: '0.1.0', node: process.versions.node };
  const manifest = (epochs: number) => manifestOf(data, model, epochs, versions);
  fs.mkdirSync(options.out, { recursive: true });
  // A fresh run replaces the checkpoints of any earlier run in the folder, so --resume never picks up a stale one.
  if (!options.resume) fs.rmSync(path.join(options.out, 'checkpoints'), { recursive: true, force: true });
  const restored = options.resume ? resumeFrom(options.out, manifest(0), model, velocity) : null;
  const rng = new Rng(restored ? restored.rng : config.seed + 1);
  const state = restored ?? { epoch: 0, step: 0, rng: rng.state(), history: [] };
  return { data, model, velocity, rng, state, manifest };
}

/** Trains a model; see the module comment. */
export async function trainModel(options: TrainOptions): Promise<TrainResult> {
  const progress = options.onProgress ?? (() => {});
  const started = Date.now();
  const data = await prepareTrainData(options.data, options.config ?? {}, {
    threads: options.threads,
    onProgress: (done, total) => progress({ phase: 'load', done, total }),
  });
  try {
    const { config } = data;
    const start = await startRun(options, data);
    const resumedFrom = options.resume && start.state.epoch > 0 ? start.state.epoch : null;
    const trainer = await Trainer.create(start.model, {
      crop: config.crop,
      arc: { scale: config.arcfaceScale, margin: config.arcfaceMargin },
      weights: { softmax: config.softmaxWeight, arcface: config.arcfaceWeight, contrastive: config.contrastiveWeight },
      temperature: config.temperature,
      momentum: config.momentum,
      weightDecay: config.weightDecay,
      threads: config.threads,
      device: config.device,
    });
    const run: Run = { ...start, trainer, progress };
    let epochsThisCall = 0;
    try {
      while (run.state.epoch < config.epochs) {
        if (options.stopAfterEpochs !== undefined && epochsThisCall >= options.stopAfterEpochs) break;
        const record = await runEpoch(run);
        run.state = {
          ...run.state,
          epoch: record.epoch,
          rng: run.rng.state(),
          history: [...run.state.history, record],
        };
        writeCheckpoint(options.out, run.manifest(record.epoch), run.model, run.velocity, run.state);
        progress({ ...record, phase: 'checkpoint', epochs: config.epochs });
        epochsThisCall++;
      }
    } finally {
      await trainer.close();
    }
    const finished = run.state.epoch >= config.epochs;
    if (finished) writeFinalModel(options.out, run.manifest(run.state.epoch), run.model);
    const result: TrainResult = {
      modelDir: options.out,
      epochsDone: run.state.epoch,
      finished,
      history: run.state.history,
      config,
      device: config.device,
      heldOutSirnas: data.heldOutSirnas,
      trainSites: data.trainSites.length,
      validationSites: data.validationSites.length,
      unlabelledSites: data.unlabelledSites.length,
      failedSites: data.source.failed,
      resumedFrom,
    };
    const record = { command: 'train', data: path.resolve(options.data), config, split: data.split, result };
    const seconds = (Date.now() - started) / 1000;
    fs.writeFileSync(
      path.join(options.out, 'train.json'),
      `${JSON.stringify({ ...record, seconds, finishedAt: new Date().toISOString() }, null, 2)}\n`,
    );
    return result;
  } finally {
    await data.close();
  }
}
