/**
 * Two-dimensional PCA projection of a profile table for the embedding view. Features are standardized
 * (z-scored; constant and non-finite columns dropped, missing values set to the column mean) so that features
 * in different units weigh alike. The top components come from a randomized SVD (Halko, Martinsson & Tropp
 * 2011, "Finding structure with randomness", algorithm 4.4 with q = 4 power iterations), which costs
 * O(rows x features) per pass instead of forming the features x features covariance; the small dense
 * factorizations use ml-matrix. Deterministic: fixed seed, each component's sign set so its largest
 * loading is positive.
 */
import { Matrix, QrDecomposition, SingularValueDecomposition } from 'ml-matrix';
import { Rng } from '../util/random.js';
import type { ProfileTable } from '../store/profiles.js';

export interface Projection {
  /** x (component 1) and y (component 2) of each row. */
  x: Float64Array;
  y: Float64Array;
  /** Fraction of the total (standardized) variance each of the two components explains. */
  explained: [number, number];
  /** Feature columns used (finite, non-constant). */
  features: number;
}

export function pca2(
  table: ProfileTable,
  options: { oversample?: number; iterations?: number; seed?: number } = {},
): Projection {
  const n = table.rows;
  const empty: Projection = { x: new Float64Array(n), y: new Float64Array(n), explained: [0, 0], features: 0 };
  if (n < 2) return empty;
  // Standardized, row-major n x p copy of the usable columns.
  const usable: { column: Float32Array; mean: number; sd: number }[] = [];
  let totalVariance = 0;
  for (const column of table.columns) {
    let sum = 0;
    let count = 0;
    for (let i = 0; i < n; i++) {
      if (!Number.isFinite(column[i])) continue;
      sum += column[i];
      count++;
    }
    if (count === 0) continue;
    const mean = sum / count;
    let squares = 0;
    for (let i = 0; i < n; i++) if (Number.isFinite(column[i])) squares += (column[i] - mean) ** 2;
    const sd = Math.sqrt(squares / Math.max(1, n - 1));
    if (!(sd > 1e-12)) continue;
    usable.push({ column, mean, sd });
    totalVariance += squares / Math.max(1, n - 1) / (sd * sd);
  }
  const p = usable.length;
  if (p === 0) return empty;
  const X = new Matrix(n, p);
  usable.forEach(({ column, mean, sd }, j) => {
    for (let i = 0; i < n; i++) X.set(i, j, Number.isFinite(column[i]) ? (column[i] - mean) / sd : 0);
  });
  const k = Math.min(2, p, n);
  const l = Math.min(p, n, k + (options.oversample ?? 8));
  const rng = new Rng(options.seed ?? 12345);
  let Q = new QrDecomposition(
    X.mmul(
      Matrix.from1DArray(
        p,
        l,
        Array.from({ length: p * l }, () => rng.normal()),
      ),
    ),
  ).orthogonalMatrix;
  for (let q = 0; q < (options.iterations ?? 4); q++) {
    const Z = new QrDecomposition(X.transpose().mmul(Q)).orthogonalMatrix;
    Q = new QrDecomposition(X.mmul(Z)).orthogonalMatrix;
  }
  const svd = new SingularValueDecomposition(Q.transpose().mmul(X), { autoTranspose: true });
  const V = svd.rightSingularVectors;
  const x = new Float64Array(n);
  const y = new Float64Array(n);
  const explained: [number, number] = [0, 0];
  for (let c = 0; c < k; c++) {
    let sign = 1;
    let largest = 0;
    for (let j = 0; j < p; j++)
      if (Math.abs(V.get(j, c)) > largest) {
        largest = Math.abs(V.get(j, c));
        sign = Math.sign(V.get(j, c)) || 1;
      }
    const out = c === 0 ? x : y;
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let j = 0; j < p; j++) s += X.get(i, j) * V.get(j, c);
      out[i] = sign * s;
    }
    explained[c] = totalVariance > 0 ? svd.diagonal[c] ** 2 / (n - 1) / totalVariance : 0;
  }
  return { x, y, explained, features: p };
}
