/**
 * src/numerics/gemm.ts and ortGemm.ts: both kernels (JavaScript for small products, onnxruntime's MLAS for large
 * ones) against naive sums and hand-computed products.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ENGINE_MIN_WORK,
  fromRows,
  gemmNT,
  gemmThreads,
  matrix,
  mirrorUpper,
  multiply,
  setGemmThreads,
  syrkUpper,
  zeros64,
} from '../../src/numerics/index.js';
import { generator } from '../correct/tables.js';

/** Σ_t A[i, t]·B[j, t] summed in order, in float64. */
function naiveNT(A: Float64Array, B: Float64Array, k: number, i: number, j: number): number {
  let s = 0;
  for (let t = 0; t < k; t++) s += A[i * k + t] * B[j * k + t];
  return s;
}

test('the blocked product kernel equals naive sums, for odd shapes and the symmetric (Gram) case', () => {
  const next = generator(3);
  for (const [m, n, k] of [
    [7, 5, 3],
    [9, 9, 13],
    [4, 8, 1],
    [13, 6, 17],
  ]) {
    const A = Float64Array.from({ length: m * k }, next);
    const B = Float64Array.from({ length: n * k }, next);
    const C = Float64Array.from({ length: m * n }, next);
    const expected = C.map(
      (c, at) =>
        c +
        Array.from({ length: k }, (_, t) => A[Math.floor(at / n) * k + t] * B[(at % n) * k + t]).reduce(
          (s, v) => s + v,
          0,
        ),
    );
    gemmNT(matrix(A, m, k), matrix(B, n, k), matrix(C, m, n));
    C.forEach((v, at) => {
      assert.ok(Math.abs(v - expected[at]) < 1e-12, `${m}x${n}x${k} [${at}]`);
    });
    const G = zeros64(m, m);
    syrkUpper(matrix(A, m, k), G);
    mirrorUpper(G);
    for (let i = 0; i < m; i++)
      for (let j = 0; j < m; j++) {
        const dot = Array.from({ length: k }, (_, t) => A[i * k + t] * A[j * k + t]).reduce((s, v) => s + v, 0);
        assert.ok(Math.abs(G.data[i * m + j] - dot) < 1e-12, `gram ${m}x${k} [${i}, ${j}]`);
      }
  }
});

test('multiply: hand-computed products; gemmNT accumulates into C; shapes are checked', () => {
  const A = fromRows([
    [1, 2, 3],
    [4, 5, 6],
  ]);
  const B = fromRows([
    [7, 8],
    [9, 10],
    [11, 12],
  ]);
  // [1·7 + 2·9 + 3·11, 1·8 + 2·10 + 3·12; 4·7 + 5·9 + 6·11, 4·8 + 5·10 + 6·12]
  assert.deepEqual([...multiply(A, B).data], [58, 64, 139, 154]);
  const C = fromRows([
    [1, 1],
    [1, 1],
  ]);
  // A·Aᵀ = [[14, 32], [32, 77]], added to the ones already in C.
  gemmNT(A, A, C);
  assert.deepEqual([...C.data], [15, 33, 33, 78]);
  assert.throws(() => multiply(A, A), /multiply: 2 x 3 times 2 x 3/);
  assert.throws(() => gemmNT(A, B, C), /gemmNT: A is 2 x 3 but B is 3 x 2/);
  assert.throws(() => gemmNT(A, A, zeros64(3, 3)), /expected a 2 x 2 matrix, got 3 x 3/);
});

test('products above ENGINE_MIN_WORK run on onnxruntime and equal naive float64 sums, the Gram case included', () => {
  const next = generator(5);
  // Features with a large common offset, as covariance chunks are before centring elsewhere: float64 throughout.
  for (const [m, n, k] of [
    [70, 90, 61],
    [129, 3, 1000],
    [257, 130, 9],
  ]) {
    assert.ok(m * n * k >= ENGINE_MIN_WORK, `${m}x${n}x${k} is large enough for the engine`);
    const A = Float64Array.from({ length: m * k }, () => 1000 + next());
    const B = Float64Array.from({ length: n * k }, () => next() - 0.5);
    const C = Float64Array.from({ length: m * n }, next);
    const before = C.slice();
    gemmNT(matrix(A, m, k), matrix(B, n, k), matrix(C, m, n));
    for (let i = 0; i < m; i++)
      for (let j = 0; j < n; j++) {
        const expected = before[i * n + j] + naiveNT(A, B, k, i, j);
        const scale = 1000 * k;
        assert.ok(Math.abs(C[i * n + j] - expected) < 1e-13 * scale, `${m}x${n}x${k} [${i}, ${j}]`);
      }
  }
  const [p, rows] = [101, 77];
  const X = Float64Array.from({ length: p * rows }, () => next() - 0.5);
  const G = zeros64(p, p);
  G.data.fill(1);
  syrkUpper(matrix(X, p, rows), G);
  mirrorUpper(G);
  for (let i = 0; i < p; i++)
    for (let j = 0; j < p; j++)
      assert.ok(Math.abs(G.data[i * p + j] - 1 - naiveNT(X, X, rows, i, j)) < 1e-12, `gram [${i}, ${j}]`);
});

test('the thread count of the engine changes no result bit; it takes integers >= 1', () => {
  const next = generator(9);
  const [m, n, k] = [300, 200, 150];
  const A = Float64Array.from({ length: m * k }, next);
  const B = Float64Array.from({ length: n * k }, next);
  const product = (threads: number) => {
    setGemmThreads(threads);
    const C = zeros64(m, n);
    gemmNT(matrix(A, m, k), matrix(B, n, k), C);
    return C.data;
  };
  try {
    assert.deepEqual(product(2), product(1));
    assert.equal(gemmThreads(), 1);
  } finally {
    setGemmThreads(1);
  }
  assert.throws(() => setGemmThreads(0), /setGemmThreads: expected an integer >= 1, got 0/);
});
