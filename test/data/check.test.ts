import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { checkDataset } from '../../src/data/check.js';
import { encodePng } from '../../src/codec/png.js';
import { REPO_ROOT, SHARED_RXRX1, tempDir, needsSample } from '../helpers.js';
import { officialRow, realOfficialDataset } from '../datasetFixtures.js';

const CLI = path.join(REPO_ROOT, 'dist', 'src', 'cli', 'main.js');

function cli(...args: string[]) {
  return spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8' });
}

test('checks the real RxRx1 files: only the absent images and the incomplete site 2 are reported', {
  skip: needsSample(),
}, async () => {
  const report = await checkDataset(SHARED_RXRX1, { threads: 2 });
  assert.equal(report.sites, 125510);
  assert.equal(report.expectedFiles, 753060);
  assert.equal(report.foundFiles, 180);
  // 18 real B02 wells (4 train experiments x 4 plates + HEPG2-08 x 2): site 1 has w1..w6, site 2 w1..w4.
  assert.equal(report.incompleteSites, 18);
  assert.equal(report.absentSites, 125510 - 36);
  assert.equal(report.problems.missing_channel.count, 753060 - 180);
  assert.match(
    report.problems.missing_channel.examples[0],
    /B02_s2_w5\.png: missing \(the site has its other channels\)/,
  );
  for (const kind of [
    'extra_file',
    'bad_format',
    'undecodable',
    'bad_field',
    'bad_row',
    'duplicate_id',
    'conflicting_id',
  ] as const)
    assert.equal(report.problems[kind].count, 0, kind);
  assert.equal(report.ok, false);
});

test('finds every kind of problem in one pass, and the CLI exits 0, 1 or 2', { skip: needsSample() }, async () => {
  const row = (well: string, site = 1) =>
    officialRow({ dataset: 'train', experiment: 'U2OS-01', plate: 1, well, site, wellType: 'treatment', sirnaId: 3 });
  const clean = realOfficialDataset([row('C03'), row('C04')], 'U2OS-01');
  const cleanReport = await checkDataset(clean);
  assert.equal(cleanReport.ok, true);
  assert.equal(cleanReport.foundFiles, 12);
  assert.equal(cli('check', clean).status, 0);

  const dir = realOfficialDataset([row('C03'), row('C04'), row('C05'), row('C06'), row('C07')], 'U2OS-01');
  const plate = path.join(dir, 'images', 'train', 'U2OS-01', 'Plate1');
  fs.rmSync(path.join(plate, 'C03_s1_w6.png'));
  fs.writeFileSync(path.join(plate, 'C04_s1_w2.png'), encodePng(new Uint8Array(100 * 100), 100, 100, 1));
  fs.writeFileSync(path.join(plate, 'C05_s1_w3.png'), encodePng(new Uint8Array(512 * 512 * 3), 512, 512, 3));
  const real = fs.readFileSync(path.join(plate, 'C06_s1_w1.png'));
  fs.writeFileSync(path.join(plate, 'C06_s1_w1.png'), real.subarray(0, real.length >> 1));
  fs.copyFileSync(path.join(plate, 'C07_s1_w1.png'), path.join(plate, 'D10_s1_w1.png'));
  fs.appendFileSync(
    path.join(dir, 'metadata.csv'),
    `${row('C07')}\n${officialRow({ dataset: 'train', experiment: 'U2OS-01', plate: 7, well: 'C08', site: 1, wellType: 'treatment', sirnaId: 3 })}\n` +
      // One short row (a bad row, not an unreadable dataset) and a row that contradicts an earlier one.
      `U2OS-01_1_C09_1,U2OS-01_1_C09,U2OS\n${row('C06').replace(',3', ',4')}\n`,
  );

  const report = await checkDataset(dir, { threads: 1 });
  const counts = Object.fromEntries(Object.entries(report.problems).map(([kind, p]) => [kind, p.count]));
  assert.deepEqual(counts, {
    missing_channel: 1,
    extra_file: 1,
    bad_format: 2,
    undecodable: 1,
    bad_field: 1,
    bad_row: 1,
    duplicate_id: 1,
    conflicting_id: 1,
  });
  assert.deepEqual(report.problems.bad_format.examples.sort(), [
    'train/U2OS-01/Plate1/C04_s1_w2.png: 100x100 8-bit grayscale, expected 512x512 8-bit grayscale',
    'train/U2OS-01/Plate1/C05_s1_w3.png: 512x512 8-bit colour type 2, expected 512x512 8-bit grayscale',
  ]);
  assert.match(report.problems.undecodable.examples[0], /C06_s1_w1\.png: truncated PNG/);
  assert.match(report.problems.extra_file.examples[0], /D10_s1_w1\.png: not in the metadata/);
  assert.match(report.problems.bad_field.examples[0], /metadata\.csv:8: plate="7": expected an integer in 1\.\.4/);
  assert.match(report.problems.bad_row.examples[0], /metadata\.csv:9: 3 field\(s\), expected 11/);
  assert.match(
    report.problems.conflicting_id.examples[0],
    /metadata\.csv:10: site_id="U2OS-01_1_C06_1": conflicts with the row at .*metadata\.csv:5 \(sirnaId 3 vs 4\)$/,
  );
  // Header mode inflates nothing, yet the chunk lengths and the file size show the truncated file.
  const quick = await checkDataset(dir, { decode: 'header' });
  assert.equal(quick.problems.bad_format.count, 2);
  assert.equal(quick.problems.undecodable.count, 1);
  assert.match(quick.problems.undecodable.examples[0], /C06_s1_w1\.png: truncated PNG: chunk "IDAT"/);

  const result = cli('check', dir, '--json');
  assert.equal(result.status, 1);
  assert.equal(JSON.parse(result.stdout).problems.undecodable.count, 1);
  const unreadable = cli('check', tempDir());
  assert.equal(unreadable.status, 2);
  assert.match(unreadable.stderr, /no RxRx1 metadata found/);
});
