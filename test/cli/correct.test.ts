/**
 * `phenomap correct | normalize | select`: Parquet in, Parquet out (file or per-plate folder), run record beside it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { Command } from 'commander';
import { registerCorrectCommands } from '../../src/cli/correct.js';
import { correctProfiles, normalizeProfiles } from '../../src/correct/index.js';
import { readProfiles, writeProfiles, type ProfileTable } from '../../src/store/profiles.js';
import { tempDir } from '../helpers.js';

/** Two experiments x two plates x 12 wells (4 negative controls each), 4 features with plate shifts. */
function table(): ProfileTable {
  const rows = 48;
  const experiment = Array.from({ length: rows }, (_, i) => (i < 24 ? 'RPE-01' : 'RPE-02'));
  const plate = Array.from({ length: rows }, (_, i) => 1 + (Math.floor(i / 12) % 2));
  return {
    rows,
    metadata: {
      Metadata_well_id: Array.from({ length: rows }, (_, i) => `${experiment[i]}_${plate[i]}_W${i % 12}`),
      Metadata_experiment: experiment,
      Metadata_plate: plate,
      Metadata_well_type: Array.from({ length: rows }, (_, i) => (i % 12 < 4 ? 'negative_control' : 'treatment')),
    },
    features: ['Cells_A', 'Cells_B', 'Nuclei_C', 'Nuclei_D'],
    columns: Array.from({ length: 4 }, (_, j) =>
      Float32Array.from(
        { length: rows },
        (_, i) =>
          Math.sin(i * (j + 1.3)) * (j + 1) +
          plate[i] * 2 +
          (experiment[i] === 'RPE-02' ? 5 : 0) +
          (j === 3 ? 1000 : 0),
      ),
    ),
  };
}

async function phenomap(...args: string[]): Promise<void> {
  const program = new Command().exitOverride().configureOutput({ writeErr: () => {} });
  registerCorrectCommands(program);
  await program.parseAsync(['node', 'phenomap', ...args]);
}

test('correct writes the corrected table and a run record; a folder OUT gets one part per plate', async () => {
  const dir = tempDir();
  const input = path.join(dir, 'wells.parquet');
  writeProfiles(input, table());
  await phenomap(
    'correct',
    input,
    '--out',
    path.join(dir, 'combat.parquet'),
    '--method',
    'combat',
    '--batch',
    'experiment',
  );
  const expected = correctProfiles(readProfiles(input), { method: 'combat', batch: 'experiment' });
  assert.deepEqual(readProfiles(path.join(dir, 'combat.parquet')).columns, expected.columns);
  const record = JSON.parse(fs.readFileSync(path.join(dir, 'combat.parquet.json'), 'utf8'));
  assert.deepEqual(record.options, { method: 'combat', batch: 'experiment', controls: 'negative' });
  assert.equal(record.rows, 48);

  await phenomap('correct', input, '--out', path.join(dir, 'tvn'), '--method', 'tvn', '--batch', 'plate');
  assert.deepEqual(fs.readdirSync(path.join(dir, 'tvn')).sort(), [
    'RPE-01_1.parquet',
    'RPE-01_2.parquet',
    'RPE-02_1.parquet',
    'RPE-02_2.parquet',
    'run.json',
  ]);
  const back = readProfiles(path.join(dir, 'tvn'));
  assert.equal(back.rows, 48);
  assert.deepEqual(back.features, ['PC_1', 'PC_2', 'PC_3', 'PC_4']);
  await assert.rejects(
    phenomap('correct', input, '--out', path.join(dir, 'tvn'), '--method', 'tvn', '--batch', 'plate'),
    /tvn exists; pass --overwrite/,
  );
  await phenomap(
    'correct',
    input,
    '--out',
    path.join(dir, 'tvn'),
    '--method',
    'coral',
    '--batch',
    'plate',
    '--overwrite',
  );
  assert.deepEqual(readProfiles(path.join(dir, 'tvn')).features, table().features);
  assert.ok(
    !fs.readdirSync(dir).some((name) => name.includes('.tmp') || name.includes('.old')),
    'no temporary files left',
  );
  await assert.rejects(
    phenomap('correct', input, '--out', input, '--method', 'none', '--batch', 'plate', '--overwrite'),
    /is the input table/,
  );
});

test('normalize and select run the library steps with the options given', async () => {
  const dir = tempDir();
  const input = path.join(dir, 'wells.parquet');
  writeProfiles(input, table());
  await phenomap(
    'normalize',
    input,
    '--out',
    path.join(dir, 'robust.parquet'),
    '--method',
    'robust',
    '--by',
    'experiment',
    '--fit-on',
    'negative',
  );
  const expected = normalizeProfiles(readProfiles(input), { method: 'robust', by: 'experiment', fitOn: 'negative' });
  assert.deepEqual(readProfiles(path.join(dir, 'robust.parquet')).columns, expected.columns);

  fs.writeFileSync(path.join(dir, 'blocklist.txt'), '# features to drop\nCells_B\n');
  await phenomap(
    'select',
    input,
    '--out',
    path.join(dir, 'selected.parquet'),
    '--operations',
    'drop_outliers,blocklist',
    '--blocklist',
    path.join(dir, 'blocklist.txt'),
  );
  assert.deepEqual(readProfiles(path.join(dir, 'selected.parquet')).features, ['Cells_A', 'Nuclei_C']);
  const record = JSON.parse(fs.readFileSync(path.join(dir, 'selected.parquet.json'), 'utf8'));
  assert.deepEqual(record.dropped, { drop_outliers: ['Nuclei_D'], blocklist: ['Cells_B'] });
  await assert.rejects(
    phenomap('select', input, '--out', path.join(dir, 'x.parquet'), '--operations', 'drop_outliers,magic'),
    /unknown: magic/,
  );
});
