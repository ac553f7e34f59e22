import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { DatasetError, detectLayout } from '../../src/data/layout.js';
import { readSites, readUsableSites } from '../../src/data/metadata.js';
import { defaultIndexPath, ensureSiteIndex, problemsFileOf } from '../../src/data/siteIndex.js';
import { SHARED_RXRX1, tempDir, needsSample } from '../helpers.js';
import { officialRow } from '../datasetFixtures.js';
import { OFFICIAL_COLUMNS } from '../../src/data/metadata.js';

test('reads the real Kaggle-layout metadata into the 125,510 RxRx1 sites', { skip: needsSample() }, async () => {
  const layout = await detectLayout(SHARED_RXRX1);
  assert.equal(layout.kind, 'kaggle');
  assert.equal(layout.imageRoot, path.join(SHARED_RXRX1, 'images'));
  const { sites, problems } = await readSites(layout);
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

test('reads the official layout and reports every bad row by file, line and field', async () => {
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
  const layout = await detectLayout(dir);
  assert.equal(layout.kind, 'official');
  const { sites, problems } = await readSites(layout);
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

test('a folder without metadata is not a dataset', async () => {
  await assert.rejects(
    detectLayout(tempDir()),
    (error: unknown) => error instanceof DatasetError && /no RxRx1 metadata found/.test((error as Error).message),
  );
  const dir = tempDir();
  fs.writeFileSync(path.join(dir, 'train.csv'), 'id_code,experiment\nX,Y\n');
  await assert.rejects(readSites(await detectLayout(dir)), /train\.csv: missing column\(s\) plate, well/);
});

const header = OFFICIAL_COLUMNS.join(',');
const row = (fields: Partial<Parameters<typeof officialRow>[0]> = {}) =>
  officialRow({
    dataset: 'train',
    experiment: 'RPE-03',
    plate: 2,
    well: 'C05',
    site: 1,
    wellType: 'treatment',
    sirnaId: 17,
    ...fields,
  });

function officialDir(lines: string[]): string {
  const dir = tempDir();
  fs.writeFileSync(path.join(dir, 'metadata.csv'), lines.join('\n'));
  return dir;
}

test('every row check flags is reported by file, line, field and why; one short row is a bad row', async () => {
  const good = row();
  const lines = [
    header,
    good,
    row({ well: 'C06' }).replace(',C06,', ',Z99,'),
    row({ well: 'C07', plate: 7 }),
    row({ well: 'C08', sirnaId: 2000 }),
    row({ well: 'C09' }).replace(/,1,treatment,/, ',x,treatment,'),
    row({ well: 'C10' }).replaceAll('RPE-03', '../../../../etc'),
    row({ well: 'C11' }).replace('RPE-03_2_C11_1', 'RPE-03_2_C12_1'),
    'RPE-03_2_C13_1,RPE-03_2_C13,RPE',
    '',
    `"${row({ well: 'C14' }).split(',').join('","')}"`,
    row({ well: 'C15' }).replace(',treatment,', ',tr"eat,'),
    row({ well: 'C16' }),
  ];
  const dir = officialDir(lines);
  const { sites, problems, rows } = await readSites(await detectLayout(dir));
  assert.deepEqual(
    sites.map((s) => s.siteId),
    ['RPE-03_2_C05_1', 'RPE-03_2_C14_1', 'RPE-03_2_C16_1'],
  );
  assert.equal(rows, 11);
  const file = path.join(dir, 'metadata.csv');
  assert.ok(problems.every((p) => p.file === file));
  assert.deepEqual(
    problems.map((p) => `${p.line} ${p.kind} ${p.field}`),
    [
      '3 bad_field well',
      '4 bad_field plate',
      '5 bad_field sirna_id',
      '6 bad_field site',
      '7 bad_field experiment',
      '8 bad_field site_id',
      '9 bad_row (row)',
      '12 bad_row (row)',
    ],
  );
  assert.match(problems[0].message, /^well="Z99": expected a used RxRx1 well/);
  assert.match(problems[1].message, /^plate="7": expected an integer in 1\.\.4$/);
  assert.match(problems[2].message, /^sirna_id="2000": expected an integer in 0\.\.1138$/);
  assert.match(problems[3].message, /^site="x": expected an integer in 1\.\.2$/);
  assert.match(problems[4].message, /^experiment="\.\.\/\.\.\/\.\.\/\.\.\/etc": expected an experiment name/);
  assert.match(problems[5].message, /^site_id="RPE-03_2_C12_1": expected "RPE-03_2_C11_1" \(derived/);
  assert.equal(problems[6].message, `3 field(s), expected 11 (${header})`);
  assert.match(problems[7].message, /^not a CSV record \(Invalid Opening Quote/);
});

test('a repeated row is left out with a word, a conflicting one is an error for jobs', async () => {
  const dir = officialDir([header, row(), row({ well: 'C06' }), row(), row({ well: 'C06', sirnaId: 18 })]);
  const layout = await detectLayout(dir);
  const result = await readSites(layout);
  assert.deepEqual(
    result.problems.map((p) => [p.line, p.kind, p.message.replace(dir, 'DIR')]),
    [
      [4, 'duplicate_id', 'site_id="RPE-03_2_C05_1": duplicate id (first at DIR/metadata.csv:2)'],
      [
        5,
        'conflicting_id',
        'site_id="RPE-03_2_C06_1": conflicts with the row at DIR/metadata.csv:3 (sirna "s17" vs "s18", sirnaId 17 vs 18)',
      ],
    ],
  );
  await assert.rejects(
    readUsableSites(layout),
    (error: unknown) =>
      error instanceof DatasetError &&
      /^1 metadata row\(s\) conflict with an earlier row of the same id: .*metadata\.csv:5: conflicting_id/.test(
        (error as Error).message,
      ),
  );
  await assert.rejects(() => ensureSiteIndex(layout), /conflict with an earlier row/);
  assert.equal(fs.existsSync(defaultIndexPath(layout)), false, 'no index is written for conflicting metadata');
});

test('Kaggle: a well listed twice with different siRNAs is a conflict, reported once per row', async () => {
  const dir = tempDir();
  fs.writeFileSync(path.join(dir, 'train.csv'), 'id_code,experiment,plate,well,sirna\nU2OS-01_1_B03,U2OS-01,1,B03,5\n');
  fs.writeFileSync(
    path.join(dir, 'train_controls.csv'),
    'id_code,experiment,plate,well,sirna,well_type\nU2OS-01_1_B03,U2OS-01,1,B03,1108,positive_control\n',
  );
  const { sites, problems } = await readSites(await detectLayout(dir));
  assert.equal(sites.length, 2);
  assert.deepEqual(
    problems.map((p) => [path.basename(p.file), p.line, p.kind, p.field]),
    [['train_controls.csv', 2, 'conflicting_id', 'id_code']],
  );
  assert.match(problems[0].message, /wellType "treatment" vs "positive_control", sirnaId 5 vs 1108\)$/);
});

test('empty or header-only metadata: "no sites"; all rows bad: "no usable sites"', async () => {
  for (const content of ['', `${header}\n`, `${header}\n\n\n`]) {
    const layout = await detectLayout(officialDir([content]));
    await assert.rejects(
      readSites(layout),
      (error: unknown) =>
        error instanceof DatasetError &&
        /^no sites: .*metadata\.csv hold no metadata rows/.test((error as Error).message),
    );
  }
  const layout = await detectLayout(officialDir([header, row({ plate: 9 })]));
  assert.equal((await readSites(layout)).problems.length, 1);
  await assert.rejects(
    () => ensureSiteIndex(layout),
    (error: unknown) =>
      error instanceof DatasetError &&
      /^no usable sites: all 1 metadata row\(s\) were left out/.test((error as Error).message),
  );
});

test('a reused site index still returns the rows it left out; a damaged record is rebuilt', async () => {
  const layout = await detectLayout(officialDir([header, row(), row({ plate: 9 })]));
  const built = await ensureSiteIndex(layout);
  assert.deepEqual([built.built, built.sites, built.rows, built.problems.length], [true, 1, 2, 1]);
  const reused = await ensureSiteIndex(layout);
  assert.equal(reused.built, false);
  assert.deepEqual(reused.problems, built.problems);
  fs.writeFileSync(problemsFileOf(built.file), '{"version":1,"problems":"x"}');
  const rebuilt = await ensureSiteIndex(layout);
  assert.deepEqual([rebuilt.built, rebuilt.problems], [true, built.problems]);
});
