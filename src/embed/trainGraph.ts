/**
 * One training step of the ResNet models (model.ts) as a single ONNX graph, so that onnxruntime's CPU kernels
 * (MLAS: the fastest convolutions measured here, see ENGINE.md) run training as well as inference.
 * onnxruntime-node ships no training API and no gradient ops, so the graph spells out the backward pass in
 * standard ONNX ops for the few layer kinds these models use (written by hand because no npm package derives
 * ONNX gradient graphs; the whole step is checked against PyTorch autograd on the same weights and batch,
 * test/embed/trainGraph.test.ts with fixtures from scripts/fixtures/embed_gradients.py):
 *
 *   conv   dX and dW by the formulation convPlans.ts picks for the layer's shape (ConvTranspose or a blocked
 *          convolution with the rotated filter; a convolution over the batch or batched GEMMs on strided slices)
 *   batch norm + ReLU (training mode), one pass over the mask and four over the batch-norm terms:
 *          dZ = dOut sign(out);  dY = a dZ + b (Y - mean) + c  with per-channel a = gamma/sigma,
 *          b = -a sum(dZ (Y - mean)) / (M sigma^2), c = -a sum(dZ) / M
 *   max pool  scatter-add of dY at the pooled positions (MaxPool's Indices output)
 *   heads  heads.ts: softmax cross-entropy on mixed targets, ArcFace, the contrastive loss
 *
 * and ends with SGD with Nesterov momentum and weight decay (PyTorch's rule). Inputs: the batch (NCHW images
 * "x" and what heads.ts reads), the learning rate "lr", every parameter and its momentum buffer. Outputs: "loss",
 * the updated parameters and buffers, and each batch-norm layer's batch mean and biased variance.
 */
import { convInputGradient, convWeightGradient, planConv } from './convPlans.js';
import { type ForwardRecord, type ConvRecord, forwardGraph, GraphBuilder } from './graph.js';
import { headsGraph, headInputs, type HeadOptions } from './heads.js';
import { type ConvDef, decays, INPUT_CHANNELS, layoutOf, type ModelShape } from './model.js';
import type { OnnxGraph } from '../codec/onnx.js';

export interface TrainGraphOptions extends HeadOptions {
  shape: ModelShape;
  /** Parameter names and shapes as the model holds them. */
  params: { name: string; dims: number[] }[];
  crop: number;
  momentum: number;
  weightDecay: number;
  /** onnxruntime's NCHWc block size on this machine (0: none; session.ts nchwcBlockSize) and the images per step
   * the graph is built for (null: any number), which decide each convolution's formulation (convPlans.ts). */
  nchwcBlock?: number;
  batch?: number | null;
}

/** Graph input / output names for one parameter. */
export const paramInput = (name: string): string => `param:${name}`;
export const velocityInput = (name: string): string => `velocity:${name}`;
export const paramOutput = (name: string): string => `next:${name}`;
export const velocityOutput = (name: string): string => `nextVelocity:${name}`;
export const bnMeanOutput = (layer: string): string => `bn:${layer}.mean`;
export const bnVarianceOutput = (layer: string): string => `bn:${layer}.variance`;

export interface TrainGraph {
  graph: OnnxGraph;
  /** Output area (height x width) of each batch-norm layer: its statistics cover batch size x area values. */
  batchNormAreas: Map<string, number>;
  /** Inputs to feed with zeros (graph.ts, scratchFeeds). */
  scratch: { name: string; dims: number[] }[];
}

/** Backward through batch norm (+ReLU) and the conv: records the parameter gradients; returns dInput if asked. */
function convBnBackward(
  g: GraphBuilder,
  r: ConvRecord,
  dOut: string,
  inputGradient: boolean,
  batch: string,
  grads: Map<string, string>,
  block: number,
): string | null {
  const dz = r.relu ? g.reluGrad(dOut, r.out) : dOut;
  const axes = [0, 2, 3];
  const centred = g.sub(r.y, r.mean);
  const sumDz = g.reduceSum(dz, axes, true);
  const sumDzCentred = g.reduceSum(g.mul(dz, centred), axes, true);
  grads.set(`${r.bn}.weight`, g.reshape(g.mul(sumDzCentred, r.inv), [-1]));
  grads.set(`${r.bn}.bias`, g.reshape(sumDz, [-1]));
  const a = g.mul(r.gamma, r.inv);
  const perCount = g.div(a, g.mul(batch, g.scalar(r.outSize * r.outSize)));
  const b = g.o('Neg', [g.mul(perCount, g.mul(g.mul(r.inv, r.inv), sumDzCentred))]);
  const c = g.o('Neg', [g.mul(perCount, sumDz)]);
  const dy = g.add(g.add(g.mul(dz, a), g.mul(centred, b)), c);
  grads.set(`${r.conv.name}.weight`, convWeightGradient(g, r.conv, r.input, dy, r, r.plan, block));
  return inputGradient ? convInputGradient(g, r.conv, dy, r.weight, r, r.plan, block) : null;
}

/** Backward from d(pooled features) through the blocks, the max pool and the stem. */
function backboneBackward(
  g: GraphBuilder,
  forward: ForwardRecord,
  dFeatures: string,
  batch: string,
  grads: Map<string, string>,
  block: number,
): void {
  const area = forward.lastSize * forward.lastSize;
  let dh = g.o('Expand', [
    g.o('Unsqueeze', [g.mul(dFeatures, g.scalar(1 / area)), g.ints([2, 3])]),
    g.o('Shape', [forward.lastMap]),
  ]);
  const nchwcBlock = block;
  for (const block of [...forward.blocks].reverse()) {
    const dSum = g.reluGrad(dh, block.out);
    let d = dSum;
    for (const record of [...block.convs].reverse()) d = convBnBackward(g, record, d, true, batch, grads, nchwcBlock)!;
    const dShortcut = block.downsample
      ? convBnBackward(g, block.downsample, dSum, true, batch, grads, nchwcBlock)!
      : dSum;
    dh = g.add(d, dShortcut);
  }
  // Max pool: each pooled gradient goes to the input position its maximum came from.
  const flat = g.ints([-1]);
  const stemShape = g.o('Shape', [forward.stem.out]);
  const zeros = g.o('Reshape', [g.o('ConstantOfShape', [stemShape]), flat]);
  const indices = g.o('Reshape', [forward.poolIndices, flat]);
  const dStem = g.o('ScatterElements', [zeros, indices, g.o('Reshape', [dh, flat])], { axis: 0, reduction: 'add' });
  convBnBackward(g, forward.stem, g.o('Reshape', [dStem, stemShape]), false, batch, grads, nchwcBlock);
}

/** SGD with Nesterov momentum: g += wd * p (weights); v = mu v + g; p -= lr (g + mu v). */
function sgdUpdate(
  g: GraphBuilder,
  options: TrainGraphOptions,
  grads: Map<string, string>,
  outputs: OnnxGraph['outputs'],
): void {
  const momentum = g.scalar(options.momentum);
  for (const { name, dims } of options.params) {
    const grad = grads.get(name);
    if (!grad) continue;
    const p = paramInput(name);
    const decayed =
      decays(name) && options.weightDecay > 0 ? g.add(grad, g.mul(p, g.scalar(options.weightDecay))) : grad;
    const velocity = g.add(g.mul(velocityInput(name), momentum), decayed);
    g.output(g.sub(p, g.mul(g.add(decayed, g.mul(velocity, momentum)), 'lr')), paramOutput(name));
    g.output(velocity, velocityOutput(name));
    outputs.push({ name: paramOutput(name), dims }, { name: velocityOutput(name), dims });
  }
}

/** Builds the training-step graph; see the module comment. */
export function buildTrainGraph(options: TrainGraphOptions): TrainGraph {
  const { shape, crop } = options;
  const g = new GraphBuilder();
  const dims = new Map(options.params.map((p) => [p.name, p.dims]));
  const param = (name: string): string => {
    if (!dims.has(name)) throw new Error(`training graph: parameter "${name}" missing`);
    return paramInput(name);
  };
  const outputs: OnnxGraph['outputs'] = [{ name: 'loss', dims: [] }];
  const block = options.nchwcBlock ?? 0;
  const plans = { plan: (conv: ConvDef, side: number) => planConv(conv, side, block, options.batch ?? null), block };
  const forward = forwardGraph(g, layoutOf(shape.spec), 'x', crop, param, plans);
  const batchNormAreas = new Map<string, number>();
  for (const s of forward.batchStats) {
    g.output(s.mean, bnMeanOutput(s.layer));
    g.output(s.variance, bnVarianceOutput(s.layer));
    const channels = dims.get(`${s.layer}.weight`)![0];
    outputs.push(
      { name: bnMeanOutput(s.layer), dims: [channels] },
      { name: bnVarianceOutput(s.layer), dims: [channels] },
    );
    batchNormAreas.set(s.layer, s.area);
  }
  const batch = g.o('Cast', [g.o('Gather', [g.o('Shape', ['x']), g.ints([0])])], { to: 1 });
  const embedding = g.add(g.matMul(forward.features, param('embedding.weight')), param('embedding.bias'));
  const heads = headsGraph(g, embedding, batch, param, shape, options);
  g.output(heads.loss, 'loss');
  const grads = heads.grads;
  grads.set('embedding.weight', g.matMul(g.transpose(forward.features, [1, 0]), heads.dEmbedding));
  grads.set('embedding.bias', g.reduceSum(heads.dEmbedding, [0], false));
  const dFeatures = g.matMul(heads.dEmbedding, g.transpose(param('embedding.weight'), [1, 0]));
  backboneBackward(g, forward, dFeatures, batch, grads, block);
  sgdUpdate(g, options, grads, outputs);
  const inputs: OnnxGraph['inputs'] = [
    { name: 'x', dims: ['N', INPUT_CHANNELS, crop, crop] },
    ...headInputs(shape, options),
    { name: 'lr', dims: [] },
    ...forward.scratch,
    ...options.params.map((p) => ({ name: paramInput(p.name), dims: p.dims })),
    ...options.params.filter((p) => grads.has(p.name)).map((p) => ({ name: velocityInput(p.name), dims: p.dims })),
  ];
  return {
    graph: g.graph(`phenomap-train-${shape.backbone}`, inputs, outputs),
    batchNormAreas,
    scratch: forward.scratch,
  };
}
