/**
 * Per-feature location and scale of a subset of rows, in float64: mean and standard deviation as
 * scikit-learn's StandardScaler, median and scaled MAD as pycytominer's RobustMAD (scipy median_abs_deviation).
 * Missing values (NaN) are skipped, as both tools do when fitting.
 */

const EPS64 = 2.220446049250313e-16;

export interface LocationScale {
  /** Mean or median. */
  center: number;
  /** Standard deviation or 1.4826 x MAD; 1 for a constant feature in the standard case (see standardScale). */
  scale: number;
  /** Non-missing values used. */
  count: number;
}

/**
 * Mean and population standard deviation (ddof 0) of `column` at `rows`, two-pass for accuracy. A feature that
 * is constant within float64 rounding gets scale 1, as StandardScaler's `_is_constant_feature` decides
 * (var <= n·eps·var + (n·mean·eps)²), so it is centred but not blown up.
 */
export function standardScale(column: Float32Array, rows: Int32Array): LocationScale {
  let sum = 0;
  let count = 0;
  for (let r = 0; r < rows.length; r++) {
    const v = column[rows[r]];
    if (!Number.isNaN(v)) {
      sum += v;
      count++;
    }
  }
  const mean = count > 0 ? sum / count : NaN;
  let squares = 0;
  for (let r = 0; r < rows.length; r++) {
    const v = column[rows[r]];
    if (!Number.isNaN(v)) squares += (v - mean) * (v - mean);
  }
  const variance = squares / count;
  const constant = variance <= count * EPS64 * variance + (count * mean * EPS64) ** 2;
  return { center: mean, scale: constant ? 1 : Math.sqrt(variance), count };
}

/** Scale factor that makes the MAD a consistent estimator of the standard deviation of normal data. */
export const MAD_NORMAL_SCALE = 1.4826;

/**
 * Median and 1.4826 x median absolute deviation of `column` at `rows` (pycytominer RobustMAD: scipy
 * median_abs_deviation with scale=1/1.4826, nan_policy="omit"). `scratch` must hold `rows.length` values.
 */
export function medianMad(column: Float32Array, rows: Int32Array, scratch: Float64Array): LocationScale {
  let count = 0;
  for (let r = 0; r < rows.length; r++) {
    const v = column[rows[r]];
    if (!Number.isNaN(v)) scratch[count++] = v;
  }
  const center = median(scratch, count);
  for (let r = 0; r < count; r++) scratch[r] = Math.abs(scratch[r] - center);
  return { center, scale: MAD_NORMAL_SCALE * median(scratch, count), count };
}

/** Median of the first `n` values (the mean of the two middle ones when n is even, as numpy); reorders them. */
export function median(values: Float64Array, n: number): number {
  if (n === 0) return NaN;
  const k = (n - 1) >> 1;
  const lower = selectKth(values, n, k);
  if (n % 2 === 1) return lower;
  // After selection everything right of k is >= values[k]; the next order statistic is their minimum.
  let upper = Infinity;
  for (let i = k + 1; i < n; i++) if (values[i] < upper) upper = values[i];
  return (lower + upper) / 2;
}

/** k-th smallest of the first n values (Hoare's quickselect, median-of-three pivots), partially sorting them. */
function selectKth(a: Float64Array, n: number, k: number): number {
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
