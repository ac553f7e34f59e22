/**
 * RGB composite of a site tensor, byte-for-byte identical to rxrx1-utils `rxrx.io.convert_tensor_to_rgb`
 * (github.com/recursionpharma/rxrx1-utils, rxrx/io.py). For each composited channel with colour rgb and
 * display range [lo, hi], in float64 and in this order:
 *   x = (t / 255) / ((hi - lo) / 255) + lo / 255;  x = min(x, 1);  contribution_k = trunc(x * rgb[k])
 * and the contributions are summed over channels and clipped at 255. Note the reference adds lo / 255 rather
 * than subtracting lo; that only matters for a range with lo > 0, and is kept so that a range here means what
 * it means in an rxrx1-utils rgb_map.
 */
import {
  ALL_CHANNELS,
  CHANNEL_COUNT,
  type ChannelColor,
  checkChannels,
  type DisplayRange,
  RGB_MAP,
  SITE_SIZE,
} from '../rxrx1/index.js';
import { channelHistogram, histogramPercentile } from './stats.js';

export interface CompositeOptions {
  /**
   * 1-based channels to composite (default 1..6). The tensor always holds six planes; this picks which are
   * drawn, like rxrx1-utils' `channels` argument (which there also selects which planes were loaded).
   */
  channels?: readonly number[];
  /** Display ranges: 'fixed' (default) is RGB_MAP's; a record overrides the channels it names. */
  ranges?: Readonly<Record<number, DisplayRange>> | 'fixed';
  /**
   * Per-channel ranges from the image itself instead: [np.percentile(channel, low), np.percentile(channel, high)]
   * (numpy's default 'linear' method). A channel whose two percentiles are equal (a flat channel) contributes
   * nothing, where the reference formula would divide by zero.
   */
  percentiles?: readonly [low: number, high: number];
  /** Colours of the channels they name, instead of RGB_MAP's (components 0..255). */
  colors?: Readonly<Record<number, ChannelColor['rgb']>>;
  /** Plane width and height (default 512 x 512). */
  width?: number;
  height?: number;
}

/**
 * One channel's contribution per pixel value (entry 3v + k for colour component k), by the reference formula:
 * a 256-entry table is exact and turns the per-pixel float work into three lookups.
 */
function contributionTable(rgb: ChannelColor['rgb'], [low, high]: DisplayRange): Uint16Array {
  const table = new Uint16Array(256 * 3);
  if (!(high > low)) return table;
  for (let value = 0; value < 256; value++) {
    let x = value / 255 / ((high - low) / 255) + low / 255;
    if (x > 1) x = 1;
    for (let k = 0; k < 3; k++) table[value * 3 + k] = Math.trunc(x * rgb[k]);
  }
  return table;
}

function displayRanges(tensor: Uint8Array, channels: readonly number[], options: CompositeOptions): DisplayRange[] {
  const { ranges = 'fixed', percentiles } = options;
  if (percentiles) {
    if (ranges !== 'fixed') throw new Error('compositeRgb: give either ranges or percentiles, not both');
    return channels.map((channel) => {
      const histogram = channelHistogram(tensor, channel);
      return [histogramPercentile(histogram, percentiles[0]), histogramPercentile(histogram, percentiles[1])];
    });
  }
  const given = ranges === 'fixed' ? {} : ranges;
  for (const [key, [low, high]] of Object.entries(given)) {
    // lo < 0 or hi <= lo would give negative or infinite terms, which the reference wraps around in uint8.
    if (!(RGB_MAP[Number(key)] && low >= 0 && high > low && Number.isFinite(high))) {
      throw new Error(
        `compositeRgb: range for channel ${key} is [${low}, ${high}], expected channel 1..${CHANNEL_COUNT} and 0 ` +
          `<= low < high`,
      );
    }
  }
  return channels.map((channel) => given[channel] ?? RGB_MAP[channel].range);
}

/** Composites a channel-major 6-channel uint8 tensor into height x width x 3 interleaved RGB bytes. */
export function compositeRgb(tensor: Uint8Array, options: CompositeOptions = {}): Uint8Array {
  const { width = SITE_SIZE, height = SITE_SIZE } = options;
  const pixels = width * height;
  if (tensor.length !== CHANNEL_COUNT * pixels)
    throw new Error(
      `compositeRgb: tensor holds ${tensor.length} bytes, expected ${CHANNEL_COUNT} x ${width} x ${height}`,
    );
  const channels = options.channels ?? ALL_CHANNELS;
  checkChannels(channels);
  const ranges = displayRanges(tensor, channels, options);
  const tables = channels.map((channel, i) =>
    contributionTable(options.colors?.[channel] ?? RGB_MAP[channel].rgb, ranges[i]),
  );
  const planes = Int32Array.from(channels, (channel) => (channel - 1) * pixels);
  const out = new Uint8Array(pixels * 3);
  // Stores into a clamped view saturate at 255, which is the reference's final clip, for free.
  const clamped = new Uint8ClampedArray(out.buffer);
  for (let p = 0, o = 0; p < pixels; p++, o += 3) {
    let r = 0;
    let g = 0;
    let b = 0;
    for (let i = 0; i < tables.length; i++) {
      const table = tables[i];
      const entry = tensor[planes[i] + p] * 3;
      r += table[entry];
      g += table[entry + 1];
      b += table[entry + 2];
    }
    clamped[o] = r;
    clamped[o + 1] = g;
    clamped[o + 2] = b;
  }
  return out;
}
