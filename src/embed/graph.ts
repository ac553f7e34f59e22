/**
 * Building ONNX graphs of the ResNet models (model.ts): a small graph builder, and the forward pass with batch
 * statistics (training, and AdaBN's statistics pass), recording what the backward pass of trainGraph.ts needs.
 * Tensors are NCHW, convolution weights OIHW, so every op is a standard ONNX op that onnxruntime's CPU kernels
 * (MLAS) run as given; batch norm is ONNX's BatchNormalization in training mode (one kernel computing the batch
 * statistics and the normalised output), with momentum 0 so that its "running" outputs are the batch mean and
 * biased variance themselves.
 */
import { convForward, type ConvPlan, STANDARD_PLAN } from './convPlans.js';
import { BN_EPSILON, bnName, type ConvDef, type Layout, outSize } from './model.js';
import type { OnnxAttribute, OnnxGraph, OnnxNode, OnnxTensor } from '../codec/onnx.js';

export class GraphBuilder {
  readonly nodes: OnnxNode[] = [];
  readonly initializers: OnnxTensor[] = [];
  private counter = 0;
  private readonly constants = new Map<string, string>();

  op(
    op: string,
    inputs: string[],
    attributes?: Record<string, OnnxAttribute>,
    outputCount = 1,
    domain?: string,
  ): string[] {
    const outputs = Array.from({ length: outputCount }, () => `t${this.counter++}`);
    this.nodes.push({ op, inputs, outputs, attributes, ...(domain ? { domain } : {}) });
    return outputs;
  }

  /** A single-output op. */
  o(op: string, inputs: string[], attributes?: Record<string, OnnxAttribute>): string {
    return this.op(op, inputs, attributes)[0];
  }

  /** Renames a value to a graph output name. */
  output(value: string, name: string): void {
    this.nodes.push({ op: 'Identity', inputs: [value], outputs: [name] });
  }

  scalar(value: number): string {
    return this.constant(`f:${value}`, () => ({ dims: [], data: Float32Array.of(value) }));
  }

  ints(values: number[]): string {
    return this.constant(`i:${values.join(',')}`, () => ({ dims: [values.length], data: values, int64: true }));
  }

  initializer(tensor: OnnxTensor): string {
    this.initializers.push(tensor);
    return tensor.name;
  }

  private constant(key: string, make: () => Omit<OnnxTensor, 'name'>): string {
    let name = this.constants.get(key);
    if (!name) {
      name = `const${this.constants.size}`;
      this.initializers.push({ name, ...make() });
      this.constants.set(key, name);
    }
    return name;
  }

  add = (a: string, b: string): string => this.o('Add', [a, b]);
  sub = (a: string, b: string): string => this.o('Sub', [a, b]);
  mul = (a: string, b: string): string => this.o('Mul', [a, b]);
  div = (a: string, b: string): string => this.o('Div', [a, b]);
  matMul = (a: string, b: string): string => this.o('MatMul', [a, b]);
  transpose = (a: string, perm: number[]): string => this.o('Transpose', [a], { perm });
  reshape = (a: string, dims: number[]): string => this.o('Reshape', [a, this.ints(dims)]);
  reduceSum = (a: string, axes: number[], keepdims: boolean): string =>
    this.o('ReduceSum', [a, this.ints(axes)], { keepdims: keepdims ? 1 : 0 });
  reduceMean = (a: string, axes: number[], keepdims: boolean): string =>
    this.o('ReduceMean', [a], { axes, keepdims: keepdims ? 1 : 0 });
  /** Per-channel [C] -> [1, C, 1, 1], to broadcast over NCHW. */
  channel = (a: string): string => this.reshape(a, [1, -1, 1, 1]);
  /** dY where `positive` (a ReLU output, so >= 0) is > 0, else 0: dY * sign(positive). */
  reluGrad = (dy: string, positive: string): string => this.mul(dy, this.o('Sign', [positive]));

  graph(name: string, inputs: OnnxGraph['inputs'], outputs: OnnxGraph['outputs'], opset = 17): OnnxGraph {
    return { name, nodes: this.nodes, initializers: this.initializers, inputs, outputs, opset };
  }
}

/** One convolution + batch norm (+ ReLU) of the forward pass, with the values its backward pass reads. */
export interface ConvRecord {
  conv: ConvDef;
  bn: string;
  input: string;
  inputSize: number;
  outSize: number;
  plan: ConvPlan;
  weight: string;
  /** Convolution output (the batch norm's input), its batch mean and 1/sqrt(variance + eps), both [1, C, 1, 1]. */
  y: string;
  mean: string;
  inv: string;
  gamma: string;
  /** Output after batch norm (and ReLU when `relu`). */
  out: string;
  relu: boolean;
}

export interface BlockRecord {
  convs: ConvRecord[];
  downsample: ConvRecord | null;
  out: string;
}

export interface ForwardRecord {
  stem: ConvRecord;
  poolIndices: string;
  blocks: BlockRecord[];
  /** Globally average-pooled features [N, C] and the last feature map's side. */
  features: string;
  lastMap: string;
  lastSize: number;
  /** Per batch-norm layer: batch mean and biased variance ([C]) and the output area they cover (per sample). */
  batchStats: { layer: string; mean: string; variance: string; area: number }[];
  /** Graph inputs the caller feeds with zeros (`scratchFeeds`): per batch-norm layer, two buffers of its width. */
  scratch: { name: string; dims: number[] }[];
}

/** Zero feeds for a forward graph's scratch inputs. */
export function scratchFeeds(
  ort: typeof import('onnxruntime-node'),
  scratch: readonly { name: string; dims: number[] }[],
): Record<string, import('onnxruntime-node').Tensor> {
  return Object.fromEntries(
    scratch.map((s) => [s.name, new ort.Tensor('float32', new Float32Array(s.dims[0]), s.dims)]),
  );
}

/**
 * The backbone forward pass with batch statistics from `input` (NCHW, side `size`), reading parameter `name` as
 * the value `param(name)`.
 */
export function forwardGraph(
  g: GraphBuilder,
  layout: Layout,
  input: string,
  size: number,
  param: (name: string) => string,
  plans: { plan: (conv: ConvDef, outSize: number) => ConvPlan; block: number } = {
    plan: () => STANDARD_PLAN,
    block: 0,
  },
): ForwardRecord {
  const batchStats: ForwardRecord['batchStats'] = [];
  const scratch: ForwardRecord['scratch'] = [];
  const convBn = (conv: ConvDef, x: string, inputSize: number, relu: boolean): ConvRecord => {
    const bn = bnName(conv);
    const weight = param(`${conv.name}.weight`);
    const side = outSize(inputSize, conv.kernel, conv.stride, conv.pad);
    const plan = plans.plan(conv, side);
    const y = convForward(g, conv, x, weight, plan, plans.block);
    const gamma = param(`${bn}.weight`);
    // The "running" inputs are ignored (momentum 0), but onnxruntime may write the batch statistics into their
    // buffers, so each layer reads graph inputs of its own (constants are shared between layers after optimisation,
    // and a later layer would overwrite an earlier one's statistics while the backward pass still needs them).
    const scratchMean = `scratch:${bn}.mean`;
    const scratchVariance = `scratch:${bn}.variance`;
    scratch.push({ name: scratchMean, dims: [conv.outChannels] }, { name: scratchVariance, dims: [conv.outChannels] });
    const [z, mean, variance] = g.op(
      'BatchNormalization',
      [y, gamma, param(`${bn}.bias`), scratchMean, scratchVariance],
      { epsilon: { float: BN_EPSILON }, momentum: { float: 0 }, training_mode: 1 },
      3,
    );
    batchStats.push({ layer: bn, mean, variance, area: side * side });
    const inv = g.o('Reciprocal', [g.o('Sqrt', [g.add(g.channel(variance), g.scalar(BN_EPSILON))])]);
    const out = relu ? g.o('Relu', [z]) : z;
    return {
      conv,
      bn,
      input: x,
      inputSize,
      outSize: side,
      plan,
      weight,
      y,
      mean: g.channel(mean),
      inv,
      gamma: g.channel(gamma),
      out,
      relu,
    };
  };
  const stem = convBn(layout.stem, input, size, true);
  const [pooled, poolIndices] = g.op(
    'MaxPool',
    [stem.out],
    { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] },
    2,
  );
  let h = pooled;
  let side = outSize(stem.outSize, 3, 2, 1);
  const blocks: BlockRecord[] = [];
  for (const block of layout.blocks) {
    const convs: ConvRecord[] = [];
    let x = h;
    let xSize = side;
    block.convs.forEach((conv, i) => {
      const record = convBn(conv, x, xSize, i < block.convs.length - 1);
      convs.push(record);
      x = record.out;
      xSize = record.outSize;
    });
    const downsample = block.downsample ? convBn(block.downsample, h, side, false) : null;
    const out = g.o('Relu', [g.add(x, downsample ? downsample.out : h)]);
    blocks.push({ convs, downsample, out });
    h = out;
    side = xSize;
  }
  const features = g.reduceMean(h, [2, 3], false);
  return { stem, poolIndices, blocks, features, lastMap: h, lastSize: side, batchStats, scratch };
}
