/**
 * Haralick texture per object (Haralick, Shanmugam & Dinstein 1973), as CellProfiler's MeasureTexture computes it
 * through mahotas.features.haralick: gray-level co-occurrence matrices at one distance in 4 directions
 * (0, 45, 90, 135 degrees), symmetric and normalized, the 13 features per direction, then averaged over directions.
 * Gray levels: each object's pixels are rescaled to `levels` levels between the object's own min and max
 * (CellProfiler 2's per-object quantization, default 8 levels), so texture does not mirror brightness.
 * Only pixel pairs with both pixels in the object count. With p(i, j) the normalized matrix, px = py its margins,
 * p+(k) = sum over i + j = k, p-(k) = sum over |i - j| = k, H(.) = -sum p log2 p:
 *   AngularSecondMoment sum p^2; Contrast sum k^2 p-(k); Correlation (sum i j p - ux uy) / (sx sy) (1 when
 *   sx sy = 0, as mahotas); Variance sum (i - ux)^2 p; InverseDifferenceMoment sum p / (1 + (i - j)^2);
 *   SumAverage sum k p+(k); SumVariance sum (k - SumAverage)^2 p+(k); SumEntropy H(p+); Entropy H(p);
 *   DifferenceVariance the variance of p-; DifferenceEntropy H(p-); InfoMeas1 (H(p) - HXY1) / max(HX, HY) with
 *   HXY1 = -sum p log2(px py); InfoMeas2 sqrt(1 - exp(-2 (HXY2 - H(p)))) with HXY2 = HX + HY.
 */

export const TEXTURE_FEATURES = [
  'AngularSecondMoment',
  'Contrast',
  'Correlation',
  'Variance',
  'InverseDifferenceMoment',
  'SumAverage',
  'SumVariance',
  'SumEntropy',
  'Entropy',
  'DifferenceVariance',
  'DifferenceEntropy',
  'InfoMeas1',
  'InfoMeas2',
] as const;
export type TextureFeature = (typeof TEXTURE_FEATURES)[number];

/** Directions (dy, dx) of mahotas, in this order: 0, 45, 90 and 135 degrees (unrolled in measureTexture). */
const DIRECTIONS: readonly [number, number][] = [
  [0, 1],
  [1, 1],
  [1, 0],
  [1, -1],
];

const LOG_TABLE_SIZE = 1 << 16;
/** c log2 c for small integer counts: entropies are sums of such terms, divided by the total. */
const C_LOG2_C = (() => {
  const table = new Float64Array(LOG_TABLE_SIZE);
  for (let c = 1; c < LOG_TABLE_SIZE; c++) table[c] = c * Math.log2(c);
  return table;
})();

function cLog2C(c: number): number {
  return c < LOG_TABLE_SIZE ? C_LOG2_C[c] : c * Math.log2(c);
}

/** H of a distribution given by integer counts summing to total: log2 T - (1/T) sum c log2 c. */
function entropyOf(counts: Float64Array, total: number, logTotal: number): number {
  let s = 0;
  for (let k = 0; k < counts.length; k++) s += cLog2C(counts[k]);
  return logTotal - s / total;
}

/** Reusable buffers. */
export class TextureScratch {
  quantized = new Uint8Array(0);
  counts = new Int32Array(0);
  ensure(pixels: number, cells: number): void {
    if (this.quantized.length < pixels) this.quantized = new Uint8Array(pixels);
    if (this.counts.length < cells) this.counts = new Int32Array(cells);
    this.counts.fill(0, 0, cells);
  }
}

export interface TextureOptions {
  /** Pixel distance of the co-occurrences (CellProfiler's texture scale; default 1). */
  distance?: number;
  /** Gray levels after per-object quantization (default 8). */
  levels?: number;
}

/**
 * The 13 features of one co-occurrence count matrix (levels x levels at `base`, symmetric, integer counts) into
 * out[0..12] in TEXTURE_FEATURES order; `work` holds 5 levels scratch values.
 */
export function haralickFeatures(
  counts: Int32Array,
  base: number,
  levels: number,
  out: Float64Array,
  work: Float64Array,
): void {
  const px = work.subarray(0, levels);
  const plus = work.subarray(levels, 3 * levels);
  const minus = work.subarray(3 * levels, 4 * levels);
  px.fill(0);
  plus.fill(0);
  minus.fill(0);
  let total = 0;
  let asm = 0;
  let ijSum = 0;
  let idm = 0;
  let entropySum = 0;
  for (let i = 0; i < levels; i++) {
    for (let j = 0; j < levels; j++) {
      const c = counts[base + i * levels + j];
      if (c === 0) continue;
      total += c;
      px[i] += c;
      plus[i + j] += c;
      minus[i > j ? i - j : j - i] += c;
      asm += c * c;
      ijSum += i * j * c;
      idm += c / (1 + (i - j) * (i - j));
      entropySum += cLog2C(c);
    }
  }
  if (total === 0) {
    out.fill(NaN, 0, TEXTURE_FEATURES.length);
    return;
  }
  const logTotal = Math.log2(total);
  let ux = 0;
  let ux2 = 0;
  for (let i = 0; i < levels; i++) {
    ux += i * px[i];
    ux2 += i * i * px[i];
  }
  ux /= total;
  const variance = ux2 / total - ux * ux;
  let contrast = 0;
  let minusMean = 0;
  let minusSquares = 0;
  for (let k = 0; k < levels; k++) {
    contrast += k * k * minus[k];
    minusMean += k * minus[k];
    minusSquares += k * k * minus[k];
  }
  contrast /= total;
  minusMean /= total;
  let sumAverage = 0;
  for (let k = 0; k < 2 * levels - 1; k++) sumAverage += k * plus[k];
  sumAverage /= total;
  let sumVariance = 0;
  for (let k = 0; k < 2 * levels - 1; k++) sumVariance += (k - sumAverage) * (k - sumAverage) * plus[k];
  sumVariance /= total;
  const entropy = logTotal - entropySum / total;
  const hx = entropyOf(px, total, logTotal);
  // HXY1 = -sum p(i,j) log2(px(i) py(j)) with py = px (the matrix is symmetric).
  let hxy1 = 0;
  for (let i = 0; i < levels; i++) {
    if (px[i] === 0) continue;
    for (let j = 0; j < levels; j++) {
      const c = counts[base + i * levels + j];
      if (c !== 0) hxy1 += c * (Math.log2(px[i]) + Math.log2(px[j]) - 2 * logTotal);
    }
  }
  hxy1 = -hxy1 / total;
  out[0] = asm / (total * total);
  out[1] = contrast;
  out[2] = variance > 0 ? (ijSum / total - ux * ux) / variance : 1;
  out[3] = variance;
  out[4] = idm / total;
  out[5] = sumAverage;
  out[6] = sumVariance;
  out[7] = entropyOf(plus, total, logTotal);
  out[8] = entropy;
  out[9] = minusSquares / total - minusMean * minusMean;
  out[10] = entropyOf(minus, total, logTotal);
  out[11] = hx > 0 ? (entropy - hxy1) / hx : entropy - hxy1;
  out[12] = Math.sqrt(Math.max(0, 1 - Math.exp(-2 * (2 * hx - entropy))));
}

/**
 * Texture features of objects 1..count in one uint8 channel plane; `pixels` lists the labeled pixel indices
 * (objectPixels). Each column holds objects 1..count at indices 0..count-1 (NaN for objects without pixel pairs).
 */
export function measureTexture(
  labels: Int32Array,
  count: number,
  width: number,
  height: number,
  channel: Uint8Array,
  pixels: Int32Array,
  options: TextureOptions = {},
  scratch: TextureScratch = new TextureScratch(),
): Record<TextureFeature, Float64Array> {
  const distance = options.distance ?? 1;
  const levels = options.levels ?? 8;
  const cellsPerMatrix = levels * levels;
  scratch.ensure(width * height, (count + 1) * DIRECTIONS.length * cellsPerMatrix);
  const { quantized, counts } = scratch;
  // Per-object quantization: level = floor(levels (v - min) / (max - min)), the top value in the last level.
  const min = new Int32Array(count + 1).fill(256);
  const max = new Int32Array(count + 1).fill(-1);
  for (let k = 0; k < pixels.length; k++) {
    const i = pixels[k];
    const l = labels[i];
    const v = channel[i];
    if (v < min[l]) min[l] = v;
    if (v > max[l]) max[l] = v;
  }
  const top = levels - 1;
  for (let k = 0; k < pixels.length; k++) {
    const i = pixels[k];
    const l = labels[i];
    const range = max[l] - min[l];
    const level = range > 0 ? ((levels * (channel[i] - min[l])) / range) | 0 : 0;
    quantized[i] = Math.min(level, top);
  }
  // Pairs (p, p + offset) in the 4 directions; both orders are counted, which makes each matrix symmetric.
  const matrices = DIRECTIONS.length * cellsPerMatrix;
  const right = distance;
  const down = distance * width;
  for (let k = 0; k < pixels.length; k++) {
    const i = pixels[k];
    const l = labels[i];
    const y = (i / width) | 0;
    const x = i - y * width;
    const rowA = quantized[i] * levels;
    const colA = quantized[i];
    const base = l * matrices;
    const hasRight = x + distance < width;
    if (hasRight && labels[i + right] === l) {
      const qb = quantized[i + right];
      counts[base + rowA + qb]++;
      counts[base + qb * levels + colA]++;
    }
    if (y + distance >= height) continue;
    if (hasRight && labels[i + down + right] === l) {
      const qb = quantized[i + down + right];
      counts[base + cellsPerMatrix + rowA + qb]++;
      counts[base + cellsPerMatrix + qb * levels + colA]++;
    }
    if (labels[i + down] === l) {
      const qb = quantized[i + down];
      counts[base + 2 * cellsPerMatrix + rowA + qb]++;
      counts[base + 2 * cellsPerMatrix + qb * levels + colA]++;
    }
    if (x >= distance && labels[i + down - right] === l) {
      const qb = quantized[i + down - right];
      counts[base + 3 * cellsPerMatrix + rowA + qb]++;
      counts[base + 3 * cellsPerMatrix + qb * levels + colA]++;
    }
  }
  const result = Object.fromEntries(TEXTURE_FEATURES.map((name) => [name, new Float64Array(count)])) as Record<
    TextureFeature,
    Float64Array
  >;
  const features = new Float64Array(TEXTURE_FEATURES.length);
  const work = new Float64Array(4 * levels);
  const sums = new Float64Array(TEXTURE_FEATURES.length);
  for (let l = 1; l <= count; l++) {
    let directions = 0;
    sums.fill(0);
    for (let d = 0; d < DIRECTIONS.length; d++) {
      haralickFeatures(counts, (l * DIRECTIONS.length + d) * cellsPerMatrix, levels, features, work);
      if (Number.isNaN(features[0])) continue;
      directions++;
      for (let f = 0; f < features.length; f++) sums[f] += features[f];
    }
    for (let f = 0; f < TEXTURE_FEATURES.length; f++)
      result[TEXTURE_FEATURES[f]][l - 1] = directions > 0 ? sums[f] / directions : NaN;
  }
  return result;
}
