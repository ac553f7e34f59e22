/** src/numerics/gemm.ts: the blocked kernel against naive sums and hand-computed products. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fromRows, gemmNT, matrix, mirrorUpper, multiply, syrkUpper, zeros64 } from '../../src/numerics/index.js';
import { generator } from '../correct/tables.js';

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
