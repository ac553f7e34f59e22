/** The embedding view's 2-D PCA. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pca2 } from '../../src/server/pca.js';
import { EigenvalueDecomposition, Matrix } from 'ml-matrix';

test('the 2-D PCA equals the exact principal components of the standardized features', () => {
  const n = 60;
  const p = 7;
  let state = 42;
  const random = () => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state / 2147483648 - 0.5;
  };
  const latent = Array.from({ length: n }, () => [random() * 6, random() * 3]);
  const columns = Array.from({ length: p }, (_, j) =>
    Float32Array.from(latent, ([a, b]) => a * Math.cos(j) + b * Math.sin(j) * (j + 1) + random() * 0.2 + j * 10),
  );
  const projection = pca2({ rows: n, metadata: {}, features: columns.map((_, j) => `f${j}`), columns });
  // Exact: eigenvectors of the correlation matrix (ml-matrix), scores = standardized X times them.
  const X = new Matrix(n, p);
  columns.forEach((column, j) => {
    const mean = column.reduce((a, b) => a + b, 0) / n;
    const sd = Math.sqrt(column.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1));
    for (let i = 0; i < n; i++) X.set(i, j, (column[i] - mean) / sd);
  });
  const evd = new EigenvalueDecomposition(
    X.transpose()
      .mmul(X)
      .div(n - 1),
    { assumeSymmetric: true },
  );
  const order = evd.realEigenvalues.map((v, k) => [v, k]).sort((a, b) => b[0] - a[0]);
  for (const [c, out] of [
    [0, projection.x],
    [1, projection.y],
  ] as const) {
    const k = order[c][1];
    const exact = X.mmul(evd.eigenvectorMatrix.getColumnVector(k)).to1DArray();
    const sign = Math.sign(exact[0]) === Math.sign(out[0]) ? 1 : -1;
    exact.forEach((value, i) => {
      assert.ok(Math.abs(sign * value - out[i]) < 1e-6, `component ${c + 1}, row ${i}`);
    });
    assert.ok(Math.abs(projection.explained[c] - order[c][0] / p) < 1e-9);
  }
});

// ---- plate maps and runs ----
