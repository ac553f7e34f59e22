/**
 * One training step of the ResNet models (model.ts) as a single ONNX graph, so that onnxruntime's CPU kernels
 * (MLAS: the fastest convolutions measured here, see ENGINE.md) run training as well as inference.
 * onnxruntime-node ships no training API and no gradient ops, so the graph spells out the backward pass in
 * standard ONNX ops for the few layer kinds these models use (written by hand because no npm package derives
 * ONNX gradient graphs; each gradient is checked against tfjs autodiff in test/embed-ort-train.test.ts):
 *
 *   conv   dX = ConvTranspose(dY, W);  dW = Conv(X^T, dY^T) with the stride as dilation (N as channels)
 *   batch norm (training mode)  dY = gamma/(M sigma) (M dZ - sum dZ - xhat sum(dZ xhat))
 *   max pool  scatter-add of dY at the pooled positions (MaxPool's Indices output)
 *   heads  softmax cross-entropy on mixed targets, ArcFace on the L2-normalised head input and class weights
 *
 * and ends with SGD with Nesterov momentum and weight decay (SgdMomentum's rule). Inputs: the batch (NHWC
 * images "x", one-hot "cell", one-hot first/second targets "targetA"/"targetB", mixing weight "lambda" [N, 1],
 * batch size "n" and learning rate "lr" as scalars), every parameter and its momentum buffer. Outputs: "loss",
 * the updated parameters and buffers, and each batch-norm layer's batch mean and biased variance.
 */
import { BN_EPSILON, bnName, decays, INPUT_CHANNELS, layoutOf, type ArcFaceParams, type ModelShape } from './model.js';
import type { OnnxAttribute, OnnxGraph, OnnxNode, OnnxTensor } from './onnxWriter.js';
import type { LossWeights } from './step.js';

export interface TrainGraphOptions {
  shape: ModelShape;
  /** Parameter names and shapes (tfjs layouts: conv weights HWIO), as the model holds them. */
  params: { name: string; dims: number[] }[];
  crop: number;
  arc: ArcFaceParams;
  weights: LossWeights;
  momentum: number;
  weightDecay: number;
}

/** Graph input / output names for one parameter. */
export const paramInput = (name: string): string => `param:${name}`;
export const velocityInput = (name: string): string => `velocity:${name}`;
export const paramOutput = (name: string): string => `next:${name}`;
export const velocityOutput = (name: string): string => `nextVelocity:${name}`;
export const bnMeanOutput = (layer: string): string => `bn:${layer}.mean`;
export const bnVarianceOutput = (layer: string): string => `bn:${layer}.variance`;

class GraphBuilder {
  readonly nodes: OnnxNode[] = [];
  readonly initializers: OnnxTensor[] = [];
  private counter = 0;
  private readonly constants = new Map<string, string>();

  op(op: string, inputs: string[], attributes?: Record<string, OnnxAttribute>, outputCount = 1): string[] {
    const outputs = Array.from({ length: outputCount }, () => `t${this.counter++}`);
    this.nodes.push({ op, inputs, outputs, attributes });
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
  reduceSum = (a: string, axes: number[], keepdims: boolean): string =>
    this.o('ReduceSum', [a, this.ints(axes)], { keepdims: keepdims ? 1 : 0 });
  reduceMean = (a: string, axes: number[], keepdims: boolean): string =>
    this.o('ReduceMean', [a], { axes, keepdims: keepdims ? 1 : 0 });
  /** dY where `positive` > 0, else 0 (the ReLU gradient). */
  reluGrad = (dy: string, positive: string): string =>
    this.o('Where', [this.o('Greater', [positive, this.scalar(0)]), dy, this.scalar(0)]);
}

/** TensorFlow's "same" padding (extra row/column at the end): output size and pads before/after. */
export function samePadding(
  size: number,
  kernel: number,
  stride: number,
): { out: number; before: number; after: number } {
  const out = Math.ceil(size / stride);
  const total = Math.max((out - 1) * stride + kernel - size, 0);
  const before = Math.floor(total / 2);
  return { out, before, after: total - before };
}

interface ConvSpec {
  name: string;
  bn: string;
  kernel: number;
  stride: number;
}

interface ConvRecord {
  spec: ConvSpec;
  input: string;
  inputSize: number;
  outSize: number;
  pads: { before: number; after: number };
  weight: string;
  xhat: string;
  inv: string;
  gamma: string;
  out: string;
  relu: boolean;
}

export interface TrainGraph {
  graph: OnnxGraph;
  /** Output area (height x width) of each batch-norm layer: its statistics cover batch size x area values. */
  batchNormAreas: Map<string, number>;
}

/** Builds the training-step graph; see the module comment. */
export function buildTrainGraph(options: TrainGraphOptions): TrainGraph {
  const { shape, crop, arc } = options;
  const g = new GraphBuilder();
  const layout = layoutOf(shape.backbone);
  const dims = new Map(options.params.map((p) => [p.name, p.dims]));
  const param = (name: string): string => {
    if (!dims.has(name)) throw new Error(`training graph: parameter "${name}" missing`);
    return paramInput(name);
  };
  const grads = new Map<string, string>();
  const outputs: OnnxGraph['outputs'] = [{ name: 'loss', dims: [] }];
  const channelAxes = [0, 2, 3];
  const batchNormAreas = new Map<string, number>();

  const convBn = (spec: ConvSpec, input: string, inputSize: number, relu: boolean): ConvRecord => {
    const pads = samePadding(inputSize, spec.kernel, spec.stride);
    const weight = g.transpose(param(`${spec.name}.weight`), [3, 2, 0, 1]);
    const y = g.o('Conv', [input, weight], {
      kernel_shape: [spec.kernel, spec.kernel],
      strides: [spec.stride, spec.stride],
      pads: [pads.before, pads.before, pads.after, pads.after],
    });
    const mean = g.reduceMean(y, channelAxes, true);
    const centred = g.sub(y, mean);
    const variance = g.reduceMean(g.mul(centred, centred), channelAxes, true);
    const inv = g.o('Reciprocal', [g.o('Sqrt', [g.add(variance, g.scalar(BN_EPSILON))])]);
    const xhat = g.mul(centred, inv);
    const gamma = g.o('Reshape', [param(`${spec.bn}.weight`), g.ints([1, -1, 1, 1])]);
    const beta = g.o('Reshape', [param(`${spec.bn}.bias`), g.ints([1, -1, 1, 1])]);
    const z = g.add(g.mul(xhat, gamma), beta);
    const out = relu ? g.o('Relu', [z]) : z;
    g.output(g.o('Reshape', [mean, g.ints([-1])]), bnMeanOutput(spec.bn));
    g.output(g.o('Reshape', [variance, g.ints([-1])]), bnVarianceOutput(spec.bn));
    outputs.push(
      { name: bnMeanOutput(spec.bn), dims: [dims.get(`${spec.bn}.weight`)![0]] },
      { name: bnVarianceOutput(spec.bn), dims: [dims.get(`${spec.bn}.weight`)![0]] },
    );
    batchNormAreas.set(spec.bn, pads.out * pads.out);
    return { spec, input, inputSize, outSize: pads.out, pads, weight, xhat, inv, gamma, out, relu };
  };

  /** Backward through batch norm (+ReLU) and the conv; returns dInput when asked for. */
  const convBnBackward = (r: ConvRecord, dOut: string, inputGradient: boolean, batch: string): string | null => {
    const dz = r.relu ? g.reluGrad(dOut, r.out) : dOut;
    const sumDz = g.reduceSum(dz, channelAxes, true);
    const sumDzXhat = g.reduceSum(g.mul(dz, r.xhat), channelAxes, true);
    grads.set(`${r.spec.bn}.weight`, g.o('Reshape', [sumDzXhat, g.ints([-1])]));
    grads.set(`${r.spec.bn}.bias`, g.o('Reshape', [sumDz, g.ints([-1])]));
    // dY = a dZ - (b xhat + c) with per-channel a = gamma/sigma, b = a sum(dZ xhat)/M, c = a sum(dZ)/M: four passes.
    const count = g.mul(batch, g.scalar(r.outSize * r.outSize));
    const a = g.mul(r.gamma, r.inv);
    const perCount = g.div(a, count);
    const dy = g.sub(g.mul(dz, a), g.add(g.mul(r.xhat, g.mul(perCount, sumDzXhat)), g.mul(perCount, sumDz)));
    // Weight gradient as a convolution over the batch: X^T [Ci, N, H, W] filtered by dY^T [Co, N, h, w].
    const { kernel, stride } = r.spec;
    const reach = r.inputSize + r.pads.before + r.pads.after - (r.outSize - 1) * stride;
    let dw = g.o('Conv', [g.transpose(r.input, [1, 0, 2, 3]), g.transpose(dy, [1, 0, 2, 3])], {
      pads: [r.pads.before, r.pads.before, r.pads.after, r.pads.after],
      dilations: [stride, stride],
    });
    if (reach > kernel) dw = g.o('Slice', [dw, g.ints([0, 0]), g.ints([kernel, kernel]), g.ints([2, 3])]);
    grads.set(`${r.spec.name}.weight`, g.transpose(dw, [2, 3, 0, 1]));
    if (!inputGradient) return null;
    const outputPadding = r.inputSize - ((r.outSize - 1) * stride + kernel - r.pads.before - r.pads.after);
    return g.o('ConvTranspose', [dy, r.weight], {
      kernel_shape: [kernel, kernel],
      strides: [stride, stride],
      pads: [r.pads.before, r.pads.before, r.pads.after, r.pads.after],
      output_padding: [outputPadding, outputPadding],
    });
  };

  // Forward.
  const batch = 'n';
  const x = g.transpose('x', [0, 3, 1, 2]);
  const convOf = (def: { name: string; kernel: number; stride: number }): ConvSpec => ({
    name: def.name,
    bn: bnName(def),
    kernel: def.kernel,
    stride: def.stride,
  });
  const stem = convBn(convOf(layout.stem), x, crop, true);
  const poolPads = samePadding(stem.outSize, 3, 2);
  const [pooled, poolIndices] = g.op(
    'MaxPool',
    [stem.out],
    { kernel_shape: [3, 3], strides: [2, 2], pads: [poolPads.before, poolPads.before, poolPads.after, poolPads.after] },
    2,
  );
  let h = pooled;
  let size = poolPads.out;
  const blocks: { conv1: ConvRecord; conv2: ConvRecord; downsample: ConvRecord | null; out: string }[] = [];
  for (const block of layout.blocks) {
    const conv1 = convBn(convOf(block.conv1), h, size, true);
    const conv2 = convBn(convOf(block.conv2), conv1.out, conv1.outSize, false);
    const downsample = block.downsample ? convBn(convOf(block.downsample), h, size, false) : null;
    const out = g.o('Relu', [g.add(conv2.out, downsample ? downsample.out : h)]);
    blocks.push({ conv1, conv2, downsample, out });
    h = out;
    size = conv2.outSize;
  }
  const features = g.reduceMean(h, [2, 3], false);
  const embeddingWeight = param('embedding.weight');
  const embedding = g.add(g.matMul(features, embeddingWeight), param('embedding.bias'));
  const head = g.o('Concat', [embedding, 'cell'], { axis: 1 });

  // Losses (per sample), mixed targets and their gradients with respect to the logits.
  const invBatch = g.o('Reciprocal', [batch]);
  const lambda = 'lambda';
  const oneMinusLambda = g.sub(g.scalar(1), lambda);
  const target = g.add(g.mul('targetA', lambda), g.mul('targetB', oneMinusLambda));
  const crossEntropy = (logits: string, targets: string): { loss: string; logSoftmax: string } => {
    const logSoftmax = g.o('LogSoftmax', [logits], { axis: 1 });
    return { loss: g.o('Neg', [g.reduceSum(g.mul(targets, logSoftmax), [1], false)]), logSoftmax };
  };
  const softmaxWeight = param('head.softmax.weight');
  const softmaxLogits = g.add(g.matMul(head, softmaxWeight), param('head.softmax.bias'));
  const softmax = crossEntropy(softmaxLogits, target);
  let loss = g.mul(softmax.loss, g.scalar(options.weights.softmax));
  const dSoftmax = g.mul(
    g.sub(g.o('Exp', [softmax.logSoftmax]), target),
    g.mul(invBatch, g.scalar(options.weights.softmax)),
  );
  grads.set('head.softmax.weight', g.matMul(g.transpose(head, [1, 0]), dSoftmax));
  grads.set('head.softmax.bias', g.reduceSum(dSoftmax, [0], false));
  let dHead = g.matMul(dSoftmax, g.transpose(softmaxWeight, [1, 0]));

  if (options.weights.arcface > 0) {
    const arcWeight = param('head.arcface.weight');
    const headNorm = g.o('Sqrt', [g.reduceSum(g.mul(head, head), [1], true)]);
    const headNormEps = g.add(headNorm, g.scalar(1e-12));
    const headUnit = g.div(head, headNormEps);
    const weightNorm = g.o('Sqrt', [g.reduceSum(g.mul(arcWeight, arcWeight), [0], true)]);
    const weightNormEps = g.add(weightNorm, g.scalar(1e-12));
    const weightUnit = g.div(arcWeight, weightNormEps);
    const cosines = g.matMul(headUnit, weightUnit);
    const low = -1 + 1e-7;
    const high = 1 - 1e-7;
    const cos = g.o('Clip', [cosines, g.scalar(low), g.scalar(high)]);
    const sin = g.o('Sqrt', [g.sub(g.scalar(1), g.mul(cos, cos))]);
    const phi = g.sub(g.mul(cos, g.scalar(Math.cos(arc.margin))), g.mul(sin, g.scalar(Math.sin(arc.margin))));
    const keep = g.o('Greater', [g.sub(cos, g.scalar(Math.cos(Math.PI - arc.margin))), g.scalar(0)]);
    const safePhi = g.o('Where', [keep, phi, g.sub(cos, g.scalar(arc.margin * Math.sin(arc.margin)))]);
    const dSafePhi = g.o('Where', [
      keep,
      g.add(g.scalar(Math.cos(arc.margin)), g.mul(g.scalar(Math.sin(arc.margin)), g.div(cos, sin))),
      g.scalar(1),
    ]);
    const scale = g.scalar(arc.scale);
    const arcWeightScalar = g.scalar(options.weights.arcface);
    let dCos = '';
    let arcLoss = '';
    for (const [targets, share] of [
      ['targetA', lambda],
      ['targetB', oneMinusLambda],
    ] as const) {
      const logits = g.mul(g.add(cos, g.mul(targets, g.sub(safePhi, cos))), scale);
      const ce = crossEntropy(logits, targets);
      const weighted = g.mul(ce.loss, g.o('Reshape', [share, g.ints([-1])]));
      arcLoss = arcLoss ? g.add(arcLoss, weighted) : weighted;
      const dLogits = g.mul(
        g.sub(g.o('Exp', [ce.logSoftmax]), targets),
        g.mul(share, g.mul(invBatch, arcWeightScalar)),
      );
      // d logits / d cos = s * (1 + target * (dSafePhi - 1))
      const term = g.mul(g.mul(dLogits, g.add(g.scalar(1), g.mul(targets, g.sub(dSafePhi, g.scalar(1))))), scale);
      dCos = dCos ? g.add(dCos, term) : term;
    }
    loss = g.add(loss, g.mul(arcLoss, arcWeightScalar));
    const inRange = g.o('And', [
      g.o('GreaterOrEqual', [cosines, g.scalar(low)]),
      g.o('LessOrEqual', [cosines, g.scalar(high)]),
    ]);
    const dCosines = g.o('Where', [inRange, dCos, g.scalar(0)]);
    const dHeadUnit = g.matMul(dCosines, g.transpose(weightUnit, [1, 0]));
    const dWeightUnit = g.matMul(g.transpose(headUnit, [1, 0]), dCosines);
    // d(u / (|u| + eps)) = du / (|u| + eps) - u (u . du) / (|u| (|u| + eps)^2), along the normalised axis.
    const unitBackward = (u: string, dUnit: string, norm: string, normEps: string, axis: number): string =>
      g.sub(
        g.div(dUnit, normEps),
        g.mul(u, g.div(g.reduceSum(g.mul(u, dUnit), [axis], true), g.mul(norm, g.mul(normEps, normEps)))),
      );
    dHead = g.add(dHead, unitBackward(head, dHeadUnit, headNorm, headNormEps, 1));
    grads.set('head.arcface.weight', unitBackward(arcWeight, dWeightUnit, weightNorm, weightNormEps, 0));
  }
  g.output(g.reduceMean(loss, [0], false), 'loss');

  // Backward through the embedding layer, pooling and the blocks.
  const dEmbedding = g.o('Slice', [dHead, g.ints([0]), g.ints([shape.embeddingDim]), g.ints([1])]);
  grads.set('embedding.weight', g.matMul(g.transpose(features, [1, 0]), dEmbedding));
  grads.set('embedding.bias', g.reduceSum(dEmbedding, [0], false));
  const dFeatures = g.matMul(dEmbedding, g.transpose(embeddingWeight, [1, 0]));
  let dh = g.o('Expand', [
    g.o('Unsqueeze', [g.mul(dFeatures, g.scalar(1 / (size * size))), g.ints([2, 3])]),
    g.o('Shape', [h]),
  ]);
  for (const block of [...blocks].reverse()) {
    const dSum = g.reluGrad(dh, block.out);
    const dMid = convBnBackward(block.conv2, dSum, true, batch)!;
    const dInput = convBnBackward(block.conv1, dMid, true, batch)!;
    const dShortcut = block.downsample ? convBnBackward(block.downsample, dSum, true, batch)! : dSum;
    dh = g.add(dInput, dShortcut);
  }
  // Max pool: each pooled gradient goes to the input position its maximum came from.
  const flat = g.ints([-1]);
  const stemShape = g.o('Shape', [stem.out]);
  const zeros = g.o('Reshape', [g.o('ConstantOfShape', [stemShape]), flat]);
  const dStemFlat = g.o('ScatterElements', [zeros, g.o('Reshape', [poolIndices, flat]), g.o('Reshape', [dh, flat])], {
    axis: 0,
    reduction: 'add',
  });
  convBnBackward(stem, g.o('Reshape', [dStemFlat, stemShape]), false, batch);

  // SGD with Nesterov momentum: g += wd * p (weights); v = mu v + g; p -= lr (g + mu v).
  const momentum = g.scalar(options.momentum);
  for (const { name, dims: paramDims } of options.params) {
    const grad = grads.get(name);
    if (!grad) continue;
    const p = paramInput(name);
    const decayed =
      decays(name) && options.weightDecay > 0 ? g.add(grad, g.mul(p, g.scalar(options.weightDecay))) : grad;
    const velocity = g.add(g.mul(velocityInput(name), momentum), decayed);
    const update = g.add(decayed, g.mul(velocity, momentum));
    g.output(g.sub(p, g.mul(update, 'lr')), paramOutput(name));
    g.output(velocity, velocityOutput(name));
    outputs.push({ name: paramOutput(name), dims: paramDims }, { name: velocityOutput(name), dims: paramDims });
  }

  const classes = shape.numClasses;
  const inputs: OnnxGraph['inputs'] = [
    { name: 'x', dims: ['N', crop, crop, INPUT_CHANNELS] },
    { name: 'cell', dims: ['N', shape.cellTypes.length] },
    { name: 'targetA', dims: ['N', classes] },
    { name: 'targetB', dims: ['N', classes] },
    { name: 'lambda', dims: ['N', 1] },
    { name: 'n', dims: [] },
    { name: 'lr', dims: [] },
    ...options.params.map((p) => ({ name: paramInput(p.name), dims: p.dims })),
    ...options.params.filter((p) => grads.has(p.name)).map((p) => ({ name: velocityInput(p.name), dims: p.dims })),
  ];
  return {
    graph: {
      name: `phenomap-train-${shape.backbone}`,
      nodes: g.nodes,
      initializers: g.initializers,
      inputs,
      outputs,
      opset: 17,
    },
    batchNormAreas,
  };
}
