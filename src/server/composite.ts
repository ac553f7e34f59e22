/**
 * Image operations the server adds around src/image: an RGB composite with custom channel colours, box-filter
 * downscaling for thumbnails, and contrast stretching of one channel. Pure functions over typed arrays.
 */
import { CHANNEL_COUNT, type DisplayRange, SITE_SIZE } from '../rxrx1/index.js';
import { compositeRgb } from '../image/rgb.js';
import { PLANE_SIZE } from '../image/site.js';
import { channelHistogram, histogramPercentile } from '../image/stats.js';

export type Rgb = readonly [number, number, number];

export interface CompositeRequest {
  channels: readonly number[];
  ranges?: Readonly<Record<number, DisplayRange>>;
  percentiles?: readonly [number, number];
  /** Colours of the channels they name (the others keep RGB_MAP's). */
  colors?: Readonly<Record<number, Rgb>>;
}

/** The composite of a site tensor: exactly compositeRgb (so `phenomap rgb`), with optional custom colours. */
export function composite(tensor: Uint8Array, request: CompositeRequest): Uint8Array {
  return compositeRgb(tensor, {
    channels: request.channels,
    ranges: request.ranges ?? 'fixed',
    percentiles: request.percentiles,
    colors: request.colors,
  });
}

/**
 * Box-filter downscale by an integer factor: each output pixel is the rounded mean of a factor x factor block
 * (per component). `components` is 1 (gray) or 3 (interleaved RGB).
 */
export function downscale(
  pixels: Uint8Array,
  width: number,
  height: number,
  components: 1 | 3,
  factor: number,
): Uint8Array {
  if (factor === 1) return pixels;
  if (!Number.isInteger(factor) || factor < 1 || width % factor !== 0 || height % factor !== 0)
    throw new Error(`downscale: factor ${factor} must be an integer dividing ${width}x${height}`);
  const outWidth = width / factor;
  const outHeight = height / factor;
  const out = new Uint8Array(outWidth * outHeight * components);
  const sums = new Uint32Array(outWidth * components);
  const area = factor * factor;
  const half = area >> 1;
  for (let oy = 0; oy < outHeight; oy++) {
    sums.fill(0);
    for (let dy = 0; dy < factor; dy++) {
      const rowStart = (oy * factor + dy) * width * components;
      for (let x = 0; x < width; x++) {
        const target = Math.floor(x / factor) * components;
        const source = rowStart + x * components;
        for (let k = 0; k < components; k++) sums[target + k] += pixels[source + k];
      }
    }
    const outStart = oy * outWidth * components;
    for (let i = 0; i < sums.length; i++) out[outStart + i] = Math.floor((sums[i] + half) / area);
  }
  return out;
}

/** One channel plane of a site tensor, optionally contrast-stretched so [lo, hi] percentiles map to 0..255. */
export function channelPlane(tensor: Uint8Array, channel: number, percentiles?: readonly [number, number]): Uint8Array {
  if (tensor.length !== CHANNEL_COUNT * SITE_SIZE * SITE_SIZE)
    throw new Error(`channelPlane: tensor holds ${tensor.length} bytes`);
  const plane = tensor.slice((channel - 1) * PLANE_SIZE, channel * PLANE_SIZE);
  if (!percentiles) return plane;
  const histogram = channelHistogram(tensor, channel);
  const low = histogramPercentile(histogram, percentiles[0]);
  const high = histogramPercentile(histogram, percentiles[1]);
  const table = new Uint8ClampedArray(256);
  for (let v = 0; v < 256; v++) table[v] = high > low ? Math.round(((v - low) / (high - low)) * 255) : 0;
  for (let i = 0; i < plane.length; i++) plane[i] = table[plane[i]];
  return plane;
}
