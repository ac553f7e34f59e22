/** `phenomap evaluate`: PROFILES in, metrics.json and report.html out; --compare with another run. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { Command } from 'commander';
import { registerEvaluateCommands } from '../../src/cli/evaluate.js';
import { writeProfiles } from '../../src/store/profiles.js';
import { tempDir } from '../helpers.js';
import { syntheticScreen } from '../evaluate/screen.js';

test('CLI: phenomap evaluate PROFILES --out DIR', async () => {
  const { table } = syntheticScreen(3);
  const dir = tempDir();
  const file = path.join(dir, 'profiles.parquet');
  writeProfiles(file, table);
  const program = new Command().exitOverride();
  registerEvaluateCommands(program);
  const log = console.log;
  const lines: string[] = [];
  console.log = (...args: unknown[]) => lines.push(args.join(' '));
  try {
    await program.parseAsync([
      'node',
      'phenomap',
      'evaluate',
      file,
      '--out',
      path.join(dir, 'report'),
      '--methods',
      'none',
      '--no-umap',
      '--null-size',
      '200',
      '--quiet',
      '--split',
      'leave-out:HEPG2-02',
    ]);
  } finally {
    console.log = log;
  }
  const metrics = JSON.parse(fs.readFileSync(path.join(dir, 'report', 'metrics.json'), 'utf8'));
  assert.deepEqual(metrics.split.test_experiments, ['HEPG2-02']);
  assert.equal(typeof metrics.heldout_accuracy.none, 'number');
  assert.ok(lines.some((line) => line.includes('wrote')));

  // A second representation of the same screen, evaluated with --compare against the first: the report carries both.
  const second = new Command().exitOverride();
  registerEvaluateCommands(second);
  console.log = () => {};
  try {
    await second.parseAsync([
      'node',
      'phenomap',
      'evaluate',
      file,
      '--out',
      path.join(dir, 'report2'),
      '--methods',
      'none,center_scale',
      '--no-plots',
      '--null-size',
      '200',
      '--quiet',
      '--split',
      'leave-out:HEPG2-02',
      '--name',
      'cnn',
      '--compare',
      `classical=${path.join(dir, 'report')}`,
    ]);
  } finally {
    console.log = log;
  }
  const compared = JSON.parse(fs.readFileSync(path.join(dir, 'report2', 'compare.json'), 'utf8'));
  assert.deepEqual(
    compared.runs.map((r: { name: string }) => r.name),
    ['cnn', 'classical'],
  );
  assert.equal(compared.sameSplit, true);
  assert.equal(compared.values.heldout_accuracy.classical.none, metrics.heldout_accuracy.none);
  assert.equal(
    compared.values.heldout_accuracy.classical.center_scale,
    null,
    'the first run did not evaluate center_scale',
  );
  const report = fs.readFileSync(path.join(dir, 'report2', 'report.html'), 'utf8');
  assert.match(report, /Compared with other representations/);
  assert.match(report, /classical = /);
  const bad = new Command().exitOverride().configureOutput({ writeErr: () => {}, writeOut: () => {} });
  registerEvaluateCommands(bad);
  await assert.rejects(
    bad.parseAsync(['node', 'phenomap', 'evaluate', file, '--out', dir, '--methods', 'none,bogus']),
    /unknown: bogus/,
  );
});
