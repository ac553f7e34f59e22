/**
 * Dense matrix products, all through one kernel: C += A·Bᵀ over row-major float64 matrices, the shape every
 * chunked computation here reduces to (Gram matrices XᵀX, projections X·M, distances to centroids all read A
 * and B along their contiguous rows). The kernel is register-blocked 4 x 4, the idea of BLAS's GEMM
 * micro-kernels (Goto & van de Geijn 2008, "Anatomy of high-performance matrix multiplication"), without
 * SIMD. `kernelNT` is the one place a faster kernel (SIMD, WebAssembly, threads) replaces it.
 */
import { assertShape, type Matrix64, matrix, transpose } from './matrix.js';

/**
 * C += A·Bᵀ for A (m x k), B (n x k), C (m x n). Sums run over k in ascending order for each entry, so a
 * result does not depend on the blocking.
 */
export function gemmNT(A: Matrix64, B: Matrix64, C: Matrix64): void {
  checkNT(A, B, C, 'gemmNT');
  kernelNT(A.rows, B.rows, A.cols, A.data, B.data, C.data, false);
}

/**
 * The upper triangle (diagonal included) of C += A·Aᵀ, for a Gram matrix accumulated over chunks (A m x k,
 * C m x m): half the work of gemmNT. Call `mirrorUpper` once after the last chunk.
 */
export function syrkUpper(A: Matrix64, C: Matrix64): void {
  checkNT(A, A, C, 'syrkUpper');
  kernelNT(A.rows, A.rows, A.cols, A.data, A.data, C.data, true);
}

/** Copies the upper triangle of a square matrix onto its lower triangle (after `syrkUpper` calls). */
export function mirrorUpper(C: Matrix64): void {
  const p = C.rows;
  assertShape(C, p, p, 'mirrorUpper');
  const data = C.data;
  for (let i = 0; i < p; i++) for (let j = 0; j < i; j++) data[i * p + j] = data[j * p + i];
}

/** A·B as a new matrix (A m x k, B k x n), through the same kernel on Bᵀ. */
export function multiply(A: Matrix64, B: Matrix64): Matrix64 {
  if (A.cols !== B.rows) throw new Error(`multiply: ${A.rows} x ${A.cols} times ${B.rows} x ${B.cols}`);
  const C = matrix(new Float64Array(A.rows * B.cols), A.rows, B.cols);
  gemmNT(A, transpose(B), C);
  return C;
}

function checkNT(A: Matrix64, B: Matrix64, C: Matrix64, what: string): void {
  if (A.cols !== B.cols) throw new Error(`${what}: A is ${A.rows} x ${A.cols} but B is ${B.rows} x ${B.cols}`);
  assertShape(C, A.rows, B.rows, `${what} (C)`);
}

/**
 * The kernel: C[m x n] += A[m x k] · B[n x k]ᵀ on raw row-major arrays. When `symmetric` (A and B the same
 * matrix) only blocks on or above the diagonal are computed.
 */
// biome-ignore lint/complexity/noExcessiveLinesPerFunction: one 4 x 4 register block, unrolled by hand
function kernelNT(
  m: number,
  n: number,
  k: number,
  A: Float64Array,
  B: Float64Array,
  C: Float64Array,
  symmetric: boolean,
): void {
  const m4 = m - (m % 4);
  const n4 = n - (n % 4);
  for (let i = 0; i < m4; i += 4) {
    const a0 = i * k,
      a1 = a0 + k,
      a2 = a1 + k,
      a3 = a2 + k;
    // In a symmetric product, blocks left of the diagonal are the transposes of blocks already computed.
    const jStart = symmetric ? i : 0;
    for (let j = jStart; j < n4; j += 4) {
      const b0 = j * k,
        b1 = b0 + k,
        b2 = b1 + k,
        b3 = b2 + k;
      let c00 = 0,
        c01 = 0,
        c02 = 0,
        c03 = 0,
        c10 = 0,
        c11 = 0,
        c12 = 0,
        c13 = 0;
      let c20 = 0,
        c21 = 0,
        c22 = 0,
        c23 = 0,
        c30 = 0,
        c31 = 0,
        c32 = 0,
        c33 = 0;
      for (let t = 0; t < k; t++) {
        const x0 = A[a0 + t],
          x1 = A[a1 + t],
          x2 = A[a2 + t],
          x3 = A[a3 + t];
        const y0 = B[b0 + t],
          y1 = B[b1 + t],
          y2 = B[b2 + t],
          y3 = B[b3 + t];
        c00 += x0 * y0;
        c01 += x0 * y1;
        c02 += x0 * y2;
        c03 += x0 * y3;
        c10 += x1 * y0;
        c11 += x1 * y1;
        c12 += x1 * y2;
        c13 += x1 * y3;
        c20 += x2 * y0;
        c21 += x2 * y1;
        c22 += x2 * y2;
        c23 += x2 * y3;
        c30 += x3 * y0;
        c31 += x3 * y1;
        c32 += x3 * y2;
        c33 += x3 * y3;
      }
      let c = i * n + j;
      C[c] += c00;
      C[c + 1] += c01;
      C[c + 2] += c02;
      C[c + 3] += c03;
      c += n;
      C[c] += c10;
      C[c + 1] += c11;
      C[c + 2] += c12;
      C[c + 3] += c13;
      c += n;
      C[c] += c20;
      C[c + 1] += c21;
      C[c + 2] += c22;
      C[c + 3] += c23;
      c += n;
      C[c] += c30;
      C[c + 1] += c31;
      C[c + 2] += c32;
      C[c + 3] += c33;
    }
  }
  // Edges: the pairs the 4 x 4 blocks did not cover (in a symmetric product, only those on or above the diagonal).
  for (let i = 0; i < m; i++) {
    const jFrom = i < m4 ? n4 : symmetric ? i : 0;
    for (let j = jFrom; j < n; j++) {
      const a = i * k,
        b = j * k;
      let s = 0;
      for (let t = 0; t < k; t++) s += A[a + t] * B[b + t];
      C[i * n + j] += s;
    }
  }
}
