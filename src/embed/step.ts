/**
 * One optimisation step: forward (batch-norm on batch statistics), the two heads' losses, backward, SGD with
 * momentum (Sutskever et al. 2013; PyTorch's update rule), batch-norm running-statistics update; and the
 * cosine learning-rate schedule with linear warm-up (Loshchilov & Hutter 2017, "SGDR"; Goyal et al. 2017).
 */
import { tf } from './engine/index.js';
import type { BatchStatistics } from './engine/batchNorm.js';
import {
  arcCosines,
  arcLogits,
  BN_MOMENTUM,
  crossEntropy,
  decays,
  embed,
  headInput,
  softmaxLogits,
  type ArcFaceParams,
  type Model,
} from './model.js';

export interface Batch {
  /** NHWC float32 [size, crop, crop, 6], normalised (and mixed). */
  x: Float32Array;
  size: number;
  crop: number;
  /** One-hot cell types, mixed with the same weights as the images: [size, cellTypes]. */
  cellTypes: Float32Array;
  /** First and second class of each (mixed) sample, and the weight of the first. */
  labelsA: Int32Array;
  labelsB: Int32Array;
  lambda: Float32Array;
}

export interface LossWeights {
  softmax: number;
  arcface: number;
}

export class SgdMomentum {
  readonly velocity = new Map<string, tf.Tensor>();

  constructor(
    readonly momentum = 0.9,
    readonly weightDecay = 5e-4,
    readonly nesterov = true,
  ) {}

  /** p <- p - lr * (nesterov ? g + mu*v : v), v <- mu*v + g, g = grad + wd*p for decayed weights. */
  apply(params: Map<string, tf.Variable>, grads: Map<string, tf.Tensor>, lr: number): void {
    for (const [name, p] of params) {
      const grad = grads.get(name);
      if (!grad) continue;
      const previous = this.velocity.get(name);
      const next = tf.tidy(() => {
        const g = decays(name) && this.weightDecay > 0 ? tf.add(grad, tf.mul(p, this.weightDecay)) : grad;
        const v = previous ? tf.add(tf.mul(previous, this.momentum), g) : g;
        const update = this.nesterov ? tf.add(g, tf.mul(v, this.momentum)) : v;
        p.assign(tf.sub(p, tf.mul(update, lr)));
        return v === grad ? tf.clone(v) : v;
      });
      previous?.dispose();
      this.velocity.set(name, next);
    }
  }

  /** The momentum buffers as arrays (for a checkpoint). */
  state(): Map<string, { shape: number[]; data: Float32Array }> {
    const out = new Map<string, { shape: number[]; data: Float32Array }>();
    for (const [name, v] of this.velocity) out.set(name, { shape: v.shape, data: v.dataSync() as Float32Array });
    return out;
  }

  load(state: Map<string, { shape: number[]; data: Float32Array }>): void {
    this.dispose();
    for (const [name, a] of state) this.velocity.set(name, tf.tensor(a.data, a.shape));
  }

  dispose(): void {
    for (const v of this.velocity.values()) v.dispose();
    this.velocity.clear();
  }
}

/** Learning rate at `step` of `total`: linear warm-up over `warmup` steps, then half a cosine down to `minLr`. */
export function cosineLr(step: number, total: number, baseLr: number, warmup: number, minLr = 0): number {
  if (warmup > 0 && step < warmup) return (baseLr * (step + 1)) / warmup;
  const progress = total > warmup ? (step - warmup) / (total - warmup) : 1;
  return minLr + 0.5 * (baseLr - minLr) * (1 + Math.cos(Math.PI * Math.min(1, progress)));
}

export type BnRecord = { layer: string; stats: BatchStatistics };

/**
 * Forward + backward on one batch: the mean loss, the gradients by parameter name (tensors; the caller
 * disposes them) and each batch-norm layer's batch statistics.
 */
export function computeGradients(
  model: Model,
  batch: Batch,
  arc: ArcFaceParams,
  weights: LossWeights,
): { loss: number; grads: Map<string, tf.Tensor>; records: BnRecord[] } {
  const records: BnRecord[] = [];
  const { value, grads } = tf.variableGrads(() => {
    const x = tf.tensor4d(batch.x, [batch.size, batch.crop, batch.crop, 6]);
    const cell = tf.tensor2d(batch.cellTypes, [batch.size, model.shape.cellTypes.length]);
    const labelsA = tf.tensor1d(batch.labelsA, 'int32');
    const labelsB = tf.tensor1d(batch.labelsB, 'int32');
    const lambda = tf.tensor1d(batch.lambda);
    const e = embed(model, x, { kind: 'batch', record: (layer, stats) => records.push({ layer, stats }) });
    const h = headInput(e, cell);
    const classes = model.shape.numClasses;
    const oneA = tf.oneHot(labelsA, classes);
    const oneB = tf.oneHot(labelsB, classes);
    const mixed = tf.add(tf.mul(oneA, tf.expandDims(lambda, 1)), tf.mul(oneB, tf.expandDims(tf.sub(1, lambda), 1)));
    let loss = tf.mul(crossEntropy(softmaxLogits(model, h), mixed as tf.Tensor2D), weights.softmax);
    if (weights.arcface > 0) {
      const cos = arcCosines(model, h);
      const lossA = crossEntropy(arcLogits(cos, labelsA, arc), oneA as tf.Tensor2D);
      const lossB = crossEntropy(arcLogits(cos, labelsB, arc), oneB as tf.Tensor2D);
      loss = tf.add(loss, tf.mul(tf.add(tf.mul(lossA, lambda), tf.mul(lossB, tf.sub(1, lambda))), weights.arcface));
    }
    return tf.mean(loss) as tf.Scalar;
  }, [...model.params.values()]);
  const byName = new Map<string, tf.Tensor>();
  for (const [name, p] of model.params) if (grads[p.name]) byName.set(name, grads[p.name]);
  const loss = value.dataSync()[0];
  value.dispose();
  return { loss, grads: byName, records };
}

/** Running statistics as PyTorch keeps them: momentum 0.1, the unbiased batch variance. */
export function updateRunningStats(model: Model, records: BnRecord[]): void {
  for (const { layer, stats: batchStats } of records) {
    const stats = model.bn.get(layer)!;
    const { mean: m, variance: v, count } = batchStats;
    const unbias = count > 1 ? count / (count - 1) : 1;
    for (let c = 0; c < m.length; c++) {
      stats.mean[c] = (1 - BN_MOMENTUM) * stats.mean[c] + BN_MOMENTUM * m[c];
      stats.variance[c] = (1 - BN_MOMENTUM) * stats.variance[c] + BN_MOMENTUM * v[c] * unbias;
    }
  }
}

/** Forward + backward + update on one batch; returns the mean loss. */
export function trainStep(
  model: Model,
  optimizer: SgdMomentum,
  batch: Batch,
  lr: number,
  arc: ArcFaceParams,
  weights: LossWeights,
): number {
  const { loss, grads, records } = computeGradients(model, batch, arc, weights);
  optimizer.apply(model.params, grads, lr);
  updateRunningStats(model, records);
  tf.dispose([...grads.values()]);
  return loss;
}
