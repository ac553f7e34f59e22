/**
 * Per-channel pixel statistics of a site tensor, computed from one 256-bin histogram per channel: exact for
 * uint8, one pass over the pixels, no sorting. Definitions follow numpy (the reference the fixtures come from):
 * np.mean, np.std (population, ddof=0) and np.percentile with its default 'linear' method.
 */
import { ALL_CHANNELS, CHANNEL_COUNT, checkChannels } from '../rxrx1/index.js';

export interface ChannelStats {
  /** 1-based channel number (w1..w6). */
  channel: number;
  mean: number;
  /** Population standard deviation (ddof 0, like np.std). */
  std: number;
  min: number;
  max: number;
  /** np.percentile value keyed by the percentile as written by String(q), e.g. "1", "99.9". */
  percentiles: Record<string, number>;
}

export interface ChannelStatsOptions {
  /** Percentiles in 0..100 (default 1, 25, 50, 75, 99). */
  percentiles?: readonly number[];
  /** 1-based channels to describe (default all six), e.g. the ones an incomplete site has. */
  channels?: readonly number[];
}

const DEFAULT_PERCENTILES: readonly number[] = [1, 25, 50, 75, 99];

/** Pixels per channel plane of a channel-major 6-channel tensor; throws when the length does not divide. */
export function planeSize(tensor: Uint8Array): number {
  if (tensor.length === 0 || tensor.length % CHANNEL_COUNT !== 0)
    throw new Error(`tensor holds ${tensor.length} bytes: expected ${CHANNEL_COUNT} equal channel planes`);
  return tensor.length / CHANNEL_COUNT;
}

/** 256-bin histogram of channel `channel` (1-based) of a channel-major 6-channel uint8 tensor. */
export function channelHistogram(tensor: Uint8Array, channel: number): Uint32Array {
  const size = planeSize(tensor);
  const start = (channel - 1) * size;
  const end = start + size;
  // Four interleaved sub-histograms: runs of equal pixels (background) would otherwise serialize on one
  // counter's load-increment-store; this doubles throughput.
  const parts = new Uint32Array(1024);
  let i = start;
  for (; i + 3 < end; i += 4) {
    parts[tensor[i]]++;
    parts[256 + tensor[i + 1]]++;
    parts[512 + tensor[i + 2]]++;
    parts[768 + tensor[i + 3]]++;
  }
  for (; i < end; i++) parts[tensor[i]]++;
  const histogram = new Uint32Array(256);
  for (let value = 0; value < 256; value++)
    histogram[value] = parts[value] + parts[256 + value] + parts[512 + value] + parts[768 + value];
  return histogram;
}

/** The value at 0-based `rank` of the sorted pixels. */
function valueAtRank(histogram: Uint32Array, rank: number): number {
  let seen = 0;
  for (let value = 0; value < 256; value++) {
    seen += histogram[value];
    if (seen > rank) return value;
  }
  throw new Error(`rank ${rank} is beyond the histogram's ${seen} pixels`);
}

function histogramTotal(histogram: Uint32Array): number {
  let total = 0;
  for (let value = 0; value < 256; value++) total += histogram[value];
  return total;
}

/**
 * np.percentile(pixels, q) (method 'linear', numpy 1.22+) from a 256-bin histogram, replicating numpy's float64
 * operations so results match bit for bit: with i = (n - 1) * (q / 100), a and b the sorted pixels at floor(i)
 * and floor(i) + 1, and g = i - floor(i): a + (b - a) * g when g < 0.5, else b - (b - a) * (1 - g).
 */
export function histogramPercentile(histogram: Uint32Array, q: number): number {
  if (!(q >= 0 && q <= 100)) throw new RangeError(`percentile ${q}: expected a number in 0..100`);
  const total = histogramTotal(histogram);
  if (total === 0) throw new RangeError('percentile of an empty histogram');
  const index = (total - 1) * (q / 100);
  if (index >= total - 1) return valueAtRank(histogram, total - 1);
  const below = Math.floor(index);
  const gamma = index - below;
  const a = valueAtRank(histogram, below);
  const b = valueAtRank(histogram, below + 1);
  const diff = b - a;
  return gamma >= 0.5 ? b - diff * (1 - gamma) : a + diff * gamma;
}

/** Mean, std, min, max and percentiles of each channel of a channel-major 6-channel uint8 tensor. */
export function channelStats(tensor: Uint8Array, options: ChannelStatsOptions = {}): ChannelStats[] {
  const percentiles = options.percentiles ?? DEFAULT_PERCENTILES;
  const channels = options.channels ?? ALL_CHANNELS;
  checkChannels(channels);
  return channels.map((channel) => {
    const histogram = channelHistogram(tensor, channel);
    const n = histogramTotal(histogram);
    let sum = 0;
    let min = -1;
    let max = 0;
    for (let value = 0; value < 256; value++) {
      if (histogram[value] === 0) continue;
      sum += value * histogram[value];
      if (min < 0) min = value;
      max = value;
    }
    // The sum of uint8 pixels is an exact integer in float64 (n < 2^45), so this equals numpy's mean.
    const mean = sum / n;
    let squares = 0;
    for (let value = min; value <= max; value++) squares += histogram[value] * (value - mean) * (value - mean);
    const stats: ChannelStats = { channel, mean, std: Math.sqrt(squares / n), min, max, percentiles: {} };
    for (const q of percentiles) stats.percentiles[String(q)] = histogramPercentile(histogram, q);
    return stats;
  });
}
