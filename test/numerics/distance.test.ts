/** src/numerics/distance.ts: distances and exact neighbours against scikit-learn; norms by hand. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fromRows, matrix, nearestNeighbours, normalizeRows, rowDistance, rowNorms } from '../../src/numerics/index.js';
import { assertAllClose, fixture } from './fixture.js';

test('cosine and Euclidean distances and k nearest neighbours equal scikit-learn', () => {
  const { nr, nq, p, ref, query, euclidean, cosine, neighbours } = fixture.distance;
  const R = matrix(Float32Array.from(ref), nr, p);
  const Q = matrix(Float32Array.from(query), nq, p);
  for (const [metric, expected] of [
    ['euclidean', euclidean],
    ['cosine', cosine],
  ] as const) {
    const d = Array.from({ length: nq * nr }, (_, t) => rowDistance(Q, Math.floor(t / nr), R, t % nr, metric));
    assertAllClose(d, expected, 1e-6, `${metric} distances`);
    const nn = nearestNeighbours(Q, R, { k: 3, metric });
    assert.deepEqual([...nn.indices], neighbours[metric].indices, `${metric} neighbours`);
    assertAllClose(nn.distances, neighbours[metric].distances, 1e-6, `${metric} neighbour distances`);
  }
});

test('exact neighbours exclude the row itself when asked; ties keep the lower index; norms by hand', () => {
  const line = fromRows([[0], [1], [3], [6]], 'float32');
  const nn = nearestNeighbours(line, line, { k: 2, metric: 'euclidean', excludeSelf: true });
  assert.deepEqual([...nn.indices], [1, 2, 0, 2, 1, 0, 2, 1]);
  const ties = nearestNeighbours(fromRows([[0]]), fromRows([[1], [-1], [1]]), { k: 2, metric: 'euclidean' });
  assert.deepEqual([...ties.indices], [0, 1]);
  assert.throws(() => nearestNeighbours(line, line, { k: 4, metric: 'cosine', excludeSelf: true }), /only 3/);
  const X = fromRows([
    [3, 4],
    [0, 0],
  ]);
  assert.deepEqual([...rowNorms(X)], [5, 0]);
  assertAllClose(normalizeRows(X).data, [0.6, 0.8, 0, 0], 1e-15, 'zero rows stay zero');
  assert.equal(rowDistance(X, 0, X, 1, 'cosine'), 1, 'cosine distance to a zero row is 1');
});
