/**
 * Gaussian smoothing, separable, as scipy.ndimage.gaussian_filter (which skimage.filters.gaussian wraps):
 * kernel radius int(truncate * sigma + 0.5), weights exp(-x^2 / 2 sigma^2) normalized to sum 1, image edges
 * extended by their nearest pixel (mode 'nearest', skimage's default). Sums run in float64 (JavaScript
 * numbers), so only the stored result is rounded to float32.
 */

export interface GaussianOptions {
  /** Standard deviation in pixels. */
  sigma: number;
  /** Kernel radius in standard deviations (scipy's `truncate`, default 4). */
  truncate?: number;
  /** Factor applied to the input values, e.g. 1/255 to smooth uint8 on skimage's img_as_float scale [0, 1]. */
  scale?: number;
}

/** scipy.ndimage's `_gaussian_kernel1d` (order 0): the half kernel w[0..radius], w[k] = w[-k]. */
export function gaussianKernel(sigma: number, truncate = 4): Float64Array {
  if (!(sigma > 0)) throw new Error(`gaussian: sigma must be > 0, got ${sigma}`);
  const radius = Math.trunc(truncate * sigma + 0.5);
  const half = new Float64Array(radius + 1);
  let sum = 0;
  for (let k = 0; k <= radius; k++) {
    half[k] = Math.exp((-0.5 * k * k) / (sigma * sigma));
    sum += k === 0 ? half[k] : 2 * half[k];
  }
  for (let k = 0; k <= radius; k++) half[k] /= sum;
  return half;
}

/** Reusable buffers for gaussianFilter (one row of float64 and one full plane). */
export class GaussianScratch {
  plane = new Float64Array(0);
  row = new Float64Array(0);
  ensure(width: number, height: number, radius: number): void {
    if (this.plane.length < width * height) this.plane = new Float64Array(width * height);
    if (this.row.length < width + 2 * radius) this.row = new Float64Array(width + 2 * radius);
  }
}

/** Copies a uint8 plane into float32 (the Gaussian's input type, kept to one so its loops stay monomorphic). */
export function toFloat32(plane: Uint8Array, out: Float32Array = new Float32Array(plane.length)): Float32Array {
  for (let i = 0; i < plane.length; i++) out[i] = plane[i];
  return out;
}

/**
 * Smooths a row-major `width` x `height` float32 image into `out` (float32; may not be `image`).
 * First along columns (axis 0), then along rows (axis 1), as scipy orders the axes.
 */
export function gaussianFilter(
  image: Float32Array,
  width: number,
  height: number,
  options: GaussianOptions,
  out: Float32Array = new Float32Array(width * height),
  scratch: GaussianScratch = new GaussianScratch(),
): Float32Array {
  const n = width * height;
  if (image.length < n || out.length < n)
    throw new Error(`gaussian: image and out need ${width}x${height} = ${n} values`);
  const w = gaussianKernel(options.sigma, options.truncate ?? 4);
  const radius = w.length - 1;
  const scale = options.scale ?? 1;
  scratch.ensure(width, height, radius);
  const plane = scratch.plane;
  // Axis 0: each output row is a weighted sum of whole input rows (row indices clamped at the edges),
  // so the inner loop runs along contiguous memory.
  for (let y = 0; y < height; y++) {
    const dst = y * width;
    const w0 = w[0] * scale;
    for (let x = 0; x < width; x++) plane[dst + x] = w0 * image[dst + x];
    for (let k = 1; k <= radius; k++) {
      const wk = w[k] * scale;
      const up = Math.max(y - k, 0) * width;
      const down = (y + k >= height ? height - 1 : y + k) * width;
      for (let x = 0; x < width; x++) plane[dst + x] += wk * (image[up + x] + image[down + x]);
    }
  }
  // Axis 1: each row copied into a padded buffer (edge pixels repeated) so the taps need no bounds checks.
  const row = scratch.row;
  for (let y = 0; y < height; y++) {
    const src = y * width;
    const first = plane[src];
    const last = plane[src + width - 1];
    for (let k = 0; k < radius; k++) {
      row[k] = first;
      row[radius + width + k] = last;
    }
    for (let x = 0; x < width; x++) row[radius + x] = plane[src + x];
    for (let x = 0; x < width; x++) {
      const c = x + radius;
      let acc = w[0] * row[c];
      for (let k = 1; k <= radius; k++) acc += w[k] * (row[c - k] + row[c + k]);
      out[src + x] = acc;
    }
  }
  return out;
}
