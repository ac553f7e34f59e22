/**
 * Training steps on onnxruntime-node: the graph of trainGraph.ts run once per batch. The model's typed arrays and
 * the momentum buffers stay the state of record (checkpoints, validation, AdaBN and embedding read them); each
 * step feeds them in and copies the updated values back (a few MB against a step of a few hundred ms), then folds
 * the batch statistics into the batch-norm running statistics as PyTorch does.
 */
import { scratchFeeds } from './graph.js';
import type { HeadOptions } from './heads.js';
import { BN_MOMENTUM, INPUT_CHANNELS, type Model } from './model.js';
import { encodeOnnx } from '../codec/onnx.js';
import { createOrtSession, type Device, nchwcBlockSize } from './session.js';
import type { TensorMap } from './store.js';
import {
  bnMeanOutput,
  bnVarianceOutput,
  buildTrainGraph,
  paramInput,
  paramOutput,
  velocityInput,
  velocityOutput,
} from './trainGraph.js';

type Ort = typeof import('onnxruntime-node');
type OrtTensor = import('onnxruntime-node').Tensor;

export interface TrainerOptions extends HeadOptions {
  crop: number;
  momentum: number;
  weightDecay: number;
  /** onnxruntime intra-op threads (default: one per core). */
  threads?: number;
  device?: Device;
}

/** One batch of the step: `size` images (NCHW, normalised, mixed), and per image what the heads read. */
export interface Batch {
  x: Float32Array;
  size: number;
  crop: number;
  /** One-hot cell types, mixed with the same weights as the images: [size, cellTypes]. */
  cellTypes: Float32Array;
  /** First and second class of each (mixed) image, and the weight of the first. */
  labelsA: Int32Array;
  labelsB: Int32Array;
  lambda: Float32Array;
  /** Weight of each image's supervised losses (default 1 / size; 0 for an unlabelled image). */
  weight?: Float32Array;
}

/** One compiled step graph. */
interface StepSession {
  session: import('onnxruntime-node').InferenceSession;
  batchNormAreas: Map<string, number>;
  scratch: Record<string, OrtTensor>;
}

/**
 * Runs training steps. The step graph is built for the batch size of the first batch (some formulations need the
 * batch to be a multiple of the NCHWc block, convPlans.ts); a batch of another size (a site failed to load) runs
 * on a second graph built for any size.
 */
export class Trainer {
  private readonly sessions = new Map<number | null, StepSession>();

  private constructor(
    private readonly ort: Ort,
    private readonly model: Model,
    private readonly options: TrainerOptions,
    private readonly block: number,
    /** Parameters the graph updates (those some loss reaches). */
    readonly trained: string[],
  ) {}

  static async create(model: Model, options: TrainerOptions & { batch?: number }): Promise<Trainer> {
    const ort = await import('onnxruntime-node');
    const block = options.device === 'cuda' ? 0 : await nchwcBlockSize();
    const any = await Trainer.compile(ort, model, options, block, null);
    const trained = [...model.params.keys()].filter((name) => any.session.outputNames.includes(paramOutput(name)));
    const trainer = new Trainer(ort, model, options, block, trained);
    trainer.sessions.set(null, any);
    return trainer;
  }

  private static async compile(
    ort: Ort,
    model: Model,
    options: TrainerOptions,
    block: number,
    batch: number | null,
  ): Promise<StepSession> {
    const params = [...model.params].map(([name, t]) => ({ name, dims: t.shape }));
    const built = buildTrainGraph({ shape: model.shape, params, ...options, nchwcBlock: block, batch });
    const { session } = await createOrtSession(encodeOnnx(built.graph), options);
    return { session, batchNormAreas: built.batchNormAreas, scratch: scratchFeeds(ort, built.scratch) };
  }

  /** The graph for `size` images: one built for that size where the size allows faster formulations. */
  private async sessionFor(size: number): Promise<StepSession> {
    const key = this.block > 1 && size % this.block === 0 ? size : null;
    let s = this.sessions.get(key);
    if (!s) {
      s = await Trainer.compile(this.ort, this.model, this.options, this.block, key);
      this.sessions.set(key, s);
    }
    return s;
  }

  /** The graph inputs of a batch. */
  private batchFeeds(model: Model, batch: Batch): Record<string, OrtTensor> {
    const { Tensor } = this.ort;
    const n = batch.size;
    const classes = model.shape.numClasses;
    const oneHot = (labels: Int32Array): Float32Array => {
      const out = new Float32Array(n * classes);
      labels.forEach((label, i) => {
        out[i * classes + label] = 1;
      });
      return out;
    };
    const feeds: Record<string, OrtTensor> = {
      x: new Tensor('float32', batch.x, [n, INPUT_CHANNELS, batch.crop, batch.crop]),
      lr: new Tensor('float32', Float32Array.of(0), []),
    };
    const { weights } = this.options;
    if (weights.softmax > 0 || weights.arcface > 0) {
      feeds.cell = new Tensor('float32', batch.cellTypes, [n, model.shape.cellTypes.length]);
      feeds.targetA = new Tensor('float32', oneHot(batch.labelsA), [n, classes]);
      feeds.targetB = new Tensor('float32', oneHot(batch.labelsB), [n, classes]);
      feeds.lambda = new Tensor('float32', batch.lambda, [n, 1]);
      feeds.weight = new Tensor('float32', batch.weight ?? new Float32Array(n).fill(1 / n), [n, 1]);
    }
    if (weights.contrastive > 0) {
      // Images 2i and 2i + 1 are two views of one site.
      const positives = new Float32Array(n * n);
      for (let i = 0; i < n; i++) positives[i * n + (i ^ 1)] = 1;
      feeds.positives = new Tensor('float32', positives, [n, n]);
    }
    return feeds;
  }

  /** Forward + backward + SGD update on one batch; updates the model and `velocity` in place; returns the loss. */
  async step(model: Model, velocity: TensorMap, batch: Batch, lr: number): Promise<number> {
    if (batch.crop !== this.options.crop)
      throw new Error(`training step: batch crop ${batch.crop}, the graph was built for ${this.options.crop}`);
    if (this.options.weights.contrastive > 0 && batch.size % 2 !== 0)
      throw new Error(`training step: a contrastive batch holds view pairs, got ${batch.size} images`);
    const { Tensor } = this.ort;
    const step = await this.sessionFor(batch.size);
    const feeds = { ...this.batchFeeds(model, batch), ...step.scratch };
    feeds.lr = new Tensor('float32', Float32Array.of(lr), []);
    for (const [name, p] of model.params) feeds[paramInput(name)] = new Tensor('float32', p.data, p.shape);
    for (const name of this.trained) {
      const p = model.params.get(name)!;
      let v = velocity.get(name);
      if (!v) {
        v = { shape: [...p.shape], data: new Float32Array(p.data.length) };
        velocity.set(name, v);
      }
      feeds[velocityInput(name)] = new Tensor('float32', v.data, v.shape);
    }
    const out = await step.session.run(feeds);
    for (const name of this.trained) {
      model.params.get(name)!.data.set(out[paramOutput(name)].data as Float32Array);
      velocity.get(name)!.data.set(out[velocityOutput(name)].data as Float32Array);
    }
    for (const [layer, area] of step.batchNormAreas) {
      const count = batch.size * area;
      updateRunningStats(
        model,
        layer,
        out[bnMeanOutput(layer)].data as Float32Array,
        out[bnVarianceOutput(layer)].data as Float32Array,
        count,
      );
    }
    return (out.loss.data as Float32Array)[0];
  }

  async close(): Promise<void> {
    for (const s of this.sessions.values()) await s.session.release();
    this.sessions.clear();
  }
}

/** Running statistics as PyTorch keeps them: momentum 0.1, the unbiased batch variance. */
export function updateRunningStats(
  model: Model,
  layer: string,
  mean: Float32Array,
  variance: Float32Array,
  count: number,
): void {
  const stats = model.bn.get(layer)!;
  const unbias = count > 1 ? count / (count - 1) : 1;
  for (let c = 0; c < mean.length; c++) {
    stats.mean[c] = (1 - BN_MOMENTUM) * stats.mean[c] + BN_MOMENTUM * mean[c];
    stats.variance[c] = (1 - BN_MOMENTUM) * stats.variance[c] + BN_MOMENTUM * variance[c] * unbias;
  }
}

/** Learning rate at `step` of `total`: linear warm-up over `warmup` steps, then half a cosine down to `minLr`. */
export function cosineLr(step: number, total: number, baseLr: number, warmup: number, minLr = 0): number {
  if (warmup > 0 && step < warmup) return (baseLr * (step + 1)) / warmup;
  const progress = total > warmup ? (step - warmup) / (total - warmup) : 1;
  return minLr + 0.5 * (baseLr - minLr) * (1 + Math.cos(Math.PI * Math.min(1, progress)));
}
