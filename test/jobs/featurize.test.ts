import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { Command } from 'commander';
import { registerFeaturizeCommands } from '../../src/cli/featurize.js';
import { aggregateToWells } from '../../src/store/wells.js';
import { featurizeDataset, OBJECT_COLUMN, type SiteProblem } from '../../src/jobs/featurize.js';
import { META, readProfiles } from '../../src/store/profiles.js';
import { officialRow, realOfficialDataset } from '../datasetFixtures.js';
import { REPO_ROOT, tempDir, needsSample } from '../helpers.js';
import { OFFICIAL_COLUMNS } from '../../src/data/metadata.js';

test('featurize writes a part per plate, reports a bad site, records the run and resumes', {
  skip: needsSample(),
}, async () => {
  const site = {
    dataset: 'train' as const,
    experiment: 'HUVEC-01',
    site: 1,
    wellType: 'treatment' as const,
    sirnaId: 7,
  };
  const dir = realOfficialDataset(
    [
      officialRow({ ...site, plate: 1, well: 'B02' }),
      officialRow({ ...site, plate: 1, well: 'B03' }),
      officialRow({ ...site, plate: 2, well: 'B02' }),
    ],
    'HUVEC-01',
  );
  // One site loses a channel: it must be reported and skipped, not stop the run.
  fs.rmSync(path.join(dir, 'images', 'train', 'HUVEC-01', 'Plate1', 'B03_s1_w5.png'));
  const out = tempDir('phenomap-featurize-');
  const progress: [number, number][] = [];
  const summary = await featurizeDataset(dir, {
    out,
    perCell: true,
    threads: 1,
    onProgress: (done, total) => progress.push([done, total]),
  });

  assert.equal(summary.sites, 3);
  assert.equal(summary.featurized, 2);
  assert.deepEqual(progress.at(-1), [3, 3]);
  assert.deepEqual(fs.readdirSync(path.join(out, 'sites')).sort(), ['HUVEC-01_1.parquet', 'HUVEC-01_2.parquet']);
  const problems = JSON.parse(fs.readFileSync(path.join(out, 'problems.json'), 'utf8')) as SiteProblem[];
  assert.equal(problems.length, 1);
  assert.equal(problems[0].siteId, 'HUVEC-01_1_B03_1');
  assert.match(problems[0].files?.[0].file ?? '', /B03_s1_w5\.png$/);

  const sites = readProfiles(path.join(out, 'sites'));
  assert.equal(sites.rows, 2);
  assert.deepEqual(sites.metadata[META.siteId], ['HUVEC-01_1_B02_1', 'HUVEC-01_2_B02_1']);
  const count = sites.columns[sites.features.indexOf('Count_Nuclei')];
  // Both sites are copies of the real HUVEC-01 B02 site 1 (118 nuclei, see features.test.ts).
  assert.deepEqual([...count], [118, 118]);
  for (const name of [
    'Nuclei_AreaShape_Area',
    'Mean_Cells_Intensity_MeanIntensity_w3',
    'Cells_Correlation_Correlation_w1_w2',
    'Nuclei_Texture_Contrast_w1_1',
    'Cells_Granularity_2_w3',
    'Image_Granularity_1_w1',
  ]) {
    assert.ok(sites.features.includes(name), `site table has ${name}`);
  }
  const cells = readProfiles(path.join(out, 'cells'));
  assert.equal(cells.rows, 236);
  assert.deepEqual(cells.metadata[OBJECT_COLUMN].slice(0, 3), [1, 2, 3]);
  assert.ok(
    cells.features.includes('Cells_AreaShape_Solidity') &&
      cells.features.includes('Nuclei_Intensity_MedianIntensity_w1'),
  );
  // The site median of a per-cell column is the site table's value.
  const areas = cells.columns[cells.features.indexOf('Nuclei_AreaShape_Area')].slice(0, 118).sort();
  assert.equal(sites.columns[sites.features.indexOf('Nuclei_AreaShape_Area')][0], (areas[58] + areas[59]) / 2);

  const run = JSON.parse(fs.readFileSync(path.join(out, 'run.json'), 'utf8'));
  assert.equal(run.parameters.nuclei.thresholdMethod, 'li');
  assert.equal(run.versions.node, process.version);
  assert.equal(run.plates.length, 2);

  const wells = aggregateToWells(sites);
  assert.equal(wells.rows, 2);
  assert.ok(!(META.siteId in wells.metadata));

  // Rerun: both plates are complete, nothing is recomputed, the problem stays listed.
  const again = await featurizeDataset(dir, { out, perCell: true, threads: 1 });
  assert.deepEqual(
    again.plates.map((p) => p.skipped),
    [true, true],
  );
  assert.equal(again.featurized, 0);
  assert.equal(again.problems, 1);

  // The CLI: --plate selects plate 2 only.
  const cliOut = tempDir('phenomap-featurize-cli-');
  const program = new Command().exitOverride();
  registerFeaturizeCommands(program);
  const log = console.log;
  const lines: string[] = [];
  console.log = (line: string) => lines.push(line);
  try {
    await program.parseAsync(['featurize', dir, '--out', cliOut, '--threads', '1', '--plate', '2'], { from: 'user' });
  } finally {
    console.log = log;
  }
  assert.deepEqual(fs.readdirSync(path.join(cliOut, 'sites')), ['HUVEC-01_2.parquet']);
  assert.match(lines.join('\n'), /featurized 1 of 1 sites/);
});

const CLI = path.join(REPO_ROOT, 'dist', 'src', 'cli', 'main.js');
const cli = (...args: string[]) => spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8' });

test('featurize reports every metadata row it leaves out, on stderr and in problems.json', {
  skip: needsSample(),
}, () => {
  const site = { dataset: 'train' as const, experiment: 'HUVEC-01', site: 1, wellType: 'treatment' as const };
  const good = officialRow({ ...site, plate: 1, well: 'B02', sirnaId: 7 });
  const dir = realOfficialDataset([good], 'HUVEC-01');
  const metadata = path.join(dir, 'metadata.csv');
  fs.appendFileSync(
    metadata,
    [
      officialRow({ ...site, plate: 7, well: 'B03', sirnaId: 7 }),
      officialRow({ ...site, plate: 1, well: 'B04', sirnaId: 2000 }),
      'HUVEC-01_1_B05_1,HUVEC-01_1_B05',
      good,
    ].join('\n'),
  );
  const out = tempDir('phenomap-featurize-rows-');
  const result = cli('featurize', dir, '--out', out, '--threads', '1');
  assert.equal(result.status, 0, result.stderr);
  const expected = [
    `${metadata}:3: bad_field: plate="7": expected an integer in 1..4`,
    `${metadata}:4: bad_field: sirna_id="2000": expected an integer in 0..1138`,
    `${metadata}:5: bad_row: 2 field(s), expected 11 (${OFFICIAL_COLUMNS.join(',')})`,
    `${metadata}:6: duplicate_id: site_id="HUVEC-01_1_B02_1": duplicate id (first at ${metadata}:2)`,
    '4 metadata row(s) left out (listed above and in problems.json)',
  ];
  assert.deepEqual(result.stderr.trim().split('\n'), expected);
  assert.match(result.stdout, /featurized 1 of 1 sites .*; 4 metadata row\(s\) left out, see problems\.json/);
  const problems = () => JSON.parse(fs.readFileSync(path.join(out, 'problems.json'), 'utf8'));
  assert.deepEqual(
    problems().map((p: { file: string; line: number; field: string }) => [p.file, p.line, p.field]),
    [
      [metadata, 3, 'plate'],
      [metadata, 4, 'sirna_id'],
      [metadata, 5, '(row)'],
      [metadata, 6, 'site_id'],
    ],
  );
  // A rerun reuses the index and still reports the rows, once.
  const again = cli('featurize', dir, '--out', out, '--threads', '1');
  assert.equal(again.status, 0, again.stderr);
  assert.deepEqual(again.stderr.trim().split('\n'), expected);
  assert.equal(problems().length, 4);
});

test('featurize refuses conflicting ids and metadata with no sites, saying so', () => {
  const row = (sirnaId: number) =>
    officialRow({
      dataset: 'train',
      experiment: 'HUVEC-01',
      plate: 1,
      well: 'B02',
      site: 1,
      wellType: 'treatment',
      sirnaId,
    });
  const header = OFFICIAL_COLUMNS.join(',');
  const conflicting = tempDir();
  fs.writeFileSync(path.join(conflicting, 'metadata.csv'), [header, row(7), row(8)].join('\n'));
  const refused = cli('featurize', conflicting, '--out', tempDir());
  assert.equal(refused.status, 2);
  assert.match(
    refused.stderr,
    /^phenomap: 1 metadata row\(s\) conflict with an earlier row of the same id: .*metadata\.csv:3: conflicting_id: site_id="HUVEC-01_1_B02_1": conflicts with the row at .*metadata\.csv:2 \(sirna "s7" vs "s8", sirnaId 7 vs 8\)/,
  );
  const empty = tempDir();
  fs.writeFileSync(path.join(empty, 'metadata.csv'), `${header}\n`);
  const none = cli('featurize', empty, '--out', tempDir());
  assert.equal(none.status, 2);
  assert.match(none.stderr, /^phenomap: no sites: .*metadata\.csv hold no metadata rows/);
  assert.doesNotMatch(none.stdout, /featurized 0 of 0/);
});
