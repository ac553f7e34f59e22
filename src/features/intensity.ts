/**
 * Per-object intensity of one uint8 channel, as CellProfiler's MeasureObjectIntensity, on CellProfiler's [0, 1]
 * scale (value / 255):
 * - IntegratedIntensity (sum), MeanIntensity, StdIntensity (population, ddof 0), MinIntensity, MaxIntensity.
 * - LowerQuartileIntensity, MedianIntensity, UpperQuartileIntensity: CellProfiler's rule on the object's sorted
 *   values s[0..n-1]: position q n, linear interpolation between s[floor(q n)] and the next value
 *   (s[floor(q n)] alone when it is the last).
 * - MeanIntensityEdge: mean over the object's edge pixels, those with an 8-neighbour of another label or on the
 *   image border (centrosome.outline, which CellProfiler uses).
 * Sums are exact (integers below 2^53), quantiles come from a 256-bin histogram per object.
 */

export const INTENSITY_FEATURES = [
  'IntegratedIntensity',
  'MeanIntensity',
  'StdIntensity',
  'MinIntensity',
  'MaxIntensity',
  'LowerQuartileIntensity',
  'MedianIntensity',
  'UpperQuartileIntensity',
  'MeanIntensityEdge',
] as const;
export type IntensityFeature = (typeof INTENSITY_FEATURES)[number];

/** Reusable buffers (per-object sums and histograms). */
export class IntensityScratch {
  histogram = new Int32Array(0);
  ensure(count: number): Int32Array {
    if (this.histogram.length < (count + 1) * 256) this.histogram = new Int32Array((count + 1) * 256);
    this.histogram.fill(0, 0, (count + 1) * 256);
    return this.histogram;
  }
}

/**
 * Edge pixels of a label image (centrosome.outline): 1 where an object pixel has an 8-neighbour of another label or
 * lies on the image border.
 */
export function objectEdges(
  labels: Int32Array,
  width: number,
  height: number,
  out: Uint8Array = new Uint8Array(width * height),
): Uint8Array {
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = y * width + x;
      const l = labels[i];
      if (l === 0) {
        out[i] = 0;
        continue;
      }
      if (y === 0 || x === 0 || y === height - 1 || x === width - 1) {
        out[i] = 1;
        continue;
      }
      const above = i - width;
      const below = i + width;
      out[i] =
        labels[above - 1] !== l ||
        labels[above] !== l ||
        labels[above + 1] !== l ||
        labels[i - 1] !== l ||
        labels[i + 1] !== l ||
        labels[below - 1] !== l ||
        labels[below] !== l ||
        labels[below + 1] !== l
          ? 1
          : 0;
    }
  }
  return out;
}

/**
 * CellProfiler's quartiles (q = 1/4, 1/2, 3/4; see the module comment) of n values, in raw units, in one histogram
 * scan.
 */
function quartiles(histogram: Int32Array, base: number, n: number, out: Float64Array): void {
  // Ranks needed, ascending: floor(q n) and the one after it (clamped to n - 1) for each q.
  const ranks = [0, 0, 0, 0, 0, 0];
  const fractions = [0, 0, 0];
  for (let j = 0; j < 3; j++) {
    const position = (n * (j + 1)) / 4;
    const k = Math.floor(position);
    fractions[j] = k < n - 1 ? position - k : 0;
    ranks[2 * j] = k;
    ranks[2 * j + 1] = Math.min(k + 1, n - 1);
  }
  const values = [0, 0, 0, 0, 0, 0];
  let next = 0;
  let seen = 0;
  for (let v = 0; v < 256 && next < 6; v++) {
    seen += histogram[base + v];
    while (next < 6 && ranks[next] < seen) values[next++] = v;
  }
  for (let j = 0; j < 3; j++) out[j] = values[2 * j] * (1 - fractions[j]) + values[2 * j + 1] * fractions[j];
}

/**
 * Intensity features of objects 1..count in `channel` (uint8 plane of the label image's size); `edges` from
 * objectEdges, `pixels` the labeled pixels' indices (objectPixels). Each column holds objects 1..count at indices
 * 0..count-1 (NaN for an empty object).
 */
export function measureIntensity(
  labels: Int32Array,
  count: number,
  channel: Uint8Array,
  edges: Uint8Array,
  pixels: Int32Array,
  scratch: IntensityScratch = new IntensityScratch(),
): Record<IntensityFeature, Float64Array> {
  const histogram = scratch.ensure(count);
  const sum = new Float64Array(count + 1);
  const sumSquares = new Float64Array(count + 1);
  const edgeSum = new Float64Array(count + 1);
  const edgeCount = new Float64Array(count + 1);
  for (let k = 0; k < pixels.length; k++) {
    const i = pixels[k];
    const l = labels[i];
    const v = channel[i];
    sum[l] += v;
    sumSquares[l] += v * v;
    histogram[(l << 8) | v]++;
    if (edges[i]) {
      edgeSum[l] += v;
      edgeCount[l]++;
    }
  }
  const q = new Float64Array(3);
  const result = Object.fromEntries(INTENSITY_FEATURES.map((name) => [name, new Float64Array(count)])) as Record<
    IntensityFeature,
    Float64Array
  >;
  for (let l = 1; l <= count; l++) {
    const o = l - 1;
    const base = l << 8;
    let area = 0;
    let min = -1;
    let max = 0;
    for (let v = 0; v < 256; v++) {
      const c = histogram[base + v];
      if (c === 0) continue;
      if (min < 0) min = v;
      max = v;
      area += c;
    }
    if (area === 0) {
      for (const name of INTENSITY_FEATURES) result[name][o] = NaN;
      continue;
    }
    // n * sum of squares - sum^2 is an exact integer, so the variance has no cancellation error.
    const variance = Math.max(0, area * sumSquares[l] - sum[l] * sum[l]) / (area * area);
    result.IntegratedIntensity[o] = sum[l] / 255;
    result.MeanIntensity[o] = sum[l] / area / 255;
    result.StdIntensity[o] = Math.sqrt(variance) / 255;
    result.MinIntensity[o] = min / 255;
    result.MaxIntensity[o] = max / 255;
    quartiles(histogram, base, area, q);
    result.LowerQuartileIntensity[o] = q[0] / 255;
    result.MedianIntensity[o] = q[1] / 255;
    result.UpperQuartileIntensity[o] = q[2] / 255;
    result.MeanIntensityEdge[o] = edgeCount[l] > 0 ? edgeSum[l] / edgeCount[l] / 255 : NaN;
  }
  return result;
}
