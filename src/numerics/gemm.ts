/**
 * Dense matrix products, all through one kernel: C += A·Bᵀ over row-major float64 matrices, the shape every
 * chunked computation here reduces to (Gram matrices XᵀX, projections X·M, distances to centroids all read A
 * and B along their contiguous rows). `kernelNT` is the one place products are computed: large ones by
 * onnxruntime's MLAS DGEMM (ortGemm.ts), small ones, where a call into onnxruntime costs more than the
 * arithmetic, by a register-blocked 4 x 4 JavaScript kernel (the idea of BLAS's micro-kernels, Goto & van de
 * Geijn 2008, "Anatomy of high-performance matrix multiplication", without SIMD). Figures: README.md ("GEMM").
 */
import { assertShape, type Matrix64, matrix, transpose } from './matrix.js';
import { engineProduct, type Layout } from './ortGemm.js';

/**
 * C += A·Bᵀ for A (m x k), B (n x k), C (m x n), accumulated in float64. The order of each entry's sum over k
 * is the kernel's (MLAS blocks k), so results match a naive sum to rounding, not bit for bit.
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

/**
 * C += A·B for A (m x k), B (k x n), C (m x n): for a B whose rows are the summed index (a feature-major chunk of
 * a profile table), so that no transpose of it is made. Small products transpose B and use the NT kernel.
 */
export function gemmNN(A: Matrix64, B: Matrix64, C: Matrix64): void {
  if (A.cols !== B.rows) throw new Error(`gemmNN: A is ${A.rows} x ${A.cols} but B is ${B.rows} x ${B.cols}`);
  assertShape(C, A.rows, B.cols, 'gemmNN (C)');
  const [m, n, k] = [A.rows, B.cols, A.cols];
  if (m * n * k < ENGINE_MIN_WORK) blockedNT(m, n, k, A.data, transpose(B).data, C.data, false);
  else engineBlock('NN', 0, m, 0, n, k, A.data, B.data, C.data);
}

function checkNT(A: Matrix64, B: Matrix64, C: Matrix64, what: string): void {
  if (A.cols !== B.cols) throw new Error(`${what}: A is ${A.rows} x ${A.cols} but B is ${B.rows} x ${B.cols}`);
  assertShape(C, A.rows, B.rows, `${what} (C)`);
}

/**
 * Products with fewer multiply-adds (m·n·k) than this run in JavaScript: below it a call into onnxruntime
 * (10-20 µs) costs more than the JavaScript kernel's arithmetic (measured crossover: 32 x 32 x 32).
 */
export const ENGINE_MIN_WORK = 1 << 15;

/** Row blocks of a symmetric product on the engine: blocks right of the diagonal only, 5/8 of the full work. */
const SYMMETRIC_BLOCKS = 4;

/** The engine's output before it is added to C; grown on demand and kept, so repeated products allocate nothing. */
let scratch = new Float64Array(0);

/**
 * The kernel: C[m x n] += A[m x k] · B[n x k]ᵀ on raw row-major arrays. When `symmetric` (A and B the same
 * matrix) only entries on or above the diagonal are guaranteed (some below it are computed too).
 */
function kernelNT(
  m: number,
  n: number,
  k: number,
  A: Float64Array,
  B: Float64Array,
  C: Float64Array,
  symmetric: boolean,
): void {
  if (m * n * k < ENGINE_MIN_WORK) {
    blockedNT(m, n, k, A, B, C, symmetric);
    return;
  }
  if (!symmetric) {
    engineBlock('NT', 0, m, 0, n, k, A, B, C);
    return;
  }
  // Row block [i0, i1) against rows [i0, n) of the same matrix: the diagonal block and everything right of it
  // (for a few rows one full product: each call costs more than the work blocks would save).
  const size = m < SYMMETRIC_BLOCKS * 32 ? m : Math.ceil(m / SYMMETRIC_BLOCKS);
  for (let i0 = 0; i0 < m; i0 += size) engineBlock('NT', i0, Math.min(m, i0 + size), i0, n, k, A, B, C);
}

/**
 * C[i0..i1, j0..n] += A[i0..i1]·(B's rows j0..n)ᵀ ('NT', B n x k), or C += A·B ('NN', whole B k x n, j0 = 0),
 * through the engine; C has n columns.
 */
function engineBlock(
  layout: Layout,
  i0: number,
  i1: number,
  j0: number,
  n: number,
  k: number,
  A: Float64Array,
  B: Float64Array,
  C: Float64Array,
): void {
  const rows = i1 - i0;
  const cols = n - j0;
  if (scratch.length < rows * cols) scratch = new Float64Array(rows * cols);
  engineProduct(layout, rows, cols, k, A.subarray(i0 * k, i1 * k), layout === 'NT' ? B.subarray(j0 * k) : B, scratch);
  for (let r = 0; r < rows; r++) {
    const c = (i0 + r) * n + j0;
    const s = r * cols;
    for (let j = 0; j < cols; j++) C[c + j] += scratch[s + j];
  }
}

/** The JavaScript kernel for small products (exported for bench/gemm.ts); sums over k in ascending order. */
// biome-ignore lint/complexity/noExcessiveLinesPerFunction: one 4 x 4 register block, unrolled by hand
export function blockedNT(
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
