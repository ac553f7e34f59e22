/**
 * Per-column location and scale: mean and standard deviation by Welford's update (stable for features with a
 * large offset, one pass, non-finite values skipped), scikit-learn StandardScaler's scale (a constant feature
 * gets scale 1) and z-scoring. The same statistics serve row-major matrices and a profile table's
 * column-major features.
 */
import { type Matrix, type Matrix32, matrix } from './matrix.js';

const EPS64 = 2.220446049250313e-16;

export interface ColumnStats {
  /** Mean of the finite values (NaN where there is none). */
  mean: Float64Array;
  /** Variance with `ddof` (NaN where count <= ddof). */
  variance: Float64Array;
  /** Standard deviation with `ddof`, the square root of the variance. */
  std: Float64Array;
  /** Finite values per column. */
  count: Float64Array;
}

export interface StatsOptions {
  /** Rows the statistics are taken over (all when omitted). */
  rows?: ArrayLike<number>;
  /** Delta degrees of freedom of the standard deviation: 0 (population, default) or 1 (sample). */
  ddof?: number;
}

/**
 * Mean and standard deviation of each column of a row-major matrix, or of each of `columns` (column-major
 * features of equal length), over `rows`, skipping non-finite values.
 */
export function columnStats(source: Matrix | readonly ArrayLike<number>[], options: StatsOptions = {}): ColumnStats {
  const columns = Array.isArray(source) ? (source as readonly ArrayLike<number>[]) : null;
  const X = columns ? null : (source as Matrix);
  const p = columns ? columns.length : X!.cols;
  const n = options.rows ? options.rows.length : columns ? (columns[0]?.length ?? 0) : X!.rows;
  const ddof = options.ddof ?? 0;
  const stats: ColumnStats = {
    mean: new Float64Array(p),
    variance: new Float64Array(p),
    std: new Float64Array(p),
    count: new Float64Array(p),
  };
  for (let j = 0; j < p; j++) {
    const m2 = columns
      ? welford(columns[j], 0, 1, options.rows, n, j, stats)
      : welford(X!.data, j, X!.cols, options.rows, n, j, stats);
    const count = stats.count[j];
    if (count === 0) stats.mean[j] = NaN;
    stats.variance[j] = count > ddof ? m2 / (count - ddof) : NaN;
    stats.std[j] = Math.sqrt(stats.variance[j]);
  }
  return stats;
}

/**
 * Welford's update over data[base + stride·row] for the rows (or 0..n-1); writes mean and count of column j into
 * `stats` and returns the sum of squared deviations.
 */
function welford(
  data: ArrayLike<number>,
  base: number,
  stride: number,
  rows: ArrayLike<number> | undefined,
  n: number,
  j: number,
  stats: ColumnStats,
): number {
  let mean = 0;
  let m2 = 0;
  let count = 0;
  for (let r = 0; r < n; r++) {
    const v = data[base + stride * (rows ? rows[r] : r)];
    if (!Number.isFinite(v)) continue;
    count++;
    const d = v - mean;
    mean += d / count;
    m2 += d * (v - mean);
  }
  stats.mean[j] = mean;
  stats.count[j] = count;
  return m2;
}

/**
 * scikit-learn StandardScaler's scale_ from population statistics (ddof 0): the standard deviation, or 1 for a
 * feature that is constant within float64 rounding (its `_is_constant_feature`: var <= n·eps·var +
 * (n·mean·eps)²), so a constant feature is centred but not blown up.
 */
export function scalerScale(stats: ColumnStats): Float64Array {
  return stats.std.map((std, j) => {
    const variance = stats.variance[j];
    const n = stats.count[j];
    const constant = variance <= n * EPS64 * variance + (n * stats.mean[j] * EPS64) ** 2;
    return constant ? 1 : std;
  });
}

export interface StandardizeOptions extends StatsOptions {
  /**
   * 'zero' (default, the evaluation space): a column with std <= 1e-12 (or none) and every non-finite value
   * become 0, so later steps see finite data. 'scaler': scikit-learn StandardScaler (constant columns get
   * scale 1, NaN stays NaN).
   */
  constant?: 'zero' | 'scaler';
}

/** z-scores each column with the statistics of `options.rows` (default all rows): (x - mean) / std, float32. */
export function standardize(X: Matrix, options: StandardizeOptions = {}): Matrix32 {
  const { rows: n, cols: p, data } = X;
  const stats = columnStats(X, options);
  const { mean } = stats;
  const zero = (options.constant ?? 'zero') === 'zero';
  const scale = zero ? stats.std : scalerScale(stats);
  const out = new Float32Array(n * p);
  for (let i = 0; i < n; i++) {
    const o = i * p;
    for (let j = 0; j < p; j++) {
      const s = scale[j];
      const v = (data[o + j] - mean[j]) / s;
      out[o + j] = !zero || (s > 1e-12 && Number.isFinite(v)) ? v : 0;
    }
  }
  return matrix(out, n, p);
}
