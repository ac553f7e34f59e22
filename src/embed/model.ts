/**
 * The CNN: a ResNet backbone (He et al. 2016, "Deep Residual Learning for Image Recognition"; torchvision's
 * layout, basic or bottleneck blocks) with six input channels, global average pooling and a linear embedding
 * layer, plus training heads on [embedding, one-hot cell type]: a softmax classifier and an ArcFace cosine-margin
 * classifier (Deng et al. 2019, "ArcFace: Additive Angular Margin Loss for Deep Face Recognition"), and a
 * projection head for the contrastive objective (Chen et al. 2020, "A Simple Framework for Contrastive Learning of
 * Visual Representations").
 *
 * A model is data: every parameter a Float32Array in the layout onnxruntime's kernels take (conv weights OIHW,
 * dense weights [in, out]), named as torchvision names them (`layer2.0.conv1.weight`), and batch-norm running
 * statistics beside them, so it is written to disk as it is held and batch-norm statistics can be swapped per
 * experiment (AdaBN). The graphs that run it are written by graph.ts (forward), trainGraph.ts (a training step)
 * and export.ts (inference).
 */
import { Rng } from '../util/random.js';
import type { Tensor, TensorMap } from './store.js';

export type BlockKind = 'basic' | 'bottleneck';

export interface BackboneSpec {
  /** torchvision's BasicBlock (two 3x3 convs) or Bottleneck (1x1, 3x3, 1x1 with 4x expansion; stride on the 3x3). */
  block: BlockKind;
  /** Stem convolution kernel size (stride 2), followed by a 3x3 stride-2 max pool. */
  stemKernel: number;
  /** Widths of the four stages (stages 2..4 halve the resolution); a bottleneck stage outputs 4x its width. */
  widths: [number, number, number, number];
  /** Blocks per stage. */
  blocks: [number, number, number, number];
}

export type BackboneName = 'resnet-tiny' | 'resnet-small' | 'resnet18' | 'resnet50';

/**
 * `resnet-small` for CPUs (about 70 M multiply-adds per 128x128 crop); `resnet18` and `resnet50` as torchvision's,
 * for GPUs; `resnet-tiny` for tests and smoke runs.
 */
export const BACKBONES: Readonly<Record<BackboneName, BackboneSpec>> = {
  'resnet-tiny': { block: 'basic', stemKernel: 3, widths: [8, 16, 16, 32], blocks: [2, 1, 1, 1] },
  'resnet-small': { block: 'basic', stemKernel: 3, widths: [32, 64, 128, 256], blocks: [1, 1, 1, 1] },
  resnet18: { block: 'basic', stemKernel: 7, widths: [64, 128, 256, 512], blocks: [2, 2, 2, 2] },
  resnet50: { block: 'bottleneck', stemKernel: 7, widths: [64, 128, 256, 512], blocks: [3, 4, 6, 3] },
};

export const INPUT_CHANNELS = 6;
export const BN_EPSILON = 1e-5;
/** PyTorch's convention: running = (1 - momentum) * running + momentum * batch (unbiased variance). */
export const BN_MOMENTUM = 0.1;
const BOTTLENECK_EXPANSION = 4;

export interface ModelShape {
  /** The backbone's name (a BACKBONES key, or any name for a custom `spec`). */
  backbone: string;
  spec: BackboneSpec;
  embeddingDim: number;
  numClasses: number;
  /** Cell types, in one-hot order. */
  cellTypes: string[];
  /** Output width of the contrastive projection head (absent: no projection head). */
  projectionDim?: number;
}

export interface BnStats {
  mean: Float32Array;
  variance: Float32Array;
}

export interface Model {
  shape: ModelShape;
  /** Trainable parameters by name. */
  params: TensorMap;
  /** Batch-norm running statistics by layer name (e.g. `layer1.0.bn1`). */
  bn: Map<string, BnStats>;
}

export interface ConvDef {
  name: string;
  kernel: number;
  stride: number;
  /** Zero padding on every side (kernel // 2, as torchvision). */
  pad: number;
  inChannels: number;
  outChannels: number;
}

export interface BlockDef {
  name: string;
  /** The block's convolutions in order; each but the last is followed by batch norm + ReLU, the last by batch norm. */
  convs: ConvDef[];
  downsample?: ConvDef;
}

export interface Layout {
  stem: ConvDef;
  blocks: BlockDef[];
  /** Channels of the last stage (the pooled feature width). */
  features: number;
}

function convDef(name: string, kernel: number, stride: number, inChannels: number, outChannels: number): ConvDef {
  return { name, kernel, stride, pad: Math.floor(kernel / 2), inChannels, outChannels };
}

function blockDef(kind: BlockKind, name: string, inChannels: number, width: number, stride: number): BlockDef {
  const out = kind === 'bottleneck' ? width * BOTTLENECK_EXPANSION : width;
  const convs =
    kind === 'bottleneck'
      ? [
          convDef(`${name}.conv1`, 1, 1, inChannels, width),
          convDef(`${name}.conv2`, 3, stride, width, width),
          convDef(`${name}.conv3`, 1, 1, width, out),
        ]
      : [convDef(`${name}.conv1`, 3, stride, inChannels, width), convDef(`${name}.conv2`, 3, 1, width, width)];
  const block: BlockDef = { name, convs };
  if (stride !== 1 || inChannels !== out)
    block.downsample = convDef(`${name}.downsample.0`, 1, stride, inChannels, out);
  return block;
}

export function backboneSpec(name: string): BackboneSpec {
  const spec = BACKBONES[name as BackboneName];
  if (!spec) throw new Error(`backbone "${name}": expected one of ${Object.keys(BACKBONES).join(', ')}`);
  return spec;
}

export function layoutOf(spec: BackboneSpec): Layout {
  const stem = convDef('conv1', spec.stemKernel, 2, INPUT_CHANNELS, spec.widths[0]);
  const blocks: BlockDef[] = [];
  let channels = spec.widths[0];
  spec.widths.forEach((width, stage) => {
    for (let b = 0; b < spec.blocks[stage]; b++) {
      const block = blockDef(spec.block, `layer${stage + 1}.${b}`, channels, width, stage > 0 && b === 0 ? 2 : 1);
      blocks.push(block);
      channels = block.convs.at(-1)!.outChannels;
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

export function allConvs(layout: Layout): ConvDef[] {
  return [layout.stem, ...layout.blocks.flatMap((b) => [...b.convs, ...(b.downsample ? [b.downsample] : [])])];
}

/** Feature-map side after the stem conv and max pool, and after each block, for a square input of `size`. */
export function outSize(size: number, kernel: number, stride: number, pad: number): number {
  return Math.floor((size + 2 * pad - kernel) / stride) + 1;
}

/** Projection head layer names (Linear -> ReLU -> Linear on the embedding, as SimCLR's). */
export const PROJECTION = ['head.projection.0', 'head.projection.1'] as const;

/**
 * Kaiming-normal conv weights (fan_out, as torchvision), unit BN scales, zero biases; uniform(+-1/sqrt(fan_in))
 * dense layers.
 */
export function createModel(shape: ModelShape, seed: number): Model {
  const rng = new Rng(seed);
  const layout = layoutOf(shape.spec);
  const params: TensorMap = new Map();
  const bn = new Map<string, BnStats>();
  for (const conv of allConvs(layout)) {
    const size = conv.kernel * conv.kernel * conv.inChannels * conv.outChannels;
    const std = Math.sqrt(2 / (conv.kernel * conv.kernel * conv.outChannels));
    params.set(`${conv.name}.weight`, {
      shape: [conv.outChannels, conv.inChannels, conv.kernel, conv.kernel],
      data: Float32Array.from({ length: size }, () => rng.normal() * std),
    });
    const b = bnName(conv);
    params.set(`${b}.weight`, { shape: [conv.outChannels], data: new Float32Array(conv.outChannels).fill(1) });
    params.set(`${b}.bias`, { shape: [conv.outChannels], data: new Float32Array(conv.outChannels) });
    bn.set(b, { mean: new Float32Array(conv.outChannels), variance: new Float32Array(conv.outChannels).fill(1) });
  }
  const dense = (name: string, inputs: number, outputs: number, bias: boolean): void => {
    const bound = 1 / Math.sqrt(inputs);
    const uniform = (length: number): Float32Array => Float32Array.from({ length }, () => (2 * rng.next() - 1) * bound);
    params.set(`${name}.weight`, { shape: [inputs, outputs], data: uniform(inputs * outputs) });
    if (bias) params.set(`${name}.bias`, { shape: [outputs], data: uniform(outputs) });
  };
  dense('embedding', layout.features, shape.embeddingDim, true);
  const headInputs = shape.embeddingDim + shape.cellTypes.length;
  dense('head.softmax', headInputs, shape.numClasses, true);
  dense('head.arcface', headInputs, shape.numClasses, false);
  if (shape.projectionDim) {
    dense(PROJECTION[0], shape.embeddingDim, shape.embeddingDim, true);
    dense(PROJECTION[1], shape.embeddingDim, shape.projectionDim, true);
  }
  return { shape, params, bn };
}

/** Names of parameters that take weight decay (conv and dense weights; not biases or batch-norm scales). */
export function decays(name: string): boolean {
  return name.endsWith('.weight') && !/(^|\.)bn\d\.|downsample\.1\./.test(name);
}

const BN_PREFIX = 'bn:';

/** Every tensor of the model: parameters, then `bn:<layer>.running_mean|running_var`. */
export function modelArrays(model: Model): TensorMap {
  const out: TensorMap = new Map(model.params);
  for (const [layer, s] of model.bn) {
    out.set(`${BN_PREFIX}${layer}.running_mean`, { shape: [s.mean.length], data: s.mean });
    out.set(`${BN_PREFIX}${layer}.running_var`, { shape: [s.variance.length], data: s.variance });
  }
  return out;
}

function checkTensor(name: string, actual: Tensor | undefined, expected: Tensor): Float32Array {
  if (!actual) throw new Error(`model weights: tensor "${name}" missing`);
  if (actual.data.length !== expected.data.length || actual.shape.join('x') !== expected.shape.join('x'))
    throw new Error(
      `model weights: tensor "${name}" is ${actual.shape.join('x')}, expected ${expected.shape.join('x')} (the layout of this phenomap version: conv weights OIHW)`,
    );
  return actual.data;
}

/** Copies arrays produced by modelArrays into a model of the same shape; throws naming a missing or mis-shaped one. */
export function loadModelArrays(model: Model, arrays: TensorMap): void {
  for (const [name, p] of model.params) p.data.set(checkTensor(name, arrays.get(name), p));
  for (const [layer, s] of model.bn) {
    const mean = `${BN_PREFIX}${layer}.running_mean`;
    const variance = `${BN_PREFIX}${layer}.running_var`;
    s.mean.set(checkTensor(mean, arrays.get(mean), { shape: [s.mean.length], data: s.mean }));
    s.variance.set(checkTensor(variance, arrays.get(variance), { shape: [s.variance.length], data: s.variance }));
  }
}

/** A deep copy of the parameters (e.g. for a checkpoint while training goes on). */
export function copyTensors(tensors: TensorMap): TensorMap {
  return new Map([...tensors].map(([name, t]) => [name, { shape: [...t.shape], data: Float32Array.from(t.data) }]));
}
