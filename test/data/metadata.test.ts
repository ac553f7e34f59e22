import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { DatasetError, detectLayout } from '../../src/data/layout.js';
import { readSites } from '../../src/data/metadata.js';
import { SHARED_RXRX1, tempDir, needsSample } from '../helpers.js';
import { officialRow } from '../datasetFixtures.js';
import { OFFICIAL_COLUMNS } from '../../src/data/metadata.js';

test('reads the real Kaggle-layout metadata into the 125,510 RxRx1 sites', { skip: needsSample() }, () => {
  const layout = detectLayout(SHARED_RXRX1);
  assert.equal(layout.kind, 'kaggle');
  assert.equal(layout.imageRoot, path.join(SHARED_RXRX1, 'images'));
  const { sites, problems } = readSites(layout);
  assert.equal(problems.length, 0);
  assert.equal(sites.length, 125510);
  const byType: Record<string, number> = {};
  for (const site of sites) byType[site.wellType] = (byType[site.wellType] ?? 0) + 1;
  // (36,515 + 19,897) treatment wells and (4,097 + 2,246) control wells, two sites each.
  assert.deepEqual(byType, { treatment: 112824, negative_control: 492, positive_control: 12194 });
  const site = sites.find((s) => s.siteId === 'HEPG2-01_1_G05_2');
  assert.deepEqual(site, {
    siteId: 'HEPG2-01_1_G05_2',
    wellId: 'HEPG2-01_1_G05',
    cellType: 'HEPG2',
    dataset: 'train',
    experiment: 'HEPG2-01',
    plate: 1,
    well: 'G05',
    site: 2,
    wellType: 'treatment',
    sirna: null,
    sirnaId: 884,
  });
  const test = sites.find((s) => s.siteId === 'HEPG2-08_1_B08_1');
  assert.equal(test?.dataset, 'test');
  assert.equal(test?.sirnaId, null);
  assert.equal(sites.filter((s) => s.sirnaId === 513).length, 33 * 2);
});

test('reads the official layout and reports every bad row by file, line and field', () => {
  const dir = tempDir();
  const good = officialRow({
    dataset: 'train',
    experiment: 'RPE-03',
    plate: 2,
    well: 'C05',
    site: 1,
    wellType: 'treatment',
    sirnaId: 17,
  });
  const rows = [
    good,
    officialRow({
      dataset: 'train',
      experiment: 'RPE-03',
      plate: 5,
      well: 'C05',
      site: 1,
      wellType: 'treatment',
      sirnaId: 17,
    }),
    officialRow({
      dataset: 'train',
      experiment: 'RPE-03',
      plate: 2,
      well: 'A01',
      site: 1,
      wellType: 'treatment',
      sirnaId: 17,
    }),
    good,
    officialRow({
      dataset: 'train',
      experiment: 'RPE-03',
      plate: 2,
      well: 'C06',
      site: 1,
      wellType: 'treatment',
      sirnaId: 2000,
    }),
  ];
  fs.writeFileSync(path.join(dir, 'metadata.csv'), [OFFICIAL_COLUMNS.join(','), ...rows].join('\n'));
  const layout = detectLayout(dir);
  assert.equal(layout.kind, 'official');
  const { sites, problems } = readSites(layout);
  assert.deepEqual(
    sites.map((s) => [s.siteId, s.sirna, s.sirnaId]),
    [['RPE-03_2_C05_1', 's17', 17]],
  );
  const summary = problems.map((p) => `${p.kind} line ${p.line} ${p.field}`);
  assert.deepEqual(summary, [
    'bad_field line 3 plate',
    'bad_field line 4 well',
    'duplicate_id line 5 site_id',
    'bad_field line 6 sirna_id',
  ]);
  assert.match(problems[0].message, /plate="5": expected an integer in 1\.\.4/);
  assert.match(problems[1].message, /rows B\.\.O x columns 02\.\.23/);
  assert.match(problems[2].message, /first at .*metadata\.csv:2/);
});

test('a folder without metadata is not a dataset', () => {
  assert.throws(
    () => detectLayout(tempDir()),
    (error: unknown) => error instanceof DatasetError && /no RxRx1 metadata found/.test((error as Error).message),
  );
  const dir = tempDir();
  fs.writeFileSync(path.join(dir, 'train.csv'), 'id_code,experiment\nX,Y\n');
  assert.throws(() => readSites(detectLayout(dir)), /train\.csv: missing column\(s\) plate, well/);
});
