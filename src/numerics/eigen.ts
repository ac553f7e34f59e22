/**
 * Symmetric eigendecomposition of p x p matrices (Householder tridiagonalisation + QL, the EISPACK tred2/tql2
 * pair: tridiagonal.ts) and the matrix functions built on it: f(S) = V·diag(f(λ))·Vᵀ (one product through the
 * GEMM kernel), S^power for a symmetric positive definite S (±1/2 by Newton–Schulz where it converges).
 */
import { gemmNT } from './gemm.js';
import { assertShape, type Matrix64, matrix } from './matrix.js';
import { newtonSchulzSqrt } from './newtonSchulz.js';
import { symmetricEigenInPlace } from './tridiagonal.js';

/**
 * Eigenvalues of a covariance below this fraction of the largest count as zero (the rows are not full rank;
 * whitening would divide by noise). Float32 features cannot resolve a smaller ratio ((6e-8)² ≈ 4e-15).
 */
export const RANK_TOLERANCE = 1e-12;

export interface SymmetricEigen {
  /** Eigenvalues, descending. */
  values: Float64Array;
  /**
   * Eigenvectors as the rows of a p x p matrix (row i belongs to values[i]), each signed so that its
   * largest-magnitude entry (the first such) is positive: scikit-learn's svd_flip convention, so PCA outputs
   * are reproducible.
   */
  vectors: Matrix64;
}

export function symmetricEigen(S: Matrix64): SymmetricEigen {
  const p = S.rows;
  assertShape(S, p, p, 'symmetricEigen');
  const s = S.data;
  // The solver reads the upper triangle: symmetrise it, since accumulated products can differ in the last bit
  // across the diagonal.
  const work = new Float64Array(p * p);
  for (let i = 0; i < p; i++) for (let j = i; j < p; j++) work[i * p + j] = (s[i * p + j] + s[j * p + i]) / 2;
  const ascending = new Float64Array(p);
  symmetricEigenInPlace(p, work, ascending);
  const values = new Float64Array(p);
  const vectors = new Float64Array(p * p);
  for (let i = 0; i < p; i++) {
    const source = p - 1 - i;
    values[i] = ascending[source];
    const v = vectors.subarray(i * p, (i + 1) * p);
    v.set(work.subarray(source * p, (source + 1) * p));
    flipSign(v);
  }
  return { values, vectors: matrix(vectors, p, p) };
}

/** Negates `v` in place when its first largest-magnitude entry is negative (svd_flip on one component). */
export function flipSign(v: Float64Array): void {
  let largest = 0;
  for (let r = 0; r < v.length; r++) if (Math.abs(v[r]) > Math.abs(largest)) largest = v[r];
  if (largest < 0) for (let r = 0; r < v.length; r++) v[r] = -v[r];
}

/** V·diag(f(λ))·Vᵀ for a decomposition: the matrix function f applied to the decomposed matrix. */
export function spectralFunction(eigen: SymmetricEigen, f: (value: number) => number): Matrix64 {
  const { values, vectors } = eigen;
  const p = values.length;
  const v = vectors.data;
  // out[i][j] = Σ_e V[e][i]·f(λ_e)·V[e][j] = (A·Bᵀ)[i][j] with A = Vᵀ and B = Vᵀ·diag(f(λ)).
  const A = new Float64Array(p * p);
  const B = new Float64Array(p * p);
  const fe = Float64Array.from(values, f);
  for (let e = 0; e < p; e++)
    for (let i = 0; i < p; i++) {
      A[i * p + e] = v[e * p + i];
      B[i * p + e] = v[e * p + i] * fe[e];
    }
  const out = matrix(new Float64Array(p * p), p, p);
  gemmNT(matrix(A, p, p), matrix(B, p, p), out);
  return out;
}

/**
 * S^power for a symmetric positive definite S (e.g. (C + λI)^(-1/2)); throws, naming `purpose`, if an
 * eigenvalue is not positive, because a fractional power of such a matrix is not real. Powers ±1/2 are computed
 * by the Newton–Schulz iteration when it converges (newtonSchulz.ts: products only, several times faster than a
 * decomposition), the others and the matrices it does not converge on from the eigendecomposition.
 */
export function spdPower(S: Matrix64, power: number, purpose: string): Matrix64 {
  assertShape(S, S.rows, S.rows, 'spdPower');
  if (power === 0.5 || power === -0.5) {
    const root = newtonSchulzSqrt(S, power);
    if (root) return root;
  }
  const eigen = symmetricEigen(S);
  const smallest = eigen.values[eigen.values.length - 1];
  if (!(smallest > 0)) throw new Error(`${purpose}: matrix is not positive definite (smallest eigenvalue ${smallest})`);
  return spectralFunction(eigen, (value) => value ** power);
}
