/** src/evaluate/compare.ts: representations compared method by method; different splits flagged. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { compareRuns, writeComparison } from '../../src/evaluate/compare.js';
import { tempDir } from '../helpers.js';

function run(dir: string, accuracy: Record<string, number>, test: string[]): string {
  fs.mkdirSync(dir, { recursive: true });
  const metrics = {
    heldout_accuracy: accuracy,
    knn_accuracy: { none: 0.1 },
    split: { test_experiments: test },
    chance_accuracy: 0.05,
    n_test_wells: 40,
  };
  fs.writeFileSync(path.join(dir, 'metrics.json'), JSON.stringify(metrics));
  return dir;
}

test('compares representations method by method and flags different splits', () => {
  const root = tempDir();
  const classical = run(path.join(root, 'a'), { none: 0.1, tvn: 0.4 }, ['HUVEC-17', 'HEPG2-08']);
  const cnn = run(path.join(root, 'b'), { none: 0.3, center_scale: 0.6 }, ['HEPG2-08', 'HUVEC-17']);
  const comparison = compareRuns([
    { name: 'classical', dir: classical },
    { name: 'cnn', dir: cnn },
  ]);
  assert.deepEqual(comparison.methods, ['none', 'tvn', 'center_scale']);
  assert.deepEqual(comparison.values.heldout_accuracy, {
    classical: { none: 0.1, tvn: 0.4, center_scale: null },
    cnn: { none: 0.3, tvn: null, center_scale: 0.6 },
  });
  assert.deepEqual(comparison.values.knn_accuracy.cnn, { none: 0.1, tvn: null, center_scale: null });
  assert.equal(comparison.sameSplit, true);
  const written = writeComparison(comparison, path.join(root, 'out'));
  const html = fs.readFileSync(written.html, 'utf8');
  assert.match(html, /<svg/);
  assert.match(html, /same experiments: HEPG2-08, HUVEC-17/);

  const other = run(path.join(root, 'c'), { none: 0.2 }, ['RPE-09']);
  assert.equal(
    compareRuns([
      { name: 'classical', dir: classical },
      { name: 'other', dir: other },
    ]).sameSplit,
    false,
  );
  assert.throws(
    () =>
      compareRuns([
        { name: 'x', dir: path.join(root, 'missing') },
        { name: 'cnn', dir: cnn },
      ]),
    /missing[/\\]metrics\.json: cannot read the metrics of run "x"/,
  );
});
