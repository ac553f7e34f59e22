/**
 * Inference with a trained model on onnxruntime: batch-norm statistics re-estimated on the target experiment
 * (AdaBN: Li et al. 2016, "Revisiting Batch Normalization For Practical Domain Adaptation"), then embeddings and
 * softmax-head class predictions of whole (downscaled) sites — the network ends in global average pooling, so it
 * takes the full field of view although it was trained on crops.
 */
import { CHANNEL_COUNT } from '../rxrx1/index.js';
import type { ChannelNorm } from './data.js';
import { writeSample } from './data.js';
import { batchStatsGraph, exportModelToOnnx, type Readout, statsMeanOutput, statsVarianceOutput } from './export.js';
import { scratchFeeds } from './graph.js';
import type { BnStats, Model } from './model.js';
import { encodeOnnx } from '../codec/onnx.js';
import { createOrtSession, type SessionOptions } from './session.js';

/** Normalised NCHW input of whole images: [n, 6, size, size]. */
export function wholeImageBatch(
  images: readonly Uint8Array[],
  size: number,
  norms: readonly ChannelNorm[],
): Float32Array {
  const sample = size * size * CHANNEL_COUNT;
  const out = new Float32Array(images.length * sample);
  images.forEach((image, i) => {
    writeSample(image, size, 0, 0, size, 0, norms[i], out, i * sample);
  });
  return out;
}

/**
 * AdaBN statistics from batches of one domain (NCHW images of one side): each batch goes forward normalising with
 * its own statistics, and every layer's mean and variance are pooled over all batches (exact pooled moments, not
 * a running average).
 */
export async function adaptBatchNorm(
  model: Model,
  batches: readonly { x: Float32Array; n: number; size: number }[],
  options: SessionOptions = {},
): Promise<Map<string, BnStats>> {
  if (batches.length === 0) throw new Error('AdaBN: no batches to estimate statistics from');
  const size = batches[0].size;
  const { graph, areas, scratch } = batchStatsGraph(model, size);
  const { ort, session } = await createOrtSession(encodeOnnx(graph), options);
  const acc = new Map<string, { count: number; sum: Float64Array; sq: Float64Array }>();
  try {
    for (const batch of batches) {
      if (batch.size !== size) throw new Error(`AdaBN: batches of sides ${size} and ${batch.size}`);
      const input = new ort.Tensor('float32', batch.x, [batch.n, CHANNEL_COUNT, size, size]);
      const out = await session.run({ input, ...scratchFeeds(ort, scratch) });
      for (const [layer, area] of areas) {
        const mean = out[statsMeanOutput(layer)].data as Float32Array;
        const variance = out[statsVarianceOutput(layer)].data as Float32Array;
        const count = batch.n * area;
        const a = acc.get(layer) ?? { count: 0, sum: new Float64Array(mean.length), sq: new Float64Array(mean.length) };
        for (let c = 0; c < mean.length; c++) {
          a.sum[c] += mean[c] * count;
          a.sq[c] += (variance[c] + mean[c] * mean[c]) * count;
        }
        a.count += count;
        acc.set(layer, a);
      }
    }
  } finally {
    await session.release();
  }
  const stats = new Map<string, BnStats>();
  for (const [layer, a] of acc) {
    const mean = Float32Array.from(a.sum, (s) => s / a.count);
    const variance = Float32Array.from(a.sq, (s, c) => Math.max(s / a.count - mean[c] * mean[c], 0));
    stats.set(layer, { mean, variance });
  }
  return stats;
}

export interface FixedStatsEmbedder {
  /** Embeddings [n, width] (row-major) of a normalised NCHW batch [n, 6, size, size]. */
  embed(x: Float32Array, n: number, size: number): Promise<Float32Array>;
  /** Softmax-head classes of the batch given each image's cell-type index (an embedder made with `head`). */
  predict(x: Float32Array, n: number, size: number, cellTypes: readonly number[]): Promise<Int32Array>;
  close(): Promise<void>;
}

/**
 * Embeds with fixed batch-norm statistics (an experiment's AdaBN statistics, or the running ones): the model
 * exported with the statistics folded in (export.ts) and run by onnxruntime.
 */
export async function fixedStatsEmbedder(
  model: Model,
  stats: Map<string, BnStats>,
  options: SessionOptions & { head?: boolean; readout?: Readout } = {},
): Promise<FixedStatsEmbedder> {
  const graph = exportModelToOnnx(model, stats, { head: options.head, readout: options.readout });
  const { ort, session } = await createOrtSession(encodeOnnx(graph), options);
  const cells = model.shape.cellTypes.length;
  const input = (x: Float32Array, n: number, size: number) =>
    new ort.Tensor('float32', x, [n, CHANNEL_COUNT, size, size]);
  return {
    embed: async (x, n, size) => {
      const feeds: Record<string, import('onnxruntime-node').Tensor> = { input: input(x, n, size) };
      if (options.head) feeds.cell = new ort.Tensor('float32', new Float32Array(n * cells), [n, cells]);
      return Float32Array.from((await session.run(feeds)).embedding.data as Float32Array);
    },
    predict: async (x, n, size, cellTypes) => {
      if (!options.head) throw new Error('predict: the embedder was made without the softmax head');
      const oneHot = new Float32Array(n * cells);
      cellTypes.forEach((t, i) => {
        oneHot[i * cells + t] = 1;
      });
      const out = await session.run({ input: input(x, n, size), cell: new ort.Tensor('float32', oneHot, [n, cells]) });
      const logits = out.logits.data as Float32Array;
      const classes = model.shape.numClasses;
      return Int32Array.from({ length: n }, (_, i) => {
        let best = 0;
        for (let k = 1; k < classes; k++) if (logits[i * classes + k] > logits[i * classes + best]) best = k;
        return best;
      });
    },
    close: () => session.release(),
  };
}
