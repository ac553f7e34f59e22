/**
 * Per-object colocalization of channel pairs, as CellProfiler's MeasureColocalization (names Correlation_*):
 * - Correlation: Pearson's r of the two channels over the object's pixels (NaN when a channel is constant).
 * - Manders M1 (named Manders_{A}_{B}) and M2 (Manders_{B}_{A}) with CellProfiler's fixed thresholds: a pixel
 *   counts as stained in a channel when it reaches `thresholdPercent` (default 15) % of that channel's maximum in
 *   the object; M1 = sum of A over pixels stained in both / sum of A over pixels stained in A, M2 likewise for B
 *   (Manders et al. 1993). Costes' automatic thresholds are not used: their regression search costs many passes
 *   per object for little gain on 8-bit data.
 * Sums are of integers (raw uint8 values), so exact.
 */

export interface ColocalizationOptions {
  /** Channel pairs as 0-based plane indices into the tensor, with the names used in feature names. */
  pairs: { a: number; b: number; nameA: string; nameB: string }[];
  /** Manders threshold, percent of each channel's maximum within the object (CellProfiler's default 15). */
  thresholdPercent?: number;
}

/** Indices of the labeled pixels (each object's pixels are visited through this list only). */
export function objectPixels(labels: Int32Array, out: Int32Array = new Int32Array(labels.length)): Int32Array {
  let size = 0;
  for (let i = 0; i < labels.length; i++) if (labels[i]) out[size++] = i;
  return out.subarray(0, size);
}

/**
 * Colocalization features of objects 1..count of `labels` in the channel-major uint8 tensor (planes of
 * labels.length pixels); `pixels` from objectPixels. Keys: Correlation_{A}_{B}, Manders_{A}_{B}, Manders_{B}_{A}.
 */
export function measureColocalization(
  labels: Int32Array,
  count: number,
  tensor: Uint8Array,
  pixels: Int32Array,
  options: ColocalizationOptions,
): Record<string, Float64Array> {
  const planeSize = labels.length;
  const fraction = (options.thresholdPercent ?? 15) / 100;
  const planes = [...new Set(options.pairs.flatMap((pair) => [pair.a, pair.b]))];
  // Per channel (not per pair): sums for Pearson, the Manders threshold and the sum above it, and for each pixel a
  // bit saying whether it reaches the threshold, so a pair's pass only adds the cross terms.
  const stained = new Uint8Array(pixels.length);
  const perChannel = new Map<number, { sum: Float64Array; squares: Float64Array; above: Float64Array; bit: number }>();
  const area = new Float64Array(count + 1);
  for (let k = 0; k < pixels.length; k++) area[labels[pixels[k]]]++;
  planes.forEach((plane, index) => {
    const offset = plane * planeSize;
    const max = new Float64Array(count + 1);
    const sum = new Float64Array(count + 1);
    const squares = new Float64Array(count + 1);
    const above = new Float64Array(count + 1);
    for (let k = 0; k < pixels.length; k++) {
      const i = pixels[k];
      const l = labels[i];
      const v = tensor[offset + i];
      if (v > max[l]) max[l] = v;
      sum[l] += v;
      squares[l] += v * v;
    }
    const bit = 1 << index;
    for (let k = 0; k < pixels.length; k++) {
      const i = pixels[k];
      const l = labels[i];
      const v = tensor[offset + i];
      if (v >= fraction * max[l]) {
        above[l] += v;
        stained[k] |= bit;
      }
    }
    perChannel.set(plane, { sum, squares, above, bit });
  });
  const products = new Float64Array(count + 1);
  const aBoth = new Float64Array(count + 1);
  const bBoth = new Float64Array(count + 1);
  const result: Record<string, Float64Array> = {};
  for (const { a, b, nameA, nameB } of options.pairs) {
    products.fill(0);
    aBoth.fill(0);
    bBoth.fill(0);
    const offsetA = a * planeSize;
    const offsetB = b * planeSize;
    const A = perChannel.get(a)!;
    const B = perChannel.get(b)!;
    const both = A.bit | B.bit;
    for (let k = 0; k < pixels.length; k++) {
      const i = pixels[k];
      const l = labels[i];
      const va = tensor[offsetA + i];
      const vb = tensor[offsetB + i];
      products[l] += va * vb;
      if ((stained[k] & both) === both) {
        aBoth[l] += va;
        bBoth[l] += vb;
      }
    }
    const correlation = new Float64Array(count);
    const m1 = new Float64Array(count);
    const m2 = new Float64Array(count);
    for (let l = 1; l <= count; l++) {
      const n = area[l];
      // n * sums of products minus products of sums: exact integers, so no cancellation.
      const cov = n * products[l] - A.sum[l] * B.sum[l];
      const varA = n * A.squares[l] - A.sum[l] * A.sum[l];
      const varB = n * B.squares[l] - B.sum[l] * B.sum[l];
      correlation[l - 1] = varA > 0 && varB > 0 ? cov / Math.sqrt(varA * varB) : NaN;
      m1[l - 1] = A.above[l] > 0 ? aBoth[l] / A.above[l] : NaN;
      m2[l - 1] = B.above[l] > 0 ? bBoth[l] / B.above[l] : NaN;
    }
    result[`Correlation_${nameA}_${nameB}`] = correlation;
    result[`Manders_${nameA}_${nameB}`] = m1;
    result[`Manders_${nameB}_${nameA}`] = m2;
  }
  return result;
}
