/**
 * First and second moments of a row subset of column-major float32 features, in float64 and in bounded memory:
 * rows are gathered in chunks, centred, and their Gram matrix accumulated (no n x n matrix, no full copy),
 * so the cost beyond the input is O(p²) whatever the number of rows.
 */
import { gemmNT, mirrorUpper } from './kernels.js';

/** Rows per chunk: a chunk of 1,000 features is 2 MB of float64, small enough to stay in cache while reused. */
export const CHUNK_ROWS = 256;

/** Column means over `rows` (values must be finite). */
export function columnMeans(columns: Float32Array[], rows: Int32Array): Float64Array {
  const means = new Float64Array(columns.length);
  columns.forEach((column, j) => {
    let sum = 0;
    for (let r = 0; r < rows.length; r++) sum += column[rows[r]];
    means[j] = sum / rows.length;
  });
  return means;
}

/**
 * Sample covariance (ddof 1) of the columns over `rows` about `mean`, as a row-major p x p Float64Array.
 * Centring before accumulating (rather than subtracting n·μμᵀ afterwards) keeps features with a large mean
 * and a small spread accurate.
 */
export function covariance(columns: Float32Array[], rows: Int32Array, mean: Float64Array): Float64Array {
  const p = columns.length;
  const gram = new Float64Array(p * p);
  const chunk = new Float64Array(p * CHUNK_ROWS);
  for (let start = 0; start < rows.length; start += CHUNK_ROWS) {
    const size = Math.min(CHUNK_ROWS, rows.length - start);
    // Feature-major chunk (p x size): each feature's values contiguous, the layout gemmNT reads for AᵀA.
    for (let j = 0; j < p; j++) {
      const column = columns[j];
      const m = mean[j];
      const base = j * size;
      for (let r = 0; r < size; r++) chunk[base + r] = column[rows[start + r]] - m;
    }
    gemmNT(p, p, size, chunk, chunk, gram, true);
  }
  mirrorUpper(p, gram);
  const denominator = rows.length - 1;
  for (let i = 0; i < gram.length; i++) gram[i] /= denominator;
  return gram;
}

/** Means and sample covariance (ddof 1) of the m observations in a k x m row-major matrix (centred in place). */
export function denseMoments(k: number, m: number, X: Float64Array): { mean: Float64Array; cov: Float64Array } {
  const mean = new Float64Array(k);
  for (let i = 0; i < k; i++) {
    let sum = 0;
    for (let r = 0; r < m; r++) sum += X[i * m + r];
    mean[i] = sum / m;
    for (let r = 0; r < m; r++) X[i * m + r] -= mean[i];
  }
  const cov = new Float64Array(k * k);
  gemmNT(k, k, m, X, X, cov, true);
  mirrorUpper(k, cov);
  for (let i = 0; i < cov.length; i++) cov[i] /= m - 1;
  return { mean, cov };
}
