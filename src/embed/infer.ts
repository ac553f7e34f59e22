/**
 * Inference with a trained model: batch-norm statistics re-estimated on the target experiment (AdaBN: Li et al.
 * 2016, "Revisiting Batch Normalization For Practical Domain Adaptation"), embeddings and class predictions
 * of whole (downscaled) sites — the network ends in global average pooling, so it takes the full field of view
 * although it was trained on crops.
 */
import { CHANNEL_COUNT } from '../rxrx1/index.js';
import { tf } from './engine/index.js';
import type { ChannelNorm } from './data.js';
import { writeSample } from './data.js';
import { embed, embedFolded, headInput, softmaxLogits, type BnStats, type Model } from './model.js';
import { OnnxModel } from './onnx.js';
import { encodeOnnx, exportModelToOnnx } from './onnxWriter.js';

/** Normalised NHWC input of whole images: [n, size, size, 6]. */
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
 * AdaBN statistics from batches of one domain: each batch goes forward normalising with its own statistics,
 * and every layer's mean and variance are pooled over all batches (exact pooled moments, not a running average).
 */
export function adaptBatchNorm(
  model: Model,
  batches: Iterable<{ x: Float32Array; n: number; size: number }>,
): Map<string, BnStats> {
  const acc = new Map<string, { count: number; sum: Float64Array; sq: Float64Array }>();
  for (const batch of batches) {
    tf.tidy(() => {
      embed(model, tf.tensor4d(batch.x, [batch.n, batch.size, batch.size, CHANNEL_COUNT]), {
        kind: 'batch',
        record: (layer, stats) => {
          const a = acc.get(layer) ?? {
            count: 0,
            sum: new Float64Array(stats.mean.length),
            sq: new Float64Array(stats.mean.length),
          };
          for (let c = 0; c < stats.mean.length; c++) {
            a.sum[c] += stats.mean[c] * stats.count;
            a.sq[c] += (stats.variance[c] + stats.mean[c] * stats.mean[c]) * stats.count;
          }
          a.count += stats.count;
          acc.set(layer, a);
        },
      });
    });
  }
  if (acc.size === 0) throw new Error('AdaBN: no batches to estimate statistics from');
  const out = new Map<string, BnStats>();
  for (const [layer, a] of acc) {
    const mean = Float32Array.from(a.sum, (s) => s / a.count);
    const variance = Float32Array.from(a.sq, (s, c) => Math.max(s / a.count - mean[c] * mean[c], 0));
    out.set(layer, { mean, variance });
  }
  return out;
}

/** Embeddings [n, embeddingDim] (row-major) with fixed batch-norm statistics. */
export function embedImages(
  model: Model,
  x: Float32Array,
  n: number,
  size: number,
  stats: Map<string, BnStats>,
): Float32Array {
  const out = tf.tidy(() => embedFolded(model, tf.tensor4d(x, [n, size, size, CHANNEL_COUNT]), stats));
  const values = out.dataSync() as Float32Array;
  out.dispose();
  return Float32Array.from(values);
}

export interface FixedStatsEmbedder {
  /** Embeddings [n, embeddingDim] (row-major) of a normalised NHWC batch [n, size, size, 6]. */
  embed(x: Float32Array, n: number, size: number): Promise<Float32Array>;
  close(): Promise<void>;
}

/**
 * Embeds with fixed batch-norm statistics (an experiment's AdaBN statistics, or the running ones). With
 * `onnxruntime`, the model is exported with the statistics folded in and run by onnxruntime-node (about 5x
 * tfjs-wasm on a CPU, see ENGINE.md); otherwise on the tfjs backend in use (webgpu on a GPU).
 */
export async function fixedStatsEmbedder(
  model: Model,
  stats: Map<string, BnStats>,
  onnxruntime: boolean,
  threads?: number,
): Promise<FixedStatsEmbedder> {
  if (!onnxruntime)
    return { embed: async (x, n, size) => embedImages(model, x, n, size, stats), close: async () => {} };
  const session = await OnnxModel.load(encodeOnnx(exportModelToOnnx(model, stats, { layout: 'NHWC' })), { threads });
  return {
    embed: async (x, n, size) => (await session.run(x, [n, size, size, CHANNEL_COUNT])).values,
    close: () => session.close(),
  };
}

/** Softmax-head class predictions of embeddings [n, d] given each row's cell type index. */
export function predictClasses(
  model: Model,
  embeddings: Float32Array,
  n: number,
  cellTypes: readonly number[],
): Int32Array {
  const out = tf.tidy(() => {
    const e = tf.tensor2d(embeddings, [n, model.shape.embeddingDim]);
    const oneHot = tf.oneHot(
      tf.tensor1d(Int32Array.from(cellTypes), 'int32'),
      model.shape.cellTypes.length,
    ) as tf.Tensor2D;
    return tf.argMax(softmaxLogits(model, headInput(e, tf.cast(oneHot, 'float32') as tf.Tensor2D)), 1);
  });
  const values = Int32Array.from(out.dataSync());
  out.dispose();
  return values;
}
