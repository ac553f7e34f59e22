/**
 * Training-mode batch normalisation (Ioffe & Szegedy 2015), optionally followed by ReLU, as one op with its own
 * gradient (tf.customGrad). Composed from tfjs ops it costs about ten passes over the activations forward and
 * twenty backward on the wasm backend (each broadcast op is a separate slow loop); here it is three passes
 * forward and two backward, in JavaScript over the backend's heap. Other backends use the composed form.
 *
 *   y = gamma * (x - mean) / sqrt(var + eps) + beta            (mean, var over N, H, W; var biased)
 *   dx = gamma / (P sqrt(var + eps)) * (P dy - sum(dy) - xhat sum(dy xhat)),  P = N*H*W
 */
import * as tf from '@tensorflow/tfjs-core';

interface HeapBackend extends tf.KernelBackend {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(info: tf.TensorInfo): Float32Array;
}

export interface BatchStatistics {
  mean: Float32Array;
  /** Biased (population) variance. */
  variance: Float32Array;
  /** Values per channel (N*H*W). */
  count: number;
}

function allocate(backend: HeapBackend, shape: number[]): tf.Tensor {
  return tf.engine().makeTensorFromTensorInfo(backend.makeOutput(shape, 'float32'));
}

/** Per-channel mean and biased variance of an NHWC array viewed as [P, C] (two passes, numerically stable). */
export function channelMoments(x: Float32Array, channels: number): { mean: Float32Array; variance: Float32Array } {
  const P = x.length / channels;
  const sum = new Float64Array(channels);
  for (let p = 0, i = 0; p < P; p++) for (let c = 0; c < channels; c++, i++) sum[c] += x[i];
  const mean = new Float32Array(channels);
  for (let c = 0; c < channels; c++) mean[c] = sum[c] / P;
  const sq = new Float64Array(channels);
  for (let p = 0, i = 0; p < P; p++)
    for (let c = 0; c < channels; c++, i++) {
      const d = x[i] - mean[c];
      sq[c] += d * d;
    }
  const variance = new Float32Array(channels);
  for (let c = 0; c < channels; c++) variance[c] = sq[c] / P;
  return { mean, variance };
}

/**
 * Batch norm on batch statistics (+ ReLU when `relu`), differentiable in x, gamma and beta; `onStats` receives
 * the batch mean and variance. Wasm backend only (see batchNormTrain for the dispatch).
 */
function heapBatchNorm(
  x: tf.Tensor4D,
  gamma: tf.Tensor1D,
  beta: tf.Tensor1D,
  epsilon: number,
  relu: boolean,
  onStats?: (stats: BatchStatistics) => void,
): tf.Tensor4D {
  const backend = tf.backend() as HeapBackend;
  const C = x.shape[3];
  const P = x.size / C;
  const op = tf.customGrad(((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [xIn, gIn, bIn] = args as tf.Tensor[];
    const save = args[3] as tf.GradSaveFunc;
    const y = allocate(backend, x.shape);
    const xs = backend.typedArrayFromHeap(xIn);
    const g = backend.typedArrayFromHeap(gIn);
    const b = backend.typedArrayFromHeap(bIn);
    const { mean, variance } = channelMoments(xs, C);
    onStats?.({ mean, variance, count: P });
    const invStd = new Float32Array(C);
    const scale = new Float32Array(C);
    const shift = new Float32Array(C);
    for (let c = 0; c < C; c++) {
      invStd[c] = 1 / Math.sqrt(variance[c] + epsilon);
      scale[c] = g[c] * invStd[c];
      shift[c] = b[c] - mean[c] * scale[c];
    }
    const ys = backend.typedArrayFromHeap(y);
    for (let p = 0, i = 0; p < P; p++)
      for (let c = 0; c < C; c++, i++) {
        const v = xs[i] * scale[c] + shift[c];
        ys[i] = relu && v < 0 ? 0 : v;
      }
    save([xIn, gIn, bIn]);
    const gradFunc = (dy: tf.Tensor, saved: tf.Tensor[]): tf.Tensor[] => {
      const [xSaved, gSaved, bSaved] = saved;
      const dx = allocate(backend, x.shape);
      const dgamma = allocate(backend, [C]);
      const dbeta = allocate(backend, [C]);
      const xv = backend.typedArrayFromHeap(xSaved);
      const gv = backend.typedArrayFromHeap(gSaved);
      const bv = backend.typedArrayFromHeap(bSaved);
      const dyv = backend.typedArrayFromHeap(dy);
      const dxv = backend.typedArrayFromHeap(dx);
      const sumDy = new Float64Array(C);
      const sumDyXhat = new Float64Array(C);
      // Pass 1: the effective upstream gradient (zero where ReLU clipped) and its two per-channel sums.
      for (let p = 0, i = 0; p < P; p++)
        for (let c = 0; c < C; c++, i++) {
          const xhat = (xv[i] - mean[c]) * invStd[c];
          let d = dyv[i];
          if (relu && xhat * gv[c] + bv[c] <= 0) d = 0;
          sumDy[c] += d;
          sumDyXhat[c] += d * xhat;
        }
      const k1 = new Float32Array(C);
      const k2 = new Float32Array(C);
      const k3 = new Float32Array(C);
      for (let c = 0; c < C; c++) {
        const a = (gv[c] * invStd[c]) / P;
        k1[c] = a * P;
        k2[c] = a * sumDy[c];
        k3[c] = a * sumDyXhat[c] * invStd[c];
      }
      // Pass 2: dx = a (P d - sum(d) - xhat sum(d xhat)), with xhat = (x - mean) invStd.
      for (let p = 0, i = 0; p < P; p++)
        for (let c = 0; c < C; c++, i++) {
          let d = dyv[i];
          const centred = xv[i] - mean[c];
          if (relu && centred * invStd[c] * gv[c] + bv[c] <= 0) d = 0;
          dxv[i] = k1[c] * d - k2[c] - centred * k3[c];
        }
      const dg = backend.typedArrayFromHeap(dgamma);
      const db = backend.typedArrayFromHeap(dbeta);
      for (let c = 0; c < C; c++) {
        dg[c] = sumDyXhat[c];
        db[c] = sumDy[c];
      }
      return [dx, dgamma, dbeta];
    };
    return { value: y, gradFunc };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return op(x, gamma, beta) as tf.Tensor4D;
}

/** The same function composed from tfjs ops, for backends other than wasm. */
function composedBatchNorm(
  x: tf.Tensor4D,
  gamma: tf.Tensor1D,
  beta: tf.Tensor1D,
  epsilon: number,
  relu: boolean,
  onStats?: (stats: BatchStatistics) => void,
): tf.Tensor4D {
  const { mean, variance } = tf.moments(x, [0, 1, 2]);
  if (onStats)
    onStats({
      mean: mean.dataSync() as Float32Array,
      variance: variance.dataSync() as Float32Array,
      count: x.size / x.shape[3],
    });
  const scale = tf.mul(gamma, tf.rsqrt(tf.add(variance, epsilon)));
  const y = tf.add(tf.mul(tf.sub(x, mean), scale), beta) as tf.Tensor4D;
  return relu ? tf.relu(y) : y;
}

/** Training-mode batch norm (+ ReLU), dispatched on the active backend. */
export function batchNormTrain(
  x: tf.Tensor4D,
  gamma: tf.Tensor1D,
  beta: tf.Tensor1D,
  epsilon: number,
  relu: boolean,
  onStats?: (stats: BatchStatistics) => void,
): tf.Tensor4D {
  return tf.getBackend() === 'wasm'
    ? heapBatchNorm(x, gamma, beta, epsilon, relu, onStats)
    : composedBatchNorm(x, gamma, beta, epsilon, relu, onStats);
}
