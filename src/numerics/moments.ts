/**
 * Second moments in float64 and bounded memory. A row subset of column-major float32 features (a profile
 * table's columns) is gathered in chunks, centred, and its Gram matrix accumulated through the product kernel
 * (no n x n matrix, no full copy), so the cost beyond the input is O(p²) whatever the number of rows.
 */
import { mirrorUpper, syrkUpper } from './gemm.js';
import { type Matrix, type Matrix64, matrix } from './matrix.js';
import { columnStats } from './stats.js';

/** Rows per chunk: a chunk of 1,000 features is 2 MB of float64, small enough to stay in cache while reused. */
export const CHUNK_ROWS = 256;

/**
 * Sample covariance (ddof 1) over `rows` about `mean`, p x p, of column-major features (a profile table's
 * columns) or of the columns of a row-major matrix. Centring before accumulating (rather than subtracting
 * n·μμᵀ afterwards) keeps features with a large mean and a small spread accurate.
 */
export function covariance(
  source: readonly Float32Array[] | Matrix,
  rows: ArrayLike<number>,
  mean: Float64Array,
): Matrix64 {
  const columns = Array.isArray(source) ? (source as readonly Float32Array[]) : null;
  const X = columns ? null : (source as Matrix);
  const p = columns ? columns.length : X!.cols;
  const gram = matrix(new Float64Array(p * p), p, p);
  const buffer = new Float64Array(p * CHUNK_ROWS);
  for (let start = 0; start < rows.length; start += CHUNK_ROWS) {
    const size = Math.min(CHUNK_ROWS, rows.length - start);
    // Feature-major chunk (p x size): each feature's values contiguous, the layout the kernel reads for AᵀA.
    for (let j = 0; j < p; j++) {
      const m = mean[j];
      const base = j * size;
      if (columns) {
        const column = columns[j];
        for (let r = 0; r < size; r++) buffer[base + r] = column[rows[start + r]] - m;
      } else {
        const data = X!.data;
        for (let r = 0; r < size; r++) buffer[base + r] = data[rows[start + r] * p + j] - m;
      }
    }
    syrkUpper(matrix(buffer.subarray(0, p * size), p, size), gram);
  }
  mirrorUpper(gram);
  const denominator = rows.length - 1;
  const g = gram.data;
  for (let i = 0; i < g.length; i++) g[i] /= denominator;
  return gram;
}

/**
 * Means and sample covariance (ddof 1) of the observations held as the columns of a k x m matrix (k variables,
 * m observations); centres `X` in place.
 */
export function denseMoments(X: Matrix64): { mean: Float64Array; cov: Matrix64 } {
  const { rows: k, cols: m, data } = X;
  // Each row of X is one variable's observations: the column layout columnStats reads.
  const variables = Array.from({ length: k }, (_, i) => data.subarray(i * m, (i + 1) * m));
  const { mean } = columnStats(variables);
  variables.forEach((values, i) => {
    for (let r = 0; r < m; r++) values[r] -= mean[i];
  });
  const cov = matrix(new Float64Array(k * k), k, k);
  syrkUpper(X, cov);
  mirrorUpper(cov);
  const c = cov.data;
  for (let i = 0; i < c.length; i++) c[i] /= m - 1;
  return { mean, cov };
}
