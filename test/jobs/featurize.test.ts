import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { Command } from 'commander';
import { registerFeaturizeCommands } from '../../src/cli/featurize.js';
import { aggregateToWells } from '../../src/store/wells.js';
import { featurizeDataset, OBJECT_COLUMN, type SiteProblem } from '../../src/jobs/featurize.js';
import { META, readProfiles } from '../../src/store/profiles.js';
import { officialRow, realOfficialDataset } from '../datasetFixtures.js';
import { tempDir, needsSample } from '../helpers.js';

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
