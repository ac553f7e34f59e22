/**
 * Symmetric eigendecomposition of p x p matrices (ml-matrix's Householder tridiagonalisation + QL, the
 * EISPACK tred2/tql2 pair) and the matrix functions built on it: S^power for symmetric positive definite S.
 */
import { EVD, Matrix } from 'ml-matrix';

/**
 * Eigenvalues of a covariance below this fraction of the largest count as zero (the fit rows are not full
 * rank; whitening would divide by noise). Float32 features cannot resolve a smaller ratio ((6e-8)² ≈ 4e-15).
 */
export const RANK_TOLERANCE = 1e-12;

export interface SymmetricEigen {
  /** Eigenvalues, descending. */
  values: Float64Array;
  /**
   * Eigenvectors as rows of a p x p row-major matrix (row i belongs to values[i]), each signed so that its
   * largest-magnitude entry is positive — scikit-learn's svd_flip convention, so PCA outputs are reproducible.
   */
  vectors: Float64Array;
}

export function symmetricEigen(p: number, S: Float64Array): SymmetricEigen {
  const matrix = new Matrix(p, p);
  // Symmetrise while copying: accumulated products can differ in the last bit across the diagonal.
  for (let i = 0; i < p; i++) for (let j = 0; j < p; j++) matrix.set(i, j, (S[i * p + j] + S[j * p + i]) / 2);
  const evd = new EVD(matrix, { assumeSymmetric: true });
  const ascending = evd.realEigenvalues;
  const V = evd.eigenvectorMatrix;
  const values = new Float64Array(p);
  const vectors = new Float64Array(p * p);
  for (let i = 0; i < p; i++) {
    const source = p - 1 - i;
    values[i] = ascending[source];
    let largest = 0;
    for (let r = 0; r < p; r++) {
      const v = V.get(r, source);
      if (Math.abs(v) > Math.abs(largest)) largest = v;
    }
    const sign = largest < 0 ? -1 : 1;
    for (let r = 0; r < p; r++) vectors[i * p + r] = sign * V.get(r, source);
  }
  return { values, vectors };
}

/** V·diag(f(λ))·Vᵀ for a decomposition: the matrix function f applied to S (row-major p x p). */
export function spectralFunction(p: number, eigen: SymmetricEigen, f: (value: number) => number): Float64Array {
  const { values, vectors } = eigen;
  const out = new Float64Array(p * p);
  const scaled = new Float64Array(p);
  for (let e = 0; e < p; e++) {
    const fe = f(values[e]);
    const v = e * p;
    for (let i = 0; i < p; i++) scaled[i] = fe * vectors[v + i];
    for (let i = 0; i < p; i++) {
      const s = scaled[i];
      const row = i * p;
      for (let j = 0; j < p; j++) out[row + j] += s * vectors[v + j];
    }
  }
  return out;
}

/**
 * S^power for a symmetric positive definite S (e.g. (C + λI)^(-1/2)); throws if an eigenvalue is not positive,
 * because a fractional power of such a matrix is not real.
 */
export function spdPower(p: number, S: Float64Array, power: number, purpose: string): Float64Array {
  const eigen = symmetricEigen(p, S);
  const smallest = eigen.values[p - 1];
  if (!(smallest > 0)) throw new Error(`${purpose}: matrix is not positive definite (smallest eigenvalue ${smallest})`);
  return spectralFunction(p, eigen, (value) => value ** power);
}

/** Row-major product of square p x p matrices A·B. */
export function multiplySquare(p: number, A: Float64Array, B: Float64Array): Float64Array {
  const out = new Float64Array(p * p);
  for (let i = 0; i < p; i++) {
    for (let t = 0; t < p; t++) {
      const a = A[i * p + t];
      if (a === 0) continue;
      const b = t * p;
      const o = i * p;
      for (let j = 0; j < p; j++) out[o + j] += a * B[b + j];
    }
  }
  return out;
}
