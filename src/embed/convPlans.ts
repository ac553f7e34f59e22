/**
 * How each convolution of a training step is computed: the fastest measured way for its shape on onnxruntime's CPU
 * kernels (bench/cnnKernels.ts measures every candidate; ENGINE.md has the figures). Three formulations of the
 * forward pass and the two gradients, in standard ONNX ops or onnxruntime's blocked-layout ("NCHWc",
 * com.microsoft.nchwc domain) convolutions, which MLAS runs several times faster than its generic path but only
 * on channel counts that are multiples of its block size (16 with AVX-512, 8 with AVX2; none elsewhere):
 *
 * forward   standard Conv, or NCHWc Conv between ReorderInput/ReorderOutput (stride-1 3x3 convs)
 * dX        ConvTranspose(dY, W), or the NCHWc Conv of dY with the rotated, transposed filter (stride 1)
 * dW        "conv": Conv(X^T, dY^T) with N as channels and the stride as dilation (the output is k x k);
 *           "nchwc": the same convolution on NCHWc kernels (the batch must be a multiple of the block);
 *           "slices": per kernel offset, the strided slice of the padded X [N, Ci, hw] times dY^T [N, hw, Co],
 *           summed over N (batched GEMMs with large dimensions);
 *           "patches": every patch at once, [N, Ci k^2, hw], by a depthwise convolution with one-hot filters,
 *           then one batched GEMM (best for big maps and few input channels, e.g. the stem)
 *
 * All formulations compute the same gradients up to float rounding (checked against PyTorch in
 * test/embed/trainGraph.test.ts); a given machine always picks the same ones, so runs stay reproducible there.
 */
import type { GraphBuilder } from './graph.js';
import type { ConvDef } from './model.js';
import type { OnnxAttribute } from '../codec/onnx.js';

export const NCHWC = 'com.microsoft.nchwc';

export interface ConvPlan {
  forward: 'standard' | 'nchwc';
  inputGradient: 'transpose' | 'nchwc';
  weightGradient: 'conv' | 'nchwc' | 'slices' | 'patches';
}

export const STANDARD_PLAN: ConvPlan = { forward: 'standard', inputGradient: 'transpose', weightGradient: 'conv' };

/**
 * The plan for one convolution whose output map is `outSize` square, at NCHWc block size `block` (0: no NCHWc
 * kernels) and `batch` images per step (null: unknown, so no batch-blocked formulation).
 */
export function planConv(conv: ConvDef, outSize: number, block: number, batch: number | null): ConvPlan {
  const blocked = (c: number) => block > 1 && c % block === 0;
  const channels = blocked(conv.inChannels) && blocked(conv.outChannels);
  const area = outSize * outSize;
  const stride1 = conv.stride === 1 && conv.kernel === 3;
  let weightGradient: ConvPlan['weightGradient'] = 'conv';
  if (conv.kernel === 1) weightGradient = 'slices';
  else if (conv.inChannels < 16 || area >= 1024) weightGradient = 'patches';
  else if (area >= 64 || (area >= 16 && conv.stride > 1)) weightGradient = 'slices';
  else if (area >= 16 && blocked(conv.outChannels) && batch !== null && blocked(batch)) weightGradient = 'nchwc';
  return {
    forward: stride1 && channels ? 'nchwc' : 'standard',
    inputGradient: conv.stride === 1 && channels ? 'nchwc' : 'transpose',
    weightGradient,
  };
}

function nchwc(g: GraphBuilder, op: string, inputs: string[], attributes?: Record<string, OnnxAttribute>): string {
  return g.op(op, inputs, attributes, 1, NCHWC)[0];
}

/** OIHW [co, ci, k, k] -> the blocked filter layout MLAS reads (OIHWBiBo, or OIHWBo when ci < block). */
function blockFilter(g: GraphBuilder, w: string, co: number, ci: number, k: number, block: number): string {
  const blocked =
    ci < block
      ? g.transpose(g.reshape(w, [co / block, block, ci, k, k]), [0, 2, 3, 4, 1])
      : g.transpose(g.reshape(w, [co / block, block, ci / block, block, k, k]), [0, 2, 4, 5, 3, 1]);
  return g.reshape(blocked, [co, ci, k, k]);
}

const pads = (p: number) => [p, p, p, p];

/** Forward convolution of NCHW `x` by OIHW `w`. */
export function convForward(
  g: GraphBuilder,
  conv: ConvDef,
  x: string,
  w: string,
  plan: ConvPlan,
  block: number,
): string {
  const attributes = {
    kernel_shape: [conv.kernel, conv.kernel],
    strides: [conv.stride, conv.stride],
    pads: pads(conv.pad),
  };
  if (plan.forward === 'standard') return g.o('Conv', [x, w], attributes);
  const filter = blockFilter(g, w, conv.outChannels, conv.inChannels, conv.kernel, block);
  const y = nchwc(g, 'Conv', [nchwc(g, 'ReorderInput', [x]), filter], attributes);
  return nchwc(g, 'ReorderOutput', [y], { channels: conv.outChannels });
}

/** dX for a convolution of an `inputSize` map with output `outSize`, given dY and the OIHW weight. */
export function convInputGradient(
  g: GraphBuilder,
  conv: ConvDef,
  dy: string,
  w: string,
  sizes: { inputSize: number; outSize: number },
  plan: ConvPlan,
  block: number,
): string {
  const { kernel: k, stride: s, pad: p } = conv;
  if (plan.inputGradient === 'nchwc') {
    // Stride 1: dX is the convolution of dY with the filter flipped in space and transposed (Ci <-> Co).
    const rotated = g.o('Slice', [
      g.transpose(w, [1, 0, 2, 3]),
      g.ints([k - 1, k - 1]),
      g.ints([-k - 1, -k - 1]),
      g.ints([2, 3]),
      g.ints([-1, -1]),
    ]);
    const filter = blockFilter(g, rotated, conv.inChannels, conv.outChannels, k, block);
    const q = k - 1 - p;
    const dx = nchwc(g, 'Conv', [nchwc(g, 'ReorderInput', [dy]), filter], { kernel_shape: [k, k], pads: pads(q) });
    return nchwc(g, 'ReorderOutput', [dx], { channels: conv.inChannels });
  }
  const outputPadding = sizes.inputSize - ((sizes.outSize - 1) * s + k - 2 * p);
  return g.o('ConvTranspose', [dy, w], {
    kernel_shape: [k, k],
    strides: [s, s],
    pads: pads(p),
    output_padding: [outputPadding, outputPadding],
  });
}

/** dW (OIHW) from the conv's NCHW input `x` and dY. */
export function convWeightGradient(
  g: GraphBuilder,
  conv: ConvDef,
  x: string,
  dy: string,
  sizes: { inputSize: number; outSize: number },
  plan: ConvPlan,
  block: number,
): string {
  const { kernel: k, stride: s, pad: p, inChannels: ci, outChannels: co } = conv;
  const { inputSize, outSize: h } = sizes;
  const dyRows = g.reshape(dy, [-1, co, h * h]);
  if (plan.weightGradient === 'patches') {
    // A depthwise convolution whose filters pick one kernel offset each lays out every patch, channel-major.
    const pick = new Float32Array(ci * k * k * k * k);
    for (let c = 0; c < ci; c++) for (let t = 0; t < k * k; t++) pick[(c * k * k + t) * k * k + t] = 1;
    const filter = g.initializer({ name: `patches:${conv.name}`, dims: [ci * k * k, 1, k, k], data: pick });
    const patches = g.o('Conv', [x, filter], { kernel_shape: [k, k], strides: [s, s], pads: pads(p), group: ci });
    const perImage = g.matMul(dyRows, g.transpose(g.reshape(patches, [-1, ci * k * k, h * h]), [0, 2, 1]));
    return g.reshape(g.reduceSum(perImage, [0], false), [co, ci, k, k]);
  }
  if (plan.weightGradient === 'slices') {
    const padded = p > 0 ? g.o('Pad', [x, g.ints([0, 0, p, p, 0, 0, p, p])]) : x;
    const offsets: string[] = [];
    for (let ky = 0; ky < k; ky++)
      for (let kx = 0; kx < k; kx++) {
        const end = [ky + (h - 1) * s + 1, kx + (h - 1) * s + 1];
        const slice = g.o('Slice', [padded, g.ints([ky, kx]), g.ints(end), g.ints([2, 3]), g.ints([s, s])]);
        const perImage = g.matMul(dyRows, g.transpose(g.reshape(slice, [-1, ci, h * h]), [0, 2, 1]));
        offsets.push(g.o('Unsqueeze', [g.reduceSum(perImage, [0], false), g.ints([2])]));
      }
    const stacked = offsets.length > 1 ? g.o('Concat', offsets, { axis: 2 }) : offsets[0];
    return g.reshape(stacked, [co, ci, k, k]);
  }
  const reach = inputSize + 2 * p - (h - 1) * s;
  const attributes = { pads: pads(p), dilations: [s, s] };
  if (plan.weightGradient === 'nchwc') {
    // N becomes the channel axis of both operands, blocked: X^T [Ci, N/B, H, W, B] and dY^T [Co/B, N/B, h, w, B, B].
    const xt = g.reshape(g.transpose(g.reshape(x, [-1, block, ci, inputSize, inputSize]), [2, 0, 3, 4, 1]), [
      ci,
      -1,
      inputSize,
      inputSize,
    ]);
    const filter = g.transpose(g.reshape(dy, [-1, block, co / block, block, h, h]), [2, 0, 4, 5, 1, 3]);
    const out = nchwc(g, 'Conv', [xt, g.reshape(filter, [co, -1, h, h])], { ...attributes, kernel_shape: [h, h] });
    let dw = g.reshape(out, [ci, co / block, reach, reach, block]);
    if (reach > k) dw = g.o('Slice', [dw, g.ints([0, 0]), g.ints([k, k]), g.ints([2, 3])]);
    return g.reshape(g.transpose(dw, [1, 4, 0, 2, 3]), [co, ci, k, k]);
  }
  let dw = g.o('Conv', [g.transpose(x, [1, 0, 2, 3]), g.transpose(dy, [1, 0, 2, 3])], attributes);
  if (reach > k) dw = g.o('Slice', [dw, g.ints([0, 0]), g.ints([k, k]), g.ints([2, 3])]);
  return g.transpose(dw, [1, 0, 2, 3]);
}
