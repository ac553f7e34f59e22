/**
 * Graphs of a trained model for inference, run by onnxruntime (session.ts):
 *
 * - `exportModelToOnnx`: the backbone and embedding layer with batch norm folded into the convolutions for given
 *   statistics (the running ones, or one experiment's AdaBN statistics) and ReLU after them: input "input"
 *   [N, 6, H, W] (normalised, NCHW; any H, W thanks to global average pooling), output "embedding" [N, width] (the
 *   readout: the embedding layer's output, or pooled features); with `head`, also input "cell" [N, cellTypes] and
 *   output "logits" of the softmax head. The
 *   weights are initializers, so onnxruntime's graph optimiser moves the convolutions to its blocked (NCHWc)
 *   kernels, the fastest CPU path measured (ENGINE.md).
 * - `batchStatsGraph`: the forward pass normalising with each batch's own statistics (graph.ts), whose outputs are
 *   every batch-norm layer's batch mean and biased variance: the statistics pass of AdaBN (infer.ts).
 */
import { forwardGraph, GraphBuilder } from './graph.js';
import { BN_EPSILON, bnName, type ConvDef, INPUT_CHANNELS, layoutOf, type BnStats, type Model } from './model.js';
import type { OnnxGraph } from '../codec/onnx.js';

/** Output names of the statistics graph. */
export const statsMeanOutput = (layer: string): string => `mean:${layer}`;
export const statsVarianceOutput = (layer: string): string => `variance:${layer}`;

function folded(
  g: GraphBuilder,
  model: Model,
  stats: Map<string, BnStats>,
  conv: ConvDef,
  input: string,
  relu: boolean,
): string {
  const bn = bnName(conv);
  const s = stats.get(bn);
  if (!s) throw new Error(`batch norm statistics for layer ${bn} missing`);
  const gamma = model.params.get(`${bn}.weight`)!.data;
  const beta = model.params.get(`${bn}.bias`)!.data;
  const scale = Float32Array.from(gamma, (v, c) => v / Math.sqrt(s.variance[c] + BN_EPSILON));
  const bias = Float32Array.from(beta, (v, c) => v - s.mean[c] * scale[c]);
  const weight = model.params.get(`${conv.name}.weight`)!;
  const perOutput = weight.data.length / conv.outChannels;
  const scaled = Float32Array.from(weight.data, (v, i) => v * scale[Math.floor(i / perOutput)]);
  const out = g.o(
    'Conv',
    [
      input,
      g.initializer({ name: `${conv.name}.weight`, dims: weight.shape, data: scaled }),
      g.initializer({ name: `${conv.name}.bias`, dims: [bias.length], data: bias }),
    ],
    {
      kernel_shape: [conv.kernel, conv.kernel],
      strides: [conv.stride, conv.stride],
      pads: [conv.pad, conv.pad, conv.pad, conv.pad],
    },
  );
  return relu ? g.o('Relu', [out]) : out;
}

/**
 * What an embedding is: the embedding layer's output (the representation the heads were trained on), the pooled
 * features of the last stage under it, or the pooled features of every stage side by side (earlier stages keep
 * generic texture and intensity information that the last ones, shaped by the training classes, may drop).
 */
export type Readout = 'embedding' | 'pooled' | 'multiscale';

/** Width of a readout of `model`. */
export function readoutWidth(model: Model, readout: Readout): number {
  const layout = layoutOf(model.shape.spec);
  if (readout === 'embedding') return model.shape.embeddingDim;
  if (readout === 'pooled') return layout.features;
  return stageOutputs(layout).reduce((sum, block) => sum + block.convs.at(-1)!.outChannels, 0);
}

/** The last block of each stage. */
function stageOutputs(layout: ReturnType<typeof layoutOf>) {
  return layout.blocks.filter(
    (b, i) => i === layout.blocks.length - 1 || layout.blocks[i + 1].name.split('.')[0] !== b.name.split('.')[0],
  );
}

/** See the module comment. */
export function exportModelToOnnx(
  model: Model,
  stats: Map<string, BnStats> = model.bn,
  options: { head?: boolean; readout?: Readout } = {},
): OnnxGraph {
  const readout = options.readout ?? 'embedding';
  const g = new GraphBuilder();
  const layout = layoutOf(model.shape.spec);
  const dense = (name: string) => {
    const t = model.params.get(name)!;
    return g.initializer({ name, dims: t.shape, data: t.data });
  };
  let h = folded(g, model, stats, layout.stem, 'input', true);
  h = g.o('MaxPool', [h], { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] });
  const last = new Set(stageOutputs(layout));
  const pooled: string[] = [];
  const gap = (x: string) => g.o('Flatten', [g.o('GlobalAveragePool', [x])], { axis: 1 });
  for (const block of layout.blocks) {
    const input = h;
    block.convs.forEach((conv, i) => {
      h = folded(g, model, stats, conv, h, i < block.convs.length - 1);
    });
    const shortcut = block.downsample ? folded(g, model, stats, block.downsample, input, false) : input;
    h = g.o('Relu', [g.add(h, shortcut)]);
    if (last.has(block)) pooled.push(gap(h));
  }
  const features = pooled.at(-1)!;
  const embedding = g.o('Gemm', [features, dense('embedding.weight'), dense('embedding.bias')]);
  const readoutValue =
    readout === 'embedding' ? embedding : readout === 'pooled' ? features : g.o('Concat', pooled, { axis: 1 });
  g.output(readoutValue, 'embedding');
  const inputs: OnnxGraph['inputs'] = [{ name: 'input', dims: ['N', INPUT_CHANNELS, 'H', 'W'] }];
  const outputs: OnnxGraph['outputs'] = [{ name: 'embedding', dims: ['N', readoutWidth(model, readout)] }];
  if (options.head) {
    const head = g.o('Concat', [embedding, 'cell'], { axis: 1 });
    g.nodes.push({
      op: 'Gemm',
      inputs: [head, dense('head.softmax.weight'), dense('head.softmax.bias')],
      outputs: ['logits'],
    });
    inputs.push({ name: 'cell', dims: ['N', model.shape.cellTypes.length] });
    outputs.push({ name: 'logits', dims: ['N', model.shape.numClasses] });
  }
  return g.graph(`phenomap-${model.shape.backbone}`, inputs, outputs, 13);
}

/** See the module comment; `size` is the side of the (square) images it will see. */
export function batchStatsGraph(
  model: Model,
  size: number,
): { graph: OnnxGraph; areas: Map<string, number>; scratch: { name: string; dims: number[] }[] } {
  const g = new GraphBuilder();
  const param = (name: string): string => {
    const t = model.params.get(name)!;
    return g.initializer({ name, dims: t.shape, data: t.data });
  };
  const forward = forwardGraph(g, layoutOf(model.shape.spec), 'input', size, param);
  const outputs: OnnxGraph['outputs'] = [];
  const areas = new Map<string, number>();
  for (const s of forward.batchStats) {
    g.output(s.mean, statsMeanOutput(s.layer));
    g.output(s.variance, statsVarianceOutput(s.layer));
    outputs.push({ name: statsMeanOutput(s.layer), dims: ['C'] }, { name: statsVarianceOutput(s.layer), dims: ['C'] });
    areas.set(s.layer, s.area);
  }
  const inputs = [{ name: 'input', dims: ['N', INPUT_CHANNELS, size, size] }, ...forward.scratch];
  const graph = g.graph(`phenomap-${model.shape.backbone}-batch-stats`, inputs, outputs);
  return { graph, areas, scratch: forward.scratch };
}
