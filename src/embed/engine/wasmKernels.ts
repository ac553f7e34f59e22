/**
 * The convolution gradient kernels that make @tensorflow/tfjs-backend-wasm able to train CNNs.
 *
 * tfjs-backend-wasm 4.22 ships no Conv2DBackpropFilter kernel (conv training throws on it) and a
 * Conv2DBackpropInput written as plain loops (about 4 GFLOPS, against about 40 for its XNNPACK forward conv
 * and matmul). Both gradients are re-expressed here the way Caffe and cuDNN's GEMM path do (Jia 2014,
 * "Caffe: Convolutional Architecture for Fast Feature Embedding"): an im2col / col2im rearrangement in
 * JavaScript around one large matrix product that runs on the backend's own XNNPACK matmul.
 *
 *   dW[kh,kw,ci,co] = sum_m col(x)[m,(kh,kw,ci)] * dy[m,co]       (m = n,oh,ow)  ->  colT(x) @ dy
 *   dx = col2im(dy @ W^T)                                          (stride > 1)
 *   dx = conv2d(dy, flip(W)^T, "full" padding)                     (stride 1: XNNPACK's forward conv)
 *
 * Only NHWC, dilation 1, groups 1 (what tfjs conv2d training produces on this backend) is handled; anything
 * else is refused with an error naming the attribute. MaxPoolGrad is replaced too (the backend's rescans every
 * window per input element). Inputs are read and outputs written in place in the backend's heap.
 */
import * as tf from '@tensorflow/tfjs-core';

type ConvAttrs = {
  strides: number | [number, number];
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  dataFormat: 'NHWC' | 'NCHW';
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
};

function convInfo(
  xShape: [number, number, number, number],
  filterShape: [number, number, number, number],
  attrs: ConvAttrs,
): tf.backend_util.Conv2DInfo {
  if (attrs.dataFormat !== undefined && attrs.dataFormat !== 'NHWC')
    throw new Error(`wasm conv gradient: dataFormat ${attrs.dataFormat} is not supported (expected NHWC)`);
  return tf.backend_util.computeConv2DInfo(
    xShape,
    filterShape,
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
    false,
    'channelsLast',
  );
}

/** The wasm backend's API used here (tfjs-backend-wasm's BackendWasm). */
interface WasmBackend extends tf.KernelBackend {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(info: tf.TensorInfo): Float32Array;
}

/**
 * Transposed im2col into `out` (every element written): row r = (kh*KW + kw)*CI + ci holds, for every output
 * position m = (n, oh, ow), the input value filter tap (kh, kw, ci) sees there (0 in the padding).
 * `xc` is x channel-major: [CI, N, H, W].
 */
export function im2colT(xc: Float32Array, info: tf.backend_util.Conv2DInfo, out: Float32Array): void {
  const {
    batchSize: N,
    inHeight: H,
    inWidth: W,
    inChannels: CI,
    outHeight: OH,
    outWidth: OW,
    filterHeight: KH,
    filterWidth: KW,
    strideHeight: SH,
    strideWidth: SW,
  } = info;
  const top = info.padInfo.top;
  const left = info.padInfo.left;
  const M = N * OH * OW;
  for (let kh = 0; kh < KH; kh++) {
    for (let kw = 0; kw < KW; kw++) {
      // Output columns whose input column iw = ow*SW - left + kw lies inside the image.
      const owStart = Math.min(OW, Math.max(0, Math.ceil((left - kw) / SW)));
      const owEnd = Math.max(owStart, Math.min(OW, Math.floor((W - 1 + left - kw) / SW) + 1));
      for (let ci = 0; ci < CI; ci++) {
        const rowBase = ((kh * KW + kw) * CI + ci) * M;
        for (let n = 0; n < N; n++) {
          const plane = (ci * N + n) * H * W;
          for (let oh = 0; oh < OH; oh++) {
            const dst = rowBase + (n * OH + oh) * OW;
            const ih = oh * SH - top + kh;
            if (ih < 0 || ih >= H) {
              for (let ow = 0; ow < OW; ow++) out[dst + ow] = 0;
              continue;
            }
            const src = plane + ih * W - left + kw;
            for (let ow = 0; ow < owStart; ow++) out[dst + ow] = 0;
            if (SW === 1) for (let ow = owStart; ow < owEnd; ow++) out[dst + ow] = xc[src + ow];
            else for (let ow = owStart; ow < owEnd; ow++) out[dst + ow] = xc[src + ow * SW];
            for (let ow = owEnd; ow < OW; ow++) out[dst + ow] = 0;
          }
        }
      }
    }
  }
}

/**
 * col2im into `dx` (NHWC, every element written): dx[n, oh*SH - top + kh, ow*SW - left + kw, ci] = sum of cols[m,
 * (kh,kw,ci)].
 */
export function col2im(cols: Float32Array, info: tf.backend_util.Conv2DInfo, dx: Float32Array): void {
  const {
    batchSize: N,
    inHeight: H,
    inWidth: W,
    inChannels: CI,
    outHeight: OH,
    outWidth: OW,
    filterHeight: KH,
    filterWidth: KW,
    strideHeight: SH,
    strideWidth: SW,
  } = info;
  const top = info.padInfo.top;
  const left = info.padInfo.left;
  const K = KH * KW * CI;
  dx.fill(0);
  for (let n = 0; n < N; n++) {
    for (let oh = 0; oh < OH; oh++) {
      for (let ow = 0; ow < OW; ow++) {
        const m = (n * OH + oh) * OW + ow;
        for (let kh = 0; kh < KH; kh++) {
          const ih = oh * SH - top + kh;
          if (ih < 0 || ih >= H) continue;
          for (let kw = 0; kw < KW; kw++) {
            const iw = ow * SW - left + kw;
            if (iw < 0 || iw >= W) continue;
            const src = m * K + (kh * KW + kw) * CI;
            const dst = ((n * H + ih) * W + iw) * CI;
            for (let ci = 0; ci < CI; ci++) dx[dst + ci] += cols[src + ci];
          }
        }
      }
    }
  }
}

/** A tensor over fresh backend memory, and a view to fill it (take the view after every other allocation). */
function allocate(backend: WasmBackend, shape: number[]): tf.Tensor {
  return tf.engine().makeTensorFromTensorInfo(backend.makeOutput(shape, 'float32'));
}

/** dW of a conv2d: colT(x) [KH*KW*CI, M] @ dy [M, CO], the product on the backend's matmul. */
export function conv2dBackpropFilter(
  backend: WasmBackend,
  x: tf.Tensor4D,
  dy: tf.Tensor4D,
  filterShape: [number, number, number, number],
  attrs: ConvAttrs,
): tf.Tensor4D {
  const info = convInfo(x.shape, filterShape, attrs);
  const [KH, KW, CI, CO] = filterShape;
  const M = info.batchSize * info.outHeight * info.outWidth;
  return tf.tidy(() => {
    const xc = tf.transpose(x, [3, 0, 1, 2]);
    const cols = allocate(backend, [KH * KW * CI, M]);
    im2colT(backend.typedArrayFromHeap(xc), info, backend.typedArrayFromHeap(cols));
    return tf.reshape(tf.matMul(cols as tf.Tensor2D, tf.reshape(dy, [M, CO])), [KH, KW, CI, CO]) as tf.Tensor4D;
  });
}

/** dx of a conv2d. Stride 1: a forward conv of dy with the flipped, in/out-swapped filter; else col2im(dy @ W^T). */
export function conv2dBackpropInput(
  backend: WasmBackend,
  dy: tf.Tensor4D,
  filter: tf.Tensor4D,
  inputShape: [number, number, number, number],
  attrs: ConvAttrs,
): tf.Tensor4D {
  const info = convInfo(inputShape, filter.shape, attrs);
  const [KH, KW, CI, CO] = filter.shape;
  if (info.strideHeight === 1 && info.strideWidth === 1) {
    const { top, bottom, left, right } = info.padInfo;
    const padding: tf.backend_util.ExplicitPadding = [
      [0, 0],
      [KH - 1 - top, KH - 1 - bottom],
      [KW - 1 - left, KW - 1 - right],
      [0, 0],
    ];
    if (padding.every(([a, b]) => a >= 0 && b >= 0)) {
      return tf.tidy(() => {
        // flipped[kh,kw,co,ci] = filter[KH-1-kh, KW-1-kw, ci, co], written directly (filters are small).
        const flipped = allocate(backend, [KH, KW, CO, CI]);
        const src = backend.typedArrayFromHeap(filter);
        const dst = backend.typedArrayFromHeap(flipped);
        for (let kh = 0; kh < KH; kh++)
          for (let kw = 0; kw < KW; kw++)
            for (let co = 0; co < CO; co++) {
              const d = ((kh * KW + kw) * CO + co) * CI;
              const s = ((KH - 1 - kh) * KW + (KW - 1 - kw)) * CI * CO + co;
              for (let ci = 0; ci < CI; ci++) dst[d + ci] = src[s + ci * CO];
            }
        return tf.conv2d(dy, flipped as tf.Tensor4D, 1, padding);
      });
    }
  }
  const M = info.batchSize * info.outHeight * info.outWidth;
  return tf.tidy(() => {
    const cols = tf.matMul(tf.reshape(dy, [M, CO]), tf.transpose(tf.reshape(filter, [KH * KW * CI, CO])));
    const dx = allocate(backend, inputShape);
    col2im(backend.typedArrayFromHeap(cols), info, backend.typedArrayFromHeap(dx));
    return dx as tf.Tensor4D;
  });
}

/**
 * MaxPoolGrad: each output's gradient goes to the first maximum of its window (the tfjs cpu backend's rule).
 * tfjs-backend-wasm's own kernel is a plain loop that rescans per input; this one scans each window once.
 */
function maxPoolGrad(
  backend: WasmBackend,
  dy: tf.Tensor4D,
  x: tf.Tensor4D,
  attrs: {
    filterSize: number | [number, number];
    strides: number | [number, number];
    pad: ConvAttrs['pad'];
    dimRoundingMode?: 'floor' | 'round' | 'ceil';
  },
): tf.Tensor4D {
  const info = tf.backend_util.computePool2DInfo(
    x.shape,
    attrs.filterSize,
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
  );
  const {
    batchSize: N,
    inHeight: H,
    inWidth: W,
    inChannels: C,
    outHeight: OH,
    outWidth: OW,
    filterHeight: KH,
    filterWidth: KW,
    strideHeight: SH,
    strideWidth: SW,
  } = info;
  const dx = allocate(backend, x.shape);
  const xs = backend.typedArrayFromHeap(x);
  const dys = backend.typedArrayFromHeap(dy);
  const out = backend.typedArrayFromHeap(dx);
  out.fill(0);
  const best = new Float32Array(C);
  const where = new Int32Array(C);
  for (let n = 0; n < N; n++) {
    for (let oh = 0; oh < OH; oh++) {
      for (let ow = 0; ow < OW; ow++) {
        best.fill(-Infinity);
        where.fill(-1);
        for (let kh = 0; kh < KH; kh++) {
          const ih = oh * SH - info.padInfo.top + kh;
          if (ih < 0 || ih >= H) continue;
          for (let kw = 0; kw < KW; kw++) {
            const iw = ow * SW - info.padInfo.left + kw;
            if (iw < 0 || iw >= W) continue;
            const base = ((n * H + ih) * W + iw) * C;
            for (let c = 0; c < C; c++) {
              const v = xs[base + c];
              if (v > best[c]) {
                best[c] = v;
                where[c] = base + c;
              }
            }
          }
        }
        const g = ((n * OH + oh) * OW + ow) * C;
        for (let c = 0; c < C; c++) if (where[c] >= 0) out[where[c]] += dys[g + c];
      }
    }
  }
  return dx as tf.Tensor4D;
}

/** A kernel's output made from a tensor computed with ops: the output shares its storage, the tensor is released. */
function asKernelOutput(backend: tf.KernelBackend, result: tf.Tensor): tf.TensorInfo {
  backend.incRef(result.dataId);
  const info = { dataId: result.dataId, shape: result.shape, dtype: result.dtype };
  result.dispose();
  return info;
}

/** Runs `f` on the kernel inputs as tensors (engine kernels receive Tensors; a bare TensorInfo is wrapped). */
function withTensors<T>(backend: tf.KernelBackend, infos: tf.TensorInfo[], f: (...tensors: tf.Tensor4D[]) => T): T {
  const wrapped: tf.Tensor[] = [];
  const tensors = infos.map((info) => {
    if (info instanceof tf.Tensor) return info as tf.Tensor4D;
    const t = tf.engine().makeTensorFromTensorInfo(info) as tf.Tensor4D;
    wrapped.push(t);
    return t;
  });
  try {
    return f(...tensors);
  } finally {
    // A wrapper shares its input's storage: keep the data alive while the wrapper is released.
    for (const t of wrapped) {
      backend.incRef(t.dataId);
      t.dispose();
    }
  }
}

let registered = false;

/**
 * Registers the two kernels for the 'wasm' backend (replacing its slow Conv2DBackpropInput). Idempotent.
 * Must run after '@tensorflow/tfjs-backend-wasm' has been imported (which registers its own kernels).
 */
export function registerWasmConvGradients(): void {
  if (registered) return;
  registered = true;
  if (tf.getKernel('Conv2DBackpropInput', 'wasm')) tf.unregisterKernel('Conv2DBackpropInput', 'wasm');
  if (tf.getKernel('Conv2DBackpropFilter', 'wasm')) tf.unregisterKernel('Conv2DBackpropFilter', 'wasm');
  if (tf.getKernel('MaxPoolGrad', 'wasm')) tf.unregisterKernel('MaxPoolGrad', 'wasm');
  tf.registerKernel({
    kernelName: 'MaxPoolGrad',
    backendName: 'wasm',
    kernelFunc: ({ inputs, backend: anyBackend, attrs }) => {
      const backend = anyBackend as WasmBackend;
      const a = attrs as unknown as Parameters<typeof maxPoolGrad>[3];
      return withTensors(backend, [inputs.dy as tf.TensorInfo, inputs.input as tf.TensorInfo], (dy, x) =>
        asKernelOutput(backend, maxPoolGrad(backend, dy, x, a)),
      );
    },
  });
  tf.registerKernel({
    kernelName: 'Conv2DBackpropFilter',
    backendName: 'wasm',
    kernelFunc: ({ inputs, backend: anyBackend, attrs }) => {
      const backend = anyBackend as WasmBackend;
      const a = attrs as unknown as ConvAttrs & { filterShape: [number, number, number, number] };
      return withTensors(backend, [inputs.x as tf.TensorInfo, inputs.dy as tf.TensorInfo], (x, dy) =>
        asKernelOutput(backend, conv2dBackpropFilter(backend, x, dy, a.filterShape, a)),
      );
    },
  });
  tf.registerKernel({
    kernelName: 'Conv2DBackpropInput',
    backendName: 'wasm',
    kernelFunc: ({ inputs, backend: anyBackend, attrs }) => {
      const backend = anyBackend as WasmBackend;
      const a = attrs as unknown as ConvAttrs & { inputShape: [number, number, number, number] };
      return withTensors(backend, [inputs.dy as tf.TensorInfo, inputs.filter as tf.TensorInfo], (dy, filter) =>
        asKernelOutput(backend, conv2dBackpropInput(backend, dy, filter, a.inputShape, a)),
      );
    },
  });
}
