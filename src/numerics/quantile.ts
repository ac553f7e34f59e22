/**
 * Order statistics: selection (Hoare's quickselect), the median as numpy defines it (the mean of the two middle
 * values of an even count), quantiles with numpy's default linear interpolation, and the median absolute
 * deviation as pycytominer's RobustMAD uses it.
 */

/** k-th smallest (0-based) of the first n values (quickselect, median-of-three pivots); partially reorders them. */
export function selectKth(a: Float64Array, n: number, k: number): number {
  let lo = 0;
  let hi = n - 1;
  while (hi > lo) {
    const mid = (lo + hi) >> 1;
    // Median of three as pivot keeps sorted and constant runs from degrading to quadratic time.
    if (a[mid] < a[lo]) swap(a, mid, lo);
    if (a[hi] < a[lo]) swap(a, hi, lo);
    if (a[hi] < a[mid]) swap(a, hi, mid);
    const pivot = a[mid];
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i] < pivot) i++;
      while (a[j] > pivot) j--;
      if (i <= j) {
        swap(a, i, j);
        i++;
        j--;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return a[k];
  }
  return a[k];
}

function swap(a: Float64Array, i: number, j: number): void {
  const t = a[i];
  a[i] = a[j];
  a[j] = t;
}

/**
 * Median of the first `n` values of a scratch buffer (the mean of the two middle ones when n is even, as
 * numpy); reorders them, allocates nothing. NaN when n is 0.
 */
export function medianInPlace(values: Float64Array, n: number): number {
  if (n === 0) return NaN;
  const k = (n - 1) >> 1;
  const lower = selectKth(values, n, k);
  if (n % 2 === 1) return lower;
  // After selection everything right of k is >= values[k]; the next order statistic is their minimum.
  let upper = Infinity;
  for (let i = k + 1; i < n; i++) if (values[i] < upper) upper = values[i];
  return (lower + upper) / 2;
}

/** The finite values of `values`, copied into a new Float64Array. */
function finiteCopy(values: ArrayLike<number>): Float64Array {
  const out = new Float64Array(values.length);
  let n = 0;
  for (let i = 0; i < values.length; i++) if (Number.isFinite(values[i])) out[n++] = values[i];
  return out.subarray(0, n);
}

/** Median of the finite values (NaN when there is none); the input is not modified. */
export function median(values: ArrayLike<number>): number {
  const finite = finiteCopy(values);
  return medianInPlace(finite, finite.length);
}

/**
 * The q-quantile (0 <= q <= 1) of ascending `sorted` values by linear interpolation between order statistics
 * (numpy.quantile's default 'linear' method); NaN when empty.
 */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) return NaN;
  const position = (sorted.length - 1) * q;
  const lo = Math.floor(position);
  const hi = Math.ceil(position);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (position - lo);
}

/** The q-quantile of the finite values (numpy.quantile, linear); the input is not modified. */
export function quantile(values: ArrayLike<number>, q: number): number {
  return quantileSorted(finiteCopy(values).sort(), q);
}

/** Scale factor that makes the MAD a consistent estimator of the standard deviation of normal data. */
export const MAD_NORMAL_SCALE = 1.4826;

/**
 * Median and 1.4826 x median absolute deviation of `column` at `rows`, NaN skipped (pycytominer RobustMAD:
 * scipy median_abs_deviation with scale=1/1.4826, nan_policy="omit"). `scratch` must hold `rows.length`
 * values; nothing is allocated.
 */
export function medianMad(
  column: ArrayLike<number>,
  rows: ArrayLike<number>,
  scratch: Float64Array,
): { median: number; mad: number; count: number } {
  let count = 0;
  for (let r = 0; r < rows.length; r++) {
    const v = column[rows[r]];
    if (!Number.isNaN(v)) scratch[count++] = v;
  }
  const center = medianInPlace(scratch, count);
  for (let r = 0; r < count; r++) scratch[r] = Math.abs(scratch[r] - center);
  return { median: center, mad: MAD_NORMAL_SCALE * medianInPlace(scratch, count), count };
}
