/**
 * The CNN: a ResNet backbone (He et al. 2016, "Deep Residual Learning for Image Recognition") with six input
 * channels, global average pooling and a linear embedding layer, plus two training heads on
 * [embedding, one-hot cell type]: a softmax classifier and an ArcFace cosine-margin classifier (Deng et al.
 * 2019, "ArcFace: Additive Angular Margin Loss for Deep Face Recognition").
 *
 * Written functionally on tfjs-core ops: parameters are named tf.Variables (named as torchvision names them,
 * e.g. `layer2.0.conv1.weight`), batch-norm running statistics are plain Float32Arrays, so a model is a
 * name -> Float32Array map on disk and batch-norm statistics can be swapped per experiment (AdaBN).
 */
import { tf } from './engine/index.js';
import { Rng } from '../util/random.js';
import { batchNormTrain, type BatchStatistics } from './engine/batchNorm.js';

export type BackboneName = 'resnet-small' | 'resnet18';

export interface BackboneSpec {
  /** Stem convolution kernel size (stride 2), followed by a 3x3 stride-2 max pool. */
  stemKernel: number;
  /** Channels of the four stages (stages 2..4 halve the resolution). */
  widths: [number, number, number, number];
  /** Basic blocks per stage. */
  blocks: [number, number, number, number];
}

/** `resnet-small` for CPUs (about 70 M multiply-adds per 128x128 crop); `resnet18` as torchvision's, for GPUs. */
export const BACKBONES: Readonly<Record<BackboneName, BackboneSpec>> = {
  'resnet-small': { stemKernel: 3, widths: [32, 64, 128, 256], blocks: [1, 1, 1, 1] },
  resnet18: { stemKernel: 7, widths: [64, 128, 256, 512], blocks: [2, 2, 2, 2] },
};

export const INPUT_CHANNELS = 6;
export const BN_EPSILON = 1e-5;
/** PyTorch's convention: running = (1 - momentum) * running + momentum * batch. */
export const BN_MOMENTUM = 0.1;

export interface ModelShape {
  backbone: BackboneName;
  embeddingDim: number;
  numClasses: number;
  /** Cell types, in one-hot order. */
  cellTypes: string[];
}

export interface BnStats {
  mean: Float32Array;
  variance: Float32Array;
}

export interface Model {
  shape: ModelShape;
  /** Trainable parameters by name. */
  params: Map<string, tf.Variable>;
  /** Batch-norm running statistics by layer name (e.g. `layer1.0.bn1`). */
  bn: Map<string, BnStats>;
}

interface ConvDef {
  name: string;
  kernel: number;
  stride: number;
  inChannels: number;
  outChannels: number;
}

interface BlockDef {
  name: string;
  conv1: ConvDef;
  conv2: ConvDef;
  downsample?: ConvDef;
}

interface Layout {
  stem: ConvDef;
  blocks: BlockDef[];
  features: number;
}

export function layoutOf(backbone: BackboneName): Layout {
  const spec = BACKBONES[backbone];
  if (!spec) throw new Error(`backbone "${backbone}": expected one of ${Object.keys(BACKBONES).join(', ')}`);
  const stem: ConvDef = {
    name: 'conv1',
    kernel: spec.stemKernel,
    stride: 2,
    inChannels: INPUT_CHANNELS,
    outChannels: spec.widths[0],
  };
  const blocks: BlockDef[] = [];
  let channels = spec.widths[0];
  spec.widths.forEach((width, stage) => {
    for (let b = 0; b < spec.blocks[stage]; b++) {
      const stride = stage > 0 && b === 0 ? 2 : 1;
      const name = `layer${stage + 1}.${b}`;
      const block: BlockDef = {
        name,
        conv1: { name: `${name}.conv1`, kernel: 3, stride, inChannels: channels, outChannels: width },
        conv2: { name: `${name}.conv2`, kernel: 3, stride: 1, inChannels: width, outChannels: width },
      };
      if (stride !== 1 || channels !== width)
        block.downsample = {
          name: `${name}.downsample.0`,
          kernel: 1,
          stride,
          inChannels: channels,
          outChannels: width,
        };
      blocks.push(block);
      channels = width;
    }
  });
  return { stem, blocks, features: channels };
}

/** Batch-norm layer name that follows a conv (torchvision naming). */
export function bnName(conv: { name: string }): string {
  if (conv.name === 'conv1') return 'bn1';
  if (conv.name.endsWith('.downsample.0')) return conv.name.replace(/\.0$/, '.1');
  return conv.name.replace(/conv(\d)$/, 'bn$1');
}

function allConvs(layout: Layout): ConvDef[] {
  return [layout.stem, ...layout.blocks.flatMap((b) => [b.conv1, b.conv2, ...(b.downsample ? [b.downsample] : [])])];
}

/**
 * Kaiming-normal conv weights (fan_out, as torchvision), unit BN scales, zero biases; uniform(+-1/sqrt(fan_in)) dense
 * layers.
 */
export function createModel(shape: ModelShape, seed: number): Model {
  const rng = new Rng(seed);
  const layout = layoutOf(shape.backbone);
  const params = new Map<string, tf.Variable>();
  const bn = new Map<string, BnStats>();
  const add = (name: string, dims: number[], values: Float32Array): void => {
    const initial = tf.tensor(values, dims);
    params.set(name, tf.variable(initial, true));
    initial.dispose();
  };
  for (const conv of allConvs(layout)) {
    const size = conv.kernel * conv.kernel * conv.inChannels * conv.outChannels;
    const std = Math.sqrt(2 / (conv.kernel * conv.kernel * conv.outChannels));
    add(
      `${conv.name}.weight`,
      [conv.kernel, conv.kernel, conv.inChannels, conv.outChannels],
      Float32Array.from({ length: size }, () => rng.normal() * std),
    );
    const b = bnName(conv);
    add(`${b}.weight`, [conv.outChannels], new Float32Array(conv.outChannels).fill(1));
    add(`${b}.bias`, [conv.outChannels], new Float32Array(conv.outChannels));
    bn.set(b, { mean: new Float32Array(conv.outChannels), variance: new Float32Array(conv.outChannels).fill(1) });
  }
  const dense = (name: string, inputs: number, outputs: number, bias: boolean): void => {
    const bound = 1 / Math.sqrt(inputs);
    add(
      `${name}.weight`,
      [inputs, outputs],
      Float32Array.from({ length: inputs * outputs }, () => (2 * rng.next() - 1) * bound),
    );
    if (bias)
      add(
        `${name}.bias`,
        [outputs],
        Float32Array.from({ length: outputs }, () => (2 * rng.next() - 1) * bound),
      );
  };
  dense('embedding', layout.features, shape.embeddingDim, true);
  const headInputs = shape.embeddingDim + shape.cellTypes.length;
  dense('head.softmax', headInputs, shape.numClasses, true);
  dense('head.arcface', headInputs, shape.numClasses, false);
  return { shape, params, bn };
}

export function disposeModel(model: Model): void {
  for (const v of model.params.values()) v.dispose();
  model.params.clear();
}

/**
 * How batch norm normalises during a forward pass. `batch`: with the batch's own statistics (training, and the
 * AdaBN statistics pass), reporting each layer's batch mean and variance to `record` when given. `fixed`: with
 * `stats` (the model's running statistics, or an experiment's AdaBN statistics).
 */
export type BnMode =
  | { kind: 'batch'; record?: (layer: string, stats: BatchStatistics) => void }
  | { kind: 'fixed'; stats: Map<string, BnStats> };

function convBn(model: Model, conv: ConvDef, x: tf.Tensor4D, mode: BnMode, relu: boolean): tf.Tensor4D {
  const y = tf.conv2d(x, model.params.get(`${conv.name}.weight`) as unknown as tf.Tensor4D, conv.stride, 'same');
  const layer = bnName(conv);
  const gamma = model.params.get(`${layer}.weight`) as unknown as tf.Tensor1D;
  const beta = model.params.get(`${layer}.bias`) as unknown as tf.Tensor1D;
  if (mode.kind === 'batch') {
    const record = mode.record;
    return batchNormTrain(y, gamma, beta, BN_EPSILON, relu, record ? (stats) => record(layer, stats) : undefined);
  }
  const stats = mode.stats.get(layer);
  if (!stats) throw new Error(`batch norm statistics for layer ${layer} missing`);
  const scale = tf.mul(gamma, tf.rsqrt(tf.add(tf.tensor1d(stats.variance), BN_EPSILON)));
  const z = tf.add(tf.mul(tf.sub(y, tf.tensor1d(stats.mean)), scale), beta) as tf.Tensor4D;
  return relu ? tf.relu(z) : z;
}

/** Backbone + embedding layer: NHWC float32 [N, H, W, 6] -> [N, embeddingDim]. Any H, W (global average pooling). */
export function embed(model: Model, x: tf.Tensor4D, mode: BnMode): tf.Tensor2D {
  const layout = layoutOf(model.shape.backbone);
  let h = convBn(model, layout.stem, x, mode, true);
  h = tf.maxPool(h, 3, 2, 'same');
  for (const block of layout.blocks) {
    const a = convBn(model, block.conv1, h, mode, true);
    const b = convBn(model, block.conv2, a, mode, false);
    const shortcut = block.downsample ? convBn(model, block.downsample, h, mode, false) : h;
    h = tf.relu(tf.add(b, shortcut));
  }
  const pooled = tf.mean(h, [1, 2]) as tf.Tensor2D;
  return tf.add(
    tf.matMul(pooled, model.params.get('embedding.weight') as unknown as tf.Tensor2D),
    model.params.get('embedding.bias')!,
  ) as tf.Tensor2D;
}

/**
 * The same function as `embed` in `fixed` mode, with each batch norm folded into its convolution and the
 * ReLU fused (tf.fused.conv2d): the fast path for embedding.
 */
export function embedFolded(model: Model, x: tf.Tensor4D, stats: Map<string, BnStats>): tf.Tensor2D {
  const layout = layoutOf(model.shape.backbone);
  const conv = (def: ConvDef, input: tf.Tensor4D, relu: boolean): tf.Tensor4D => {
    const layer = bnName(def);
    const s = stats.get(layer);
    if (!s) throw new Error(`batch norm statistics for layer ${layer} missing`);
    const gamma = model.params.get(`${layer}.weight`)!;
    const beta = model.params.get(`${layer}.bias`)!;
    const scale = tf.mul(gamma, tf.rsqrt(tf.add(tf.tensor1d(s.variance), BN_EPSILON)));
    const filter = tf.mul(model.params.get(`${def.name}.weight`)!, scale) as tf.Tensor4D;
    const bias = tf.sub(beta, tf.mul(tf.tensor1d(s.mean), scale));
    return tf.fused.conv2d({
      x: input,
      filter,
      strides: def.stride,
      pad: 'same',
      bias,
      activation: relu ? 'relu' : 'linear',
    });
  };
  let h = conv(layout.stem, x, true);
  h = tf.maxPool(h, 3, 2, 'same');
  for (const block of layout.blocks) {
    const a = conv(block.conv1, h, true);
    const b = conv(block.conv2, a, false);
    const shortcut = block.downsample ? conv(block.downsample, h, false) : h;
    h = tf.relu(tf.add(b, shortcut));
  }
  const pooled = tf.mean(h, [1, 2]) as tf.Tensor2D;
  return tf.add(
    tf.matMul(pooled, model.params.get('embedding.weight') as unknown as tf.Tensor2D),
    model.params.get('embedding.bias')!,
  ) as tf.Tensor2D;
}

/** Head input: the embedding with the (possibly mixed) one-hot cell type appended. */
export function headInput(embedding: tf.Tensor2D, cellTypeOneHot: tf.Tensor2D): tf.Tensor2D {
  return tf.concat([embedding, cellTypeOneHot], 1);
}

export function softmaxLogits(model: Model, h: tf.Tensor2D): tf.Tensor2D {
  return tf.add(
    tf.matMul(h, model.params.get('head.softmax.weight') as unknown as tf.Tensor2D),
    model.params.get('head.softmax.bias')!,
  ) as tf.Tensor2D;
}

/** Cosines between the L2-normalised head input and the L2-normalised class weights: [N, classes]. */
export function arcCosines(model: Model, h: tf.Tensor2D): tf.Tensor2D {
  const w = model.params.get('head.arcface.weight') as unknown as tf.Tensor2D;
  const hn = tf.div(h, tf.add(tf.norm(h, 2, 1, true), 1e-12));
  const wn = tf.div(w, tf.add(tf.norm(w, 2, 0, true), 1e-12));
  return tf.matMul(hn, wn);
}

export interface ArcFaceParams {
  /** Scale s (default 30). */
  scale: number;
  /** Additive angular margin m in radians (default 0.2). */
  margin: number;
}

/**
 * ArcFace logits for targets `labels`: s*cos(theta + m) at the target class, s*cos(theta) elsewhere; where
 * theta + m would pass pi, cos(theta) - m*sin(m) is used instead (the reference implementation's rule).
 */
export function arcLogits(cosines: tf.Tensor2D, labels: tf.Tensor1D, params: ArcFaceParams): tf.Tensor2D {
  const { scale, margin } = params;
  const classes = cosines.shape[1];
  const target = tf.oneHot(labels, classes);
  const cos = tf.clipByValue(cosines, -1 + 1e-7, 1 - 1e-7);
  const sin = tf.sqrt(tf.sub(1, tf.square(cos)));
  const phi = tf.sub(tf.mul(cos, Math.cos(margin)), tf.mul(sin, Math.sin(margin)));
  // A 0/1 mask by tf.step (which has a zero gradient) rather than tf.where on a comparison (which has none).
  const keep = tf.step(tf.sub(cos, Math.cos(Math.PI - margin)));
  const safePhi = tf.add(tf.mul(keep, phi), tf.mul(tf.sub(1, keep), tf.sub(cos, margin * Math.sin(margin))));
  return tf.mul(tf.add(tf.mul(target, safePhi), tf.mul(tf.sub(1, target), cos)), scale) as tf.Tensor2D;
}

/** Per-row cross-entropy -sum(target * log softmax(logits)) with soft or hard targets: [N]. */
export function crossEntropy(logits: tf.Tensor2D, targets: tf.Tensor2D): tf.Tensor1D {
  return tf.neg(tf.sum(tf.mul(targets, tf.logSoftmax(logits)), 1)) as tf.Tensor1D;
}

/** Names of parameters that take weight decay (conv and dense weights; not biases or batch-norm scales). */
export function decays(name: string): boolean {
  return name.endsWith('.weight') && !/(^|\.)bn\d\.|downsample\.1\./.test(name);
}

/** Every tensor of the model as a name -> Float32Array map: parameters, then `bn:<layer>.mean|variance`. */
export function modelArrays(model: Model): Map<string, { shape: number[]; data: Float32Array }> {
  const out = new Map<string, { shape: number[]; data: Float32Array }>();
  for (const [name, v] of model.params) out.set(name, { shape: v.shape, data: v.dataSync() as Float32Array });
  for (const [layer, s] of model.bn) {
    out.set(`bn:${layer}.running_mean`, { shape: [s.mean.length], data: s.mean });
    out.set(`bn:${layer}.running_var`, { shape: [s.variance.length], data: s.variance });
  }
  return out;
}

/**
 * Loads arrays produced by modelArrays into a model of the same shape; throws naming any missing or mis-shaped tensor.
 */
export function loadModelArrays(model: Model, arrays: Map<string, { shape: number[]; data: Float32Array }>): void {
  for (const [name, v] of model.params) {
    const a = arrays.get(name);
    if (!a) throw new Error(`model weights: tensor "${name}" missing`);
    if (a.data.length !== v.size)
      throw new Error(
        `model weights: tensor "${name}" has ${a.data.length} values, expected ${v.size} (${v.shape.join('x')})`,
      );
    const t = tf.tensor(a.data, v.shape);
    v.assign(t);
    t.dispose();
  }
  for (const [layer, s] of model.bn) {
    const mean = arrays.get(`bn:${layer}.running_mean`);
    const variance = arrays.get(`bn:${layer}.running_var`);
    if (!mean || !variance) throw new Error(`model weights: batch-norm statistics of "${layer}" missing`);
    s.mean.set(mean.data);
    s.variance.set(variance.data);
  }
}
