/** src/numerics/disjointSets.ts: unions and representatives by hand. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DisjointSets } from '../../src/numerics/index.js';

test('unions merge sets; the representative is the smallest member whatever the order of the unions', () => {
  const sets = new DisjointSets(6);
  sets.union(4, 2);
  sets.union(5, 4);
  sets.union(1, 3);
  assert.deepEqual(
    Array.from({ length: 6 }, (_, i) => sets.find(i)),
    [0, 1, 2, 1, 2, 2],
  );
  sets.union(3, 5);
  assert.deepEqual(
    Array.from({ length: 6 }, (_, i) => sets.find(i)),
    [0, 1, 1, 1, 1, 1],
  );
  sets.union(2, 2);
  assert.equal(sets.find(0), 0, 'a singleton stays alone');
});
