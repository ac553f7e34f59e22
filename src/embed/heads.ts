/**
 * The training heads of the step graph (trainGraph.ts): their losses and the gradients of those losses with respect
 * to the heads' parameters and to the embedding.
 *
 * - softmax: cross-entropy of [embedding, cell type] -> logits against mixed targets lambda a + (1 - lambda) b
 *   (cutmix / mixup);
 * - ArcFace (Deng et al. 2019): s cos(theta + m) at the target class and s cos(theta) elsewhere, on the
 *   L2-normalised head input and class weights, where theta + m would pass pi cos(theta) - m sin(m) instead (the
 *   reference implementation's rule); the two targets' losses mixed by lambda;
 * - contrastive (SimCLR's NT-Xent, Chen et al. 2020): images 2i and 2i+1 of the batch are two augmented views of
 *   one site; a projection MLP (Linear, ReLU, Linear) maps embeddings to z, and each view must pick its partner
 *   among the other 2n - 1 by the softmax of cos(z_i, z_j) / temperature.
 *
 * Each image's supervised losses are weighted by "weight" [N, 1] (1 / labelled images for a labelled one, 0 for an
 * unlabelled one), the contrastive loss is the mean over all images; the step's loss is the weighted sum.
 */
import type { GraphBuilder } from './graph.js';
import { PROJECTION, type ModelShape } from './model.js';
import type { OnnxGraph } from '../codec/onnx.js';

export interface ArcFaceParams {
  /** Scale s. */
  scale: number;
  /** Additive angular margin m in radians. */
  margin: number;
}

export interface LossWeights {
  softmax: number;
  arcface: number;
  /** Weight of the contrastive loss (0: none; the model then needs no projection head). */
  contrastive: number;
}

export interface HeadOptions {
  arc: ArcFaceParams;
  weights: LossWeights;
  /** Temperature of the contrastive softmax. */
  temperature: number;
}

export interface HeadsResult {
  loss: string;
  dEmbedding: string;
  grads: Map<string, string>;
}

/** The graph inputs the heads read. */
export function headInputs(shape: ModelShape, options: HeadOptions): OnnxGraph['inputs'] {
  const classes = shape.numClasses;
  const inputs: OnnxGraph['inputs'] = [];
  if (options.weights.softmax > 0 || options.weights.arcface > 0)
    inputs.push(
      { name: 'cell', dims: ['N', shape.cellTypes.length] },
      { name: 'targetA', dims: ['N', classes] },
      { name: 'targetB', dims: ['N', classes] },
      { name: 'lambda', dims: ['N', 1] },
      { name: 'weight', dims: ['N', 1] },
    );
  if (options.weights.contrastive > 0) inputs.push({ name: 'positives', dims: ['N', 'N'] });
  return inputs;
}

/** d/du of u / (|u| + eps) along `axis`, given d/d(unit): (dUnit - unit * sum(unit dUnit) |u|/(|u|+eps)) / (|u|+eps). */
function unitBackward(g: GraphBuilder, u: string, dUnit: string, norm: string, normEps: string, axis: number): string {
  return g.sub(
    g.div(dUnit, normEps),
    g.mul(u, g.div(g.reduceSum(g.mul(u, dUnit), [axis], true), g.mul(norm, g.mul(normEps, normEps)))),
  );
}

/** u / (|u| + 1e-12) along `axis`, with the norms kept for the backward pass. */
function unit(g: GraphBuilder, u: string, axis: number): { unit: string; norm: string; normEps: string } {
  const norm = g.o('Sqrt', [g.reduceSum(g.mul(u, u), [axis], true)]);
  const normEps = g.add(norm, g.scalar(1e-12));
  return { unit: g.div(u, normEps), norm, normEps };
}

function crossEntropy(g: GraphBuilder, logits: string, targets: string): { loss: string; logSoftmax: string } {
  const logSoftmax = g.o('LogSoftmax', [logits], { axis: 1 });
  return { loss: g.o('Neg', [g.reduceSum(g.mul(targets, logSoftmax), [1], true)]), logSoftmax };
}

/** ArcFace loss ([N, 1], unweighted per image) and its gradient with respect to the head input. */
function arcface(
  g: GraphBuilder,
  head: string,
  param: (name: string) => string,
  options: HeadOptions,
  grads: Map<string, string>,
): { loss: string; dHead: string } {
  const { margin, scale } = options.arc;
  const weight = param('head.arcface.weight');
  const h = unit(g, head, 1);
  const w = unit(g, weight, 0);
  const cosines = g.matMul(h.unit, w.unit);
  const low = -1 + 1e-7;
  const high = 1 - 1e-7;
  const cos = g.o('Clip', [cosines, g.scalar(low), g.scalar(high)]);
  const sin = g.o('Sqrt', [g.sub(g.scalar(1), g.mul(cos, cos))]);
  const phi = g.sub(g.mul(cos, g.scalar(Math.cos(margin))), g.mul(sin, g.scalar(Math.sin(margin))));
  const keep = g.o('Greater', [g.sub(cos, g.scalar(Math.cos(Math.PI - margin))), g.scalar(0)]);
  const safePhi = g.o('Where', [keep, phi, g.sub(cos, g.scalar(margin * Math.sin(margin)))]);
  const dSafePhi = g.o('Where', [
    keep,
    g.add(g.scalar(Math.cos(margin)), g.mul(g.scalar(Math.sin(margin)), g.div(cos, sin))),
    g.scalar(1),
  ]);
  const weighted = g.mul('weight', g.scalar(options.weights.arcface));
  let dCos = '';
  let loss = '';
  for (const [targets, share] of [
    ['targetA', 'lambda'],
    ['targetB', g.sub(g.scalar(1), 'lambda')],
  ] as const) {
    const logits = g.mul(g.add(cos, g.mul(targets, g.sub(safePhi, cos))), g.scalar(scale));
    const ce = crossEntropy(g, logits, targets);
    loss = loss ? g.add(loss, g.mul(ce.loss, share)) : g.mul(ce.loss, share);
    const dLogits = g.mul(g.sub(g.o('Exp', [ce.logSoftmax]), targets), g.mul(share, weighted));
    // d logits / d cos = s (1 + target (dSafePhi - 1))
    const term = g.mul(
      g.mul(dLogits, g.add(g.scalar(1), g.mul(targets, g.sub(dSafePhi, g.scalar(1))))),
      g.scalar(scale),
    );
    dCos = dCos ? g.add(dCos, term) : term;
  }
  const inRange = g.o('And', [
    g.o('GreaterOrEqual', [cosines, g.scalar(low)]),
    g.o('LessOrEqual', [cosines, g.scalar(high)]),
  ]);
  const dCosines = g.o('Where', [inRange, dCos, g.scalar(0)]);
  const dHeadUnit = g.matMul(dCosines, g.transpose(w.unit, [1, 0]));
  const dWeightUnit = g.matMul(g.transpose(h.unit, [1, 0]), dCosines);
  grads.set('head.arcface.weight', unitBackward(g, weight, dWeightUnit, w.norm, w.normEps, 0));
  return { loss, dHead: unitBackward(g, head, dHeadUnit, h.norm, h.normEps, 1) };
}

/** Softmax + ArcFace on [embedding, cell]: weighted loss (scalar) and d/d embedding. */
function supervised(
  g: GraphBuilder,
  embedding: string,
  param: (name: string) => string,
  shape: ModelShape,
  options: HeadOptions,
  grads: Map<string, string>,
): { loss: string; dEmbedding: string } {
  const head = g.o('Concat', [embedding, 'cell'], { axis: 1 });
  const target = g.add(g.mul('targetA', 'lambda'), g.mul('targetB', g.sub(g.scalar(1), 'lambda')));
  let perImage = '';
  let dHead = '';
  if (options.weights.softmax > 0) {
    const weight = param('head.softmax.weight');
    const logits = g.add(g.matMul(head, weight), param('head.softmax.bias'));
    const ce = crossEntropy(g, logits, target);
    perImage = g.mul(ce.loss, g.scalar(options.weights.softmax));
    const dLogits = g.mul(
      g.sub(g.o('Exp', [ce.logSoftmax]), target),
      g.mul('weight', g.scalar(options.weights.softmax)),
    );
    grads.set('head.softmax.weight', g.matMul(g.transpose(head, [1, 0]), dLogits));
    grads.set('head.softmax.bias', g.reduceSum(dLogits, [0], false));
    dHead = g.matMul(dLogits, g.transpose(weight, [1, 0]));
  }
  if (options.weights.arcface > 0) {
    const arc = arcface(g, head, param, options, grads);
    const weighted = g.mul(arc.loss, g.scalar(options.weights.arcface));
    perImage = perImage ? g.add(perImage, weighted) : weighted;
    dHead = dHead ? g.add(dHead, arc.dHead) : arc.dHead;
  }
  const loss = g.reduceSum(g.mul(perImage, 'weight'), [0, 1], false);
  const dEmbedding = g.o('Slice', [dHead, g.ints([0]), g.ints([shape.embeddingDim]), g.ints([1])]);
  return { loss, dEmbedding };
}

/** NT-Xent over the projected embeddings of view pairs (2i, 2i + 1): mean loss (scalar) and d/d embedding. */
function contrastive(
  g: GraphBuilder,
  embedding: string,
  batch: string,
  param: (name: string) => string,
  options: HeadOptions,
  grads: Map<string, string>,
): { loss: string; dEmbedding: string } {
  const [first, second] = PROJECTION;
  const w1 = param(`${first}.weight`);
  const w2 = param(`${second}.weight`);
  const hidden = g.o('Relu', [g.add(g.matMul(embedding, w1), param(`${first}.bias`))]);
  const projected = g.add(g.matMul(hidden, w2), param(`${second}.bias`));
  const z = unit(g, projected, 1);
  const inverseTemperature = g.scalar(1 / options.temperature);
  // The diagonal (an image with itself) is removed from each row's softmax by a large negative logit.
  const similarity = g.mul(g.matMul(z.unit, g.transpose(z.unit, [1, 0])), inverseTemperature);
  const logits = g.sub(similarity, g.mul(g.o('EyeLike', [similarity]), g.scalar(1e4)));
  // "positives" [N, N]: the one-hot of each image's partner (2i <-> 2i + 1), written with the batch.
  const positives = 'positives';
  const ce = crossEntropy(g, logits, positives);
  const weight = g.mul(g.o('Reciprocal', [batch]), g.scalar(options.weights.contrastive));
  const loss = g.mul(g.reduceSum(ce.loss, [0, 1], false), weight);
  const dLogits = g.mul(g.sub(g.o('Exp', [ce.logSoftmax]), positives), weight);
  const dUnit = g.mul(g.matMul(g.add(dLogits, g.transpose(dLogits, [1, 0])), z.unit), inverseTemperature);
  const dProjected = unitBackward(g, projected, dUnit, z.norm, z.normEps, 1);
  grads.set(`${second}.weight`, g.matMul(g.transpose(hidden, [1, 0]), dProjected));
  grads.set(`${second}.bias`, g.reduceSum(dProjected, [0], false));
  const dHidden = g.reluGrad(g.matMul(dProjected, g.transpose(w2, [1, 0])), hidden);
  grads.set(`${first}.weight`, g.matMul(g.transpose(embedding, [1, 0]), dHidden));
  grads.set(`${first}.bias`, g.reduceSum(dHidden, [0], false));
  return { loss, dEmbedding: g.matMul(dHidden, g.transpose(w1, [1, 0])) };
}

/** The heads' total loss, d/d embedding and the heads' parameter gradients. */
export function headsGraph(
  g: GraphBuilder,
  embedding: string,
  batch: string,
  param: (name: string) => string,
  shape: ModelShape,
  options: HeadOptions,
): HeadsResult {
  const grads = new Map<string, string>();
  const parts: { loss: string; dEmbedding: string }[] = [];
  if (options.weights.softmax > 0 || options.weights.arcface > 0)
    parts.push(supervised(g, embedding, param, shape, options, grads));
  if (options.weights.contrastive > 0) parts.push(contrastive(g, embedding, batch, param, options, grads));
  if (parts.length === 0) throw new Error('training graph: every loss weight is 0');
  const loss = parts.slice(1).reduce((sum, p) => g.add(sum, p.loss), parts[0].loss);
  const dEmbedding = parts.slice(1).reduce((sum, p) => g.add(sum, p.dEmbedding), parts[0].dEmbedding);
  return { loss, dEmbedding, grads };
}
