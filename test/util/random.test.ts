import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../src/util/random.js';

test('Rng: seeded, restartable from its saved state, sane distributions', () => {
  const a = new Rng(42);
  for (let i = 0; i < 10; i++) a.next();
  const saved = a.state();
  const next = Array.from({ length: 5 }, () => a.uint32());
  const b = new Rng(saved);
  assert.deepEqual(
    Array.from({ length: 5 }, () => b.uint32()),
    next,
  );
  assert.notDeepEqual(new Rng(1).state(), new Rng(2).state());
  const r = new Rng(7);
  const n = 20000;
  let mean = 0;
  let betaMean = 0;
  for (let i = 0; i < n; i++) {
    mean += r.normal() / n;
    betaMean += r.beta(0.4, 0.4) / n;
  }
  assert.ok(Math.abs(mean) < 0.03, `normal mean ${mean}`);
  assert.ok(Math.abs(betaMean - 0.5) < 0.02, `beta mean ${betaMean}`);
  const shuffled = r.shuffle([0, 1, 2, 3, 4, 5, 6, 7]);
  assert.deepEqual([...shuffled].sort(), [0, 1, 2, 3, 4, 5, 6, 7]);
});
