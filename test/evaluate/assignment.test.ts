/** src/evaluate/assignment.ts: linear assignment against known and scipy optima; the plate-constrained assignment. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  assignmentCost,
  classGroups,
  linearAssignment,
  plateConstrainedPredictions,
} from '../../src/evaluate/assignment.js';
import { matrix } from '../../src/numerics/index.js';
import { close, readFixture } from '../helpers.js';

test('linear assignment finds the known optimum and scipy optima, square and rectangular', () => {
  // A 4x4 example whose optimum (13, rows -> columns 1, 0, 2, 3) is checked by enumerating all 24 permutations.
  const cost = [9, 2, 7, 8, 6, 4, 3, 7, 5, 8, 1, 8, 7, 6, 9, 4];
  const costMatrix = matrix(Float64Array.from(cost), 4, 4);
  const assignment = linearAssignment(costMatrix);
  assert.deepEqual([...assignment], [1, 0, 2, 3]);
  assert.equal(assignmentCost(costMatrix, assignment), 13);
  const permutations = (items: number[]): number[][] =>
    items.length <= 1
      ? [items]
      : items.flatMap((x, i) =>
          permutations([...items.slice(0, i), ...items.slice(i + 1)]).map((rest) => [x, ...rest]),
        );
  assert.equal(
    Math.min(...permutations([0, 1, 2, 3]).map((perm) => perm.reduce((s, col, row) => s + cost[row * 4 + col], 0))),
    13,
  );
  const fx = readFixture<{ cases: { rows: number; cols: number; cost: number[]; optimum: number }[] }>(
    'evaluate-assignment.json',
  );
  for (const c of fx.cases) {
    const costOf = matrix(Float64Array.from(c.cost), c.rows, c.cols);
    const a = linearAssignment(costOf);
    const assigned = [...a].filter((col) => col >= 0);
    assert.equal(assigned.length, Math.min(c.rows, c.cols));
    assert.equal(new Set(assigned).size, assigned.length, 'columns are distinct');
    close(assignmentCost(costOf, a), c.optimum, 1e-9, `${c.rows}x${c.cols} optimum`);
  }
});

test('plate constraint: groups from training plates, one-to-one assignment within the inferred group', () => {
  const { groupOf, groups } = classGroups(
    [
      [0, 1],
      [2, 3],
      [1, 0],
      [3, 2],
    ],
    5,
  );
  assert.deepEqual(groups, [[0, 1], [2, 3], [4]]);
  assert.deepEqual([...groupOf], [0, 0, 1, 1, 2]);
  // Two wells of one plate both prefer class 0 a little; the plate is group 0, so one must take class 1.
  const p = (values: number[]) => values.map(Math.log);
  const logProba = Float64Array.from([
    ...p([0.5, 0.3, 0.1, 0.05, 0.05]),
    ...p([0.6, 0.2, 0.1, 0.05, 0.05]),
    ...p([0.1, 0.1, 0.2, 0.5, 0.1]),
  ]);
  const result = plateConstrainedPredictions(matrix(logProba, 3, 5), ['P1', 'P1', 'P2'], groups);
  assert.deepEqual([...result.predictions], [1, 0, 3]);
  assert.equal(result.plateGroup.get('P1'), 0);
  assert.equal(result.plateGroup.get('P2'), 1);
  // Replicate wells: 4 wells, 2 classes -> each class takes 2.
  const rep = plateConstrainedPredictions(
    matrix(Float64Array.from([...p([0.9, 0.1]), ...p([0.8, 0.2]), ...p([0.7, 0.3]), ...p([0.6, 0.4])]), 4, 2),
    ['P', 'P', 'P', 'P'],
    [[0, 1]],
  );
  assert.deepEqual([...rep.predictions].sort(), [0, 0, 1, 1]);
});
