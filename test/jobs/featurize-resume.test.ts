/**
 * Issue 12's on-disk cases of featurize: a plate with no readable site writes no part and is reported, absent sites
 * (a partial download) are counted but not listed, a damaged part is redone because it no longer verifies against
 * its manifest, the exit code says 0 / 1 / 2, and a rerun keeps run.json's record of the plates it skipped.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { Command } from 'commander';
import { registerFeaturizeCommands } from '../../src/cli/featurize.js';
import { featurizeDataset, type SiteProblem } from '../../src/jobs/featurize.js';
import { META, readProfiles } from '../../src/store/profiles.js';
import { officialRow, realOfficialDataset } from '../datasetFixtures.js';
import { needsSample, SHARED_RXRX1, tempDir } from '../helpers.js';

const base = { dataset: 'train' as const, experiment: 'HUVEC-01', site: 1, wellType: 'treatment' as const };

/** Plate 1: two good sites; plate 2: one site whose images are all absent; plate 3: one site, all PNGs corrupt. */
function mixedDataset(): string {
  const dir = realOfficialDataset(
    [
      officialRow({ ...base, plate: 1, well: 'B02', sirnaId: 7 }),
      officialRow({ ...base, plate: 1, well: 'B03', sirnaId: 8 }),
      officialRow({ ...base, plate: 2, well: 'B02', sirnaId: 7 }),
      officialRow({ ...base, plate: 3, well: 'B02', sirnaId: 7 }),
    ],
    'HUVEC-01',
  );
  fs.rmSync(path.join(dir, 'images', 'train', 'HUVEC-01', 'Plate2'), { recursive: true });
  for (let channel = 1; channel <= 6; channel++)
    fs.writeFileSync(path.join(dir, 'images', 'train', 'HUVEC-01', 'Plate3', `B02_s1_w${channel}.png`), 'not a png');
  return dir;
}

/** Runs `phenomap featurize ...` in-process; returns its exit code and what it printed. */
async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const program = new Command().exitOverride();
  registerFeaturizeCommands(program);
  const [log, error] = [console.log, console.error];
  const stdout: string[] = [];
  const stderr: string[] = [];
  console.log = (line: string) => stdout.push(line);
  console.error = (line: string) => stderr.push(line);
  const before = process.exitCode;
  try {
    await program.parseAsync(['featurize', ...args, '--threads', '1'], { from: 'user' });
    return { code: Number(process.exitCode ?? 0), stdout: stdout.join('\n'), stderr: stderr.join('\n') };
  } finally {
    [console.log, console.error] = [log, error];
    process.exitCode = before;
  }
}

test('a plate with no readable site writes no part and is reported; absent sites are counted, not listed', {
  skip: needsSample(),
}, async () => {
  const dir = mixedDataset();
  const out = tempDir('phenomap-featurize-mixed-');
  const summary = await featurizeDataset(dir, { out, threads: 1 });
  assert.deepEqual(
    summary.plates.map((p) => [p.plate, p.status, p.featurized, p.absent, p.failed]),
    [
      ['HUVEC-01_1', 'done', 2, 0, 0],
      ['HUVEC-01_2', 'empty', 0, 1, 0],
      ['HUVEC-01_3', 'empty', 0, 0, 1],
    ],
  );
  assert.match(summary.plates[1].note ?? '', /none of its 1 sites has an image file/);
  assert.match(summary.plates[2].note ?? '', /could be featurized; first: HUVEC-01_3_B02_1: .*(not a PNG|signature)/i);
  assert.deepEqual(fs.readdirSync(path.join(out, 'sites')), ['HUVEC-01_1.parquet']);
  assert.deepEqual(fs.readdirSync(path.join(out, 'manifests')), ['HUVEC-01_1.json']);
  const problems = JSON.parse(fs.readFileSync(path.join(out, 'problems.json'), 'utf8')) as SiteProblem[];
  assert.deepEqual(
    problems.map((p) => p.siteId),
    ['HUVEC-01_3_B02_1'],
    'the corrupt site is listed, the absent one is not',
  );
  assert.equal(summary.exitCode, 1, 'done, with a failed site');
  // What is on disk reads as one table (no empty part with other columns).
  assert.equal(readProfiles(path.join(out, 'sites')).rows, 2);

  // A rerun retries the plates with no part (more of the download may have arrived) and skips the complete one.
  const again = await featurizeDataset(dir, { out, threads: 1 });
  assert.deepEqual(
    again.plates.map((p) => p.status),
    ['complete', 'empty', 'empty'],
  );
  assert.equal(again.exitCode, 1);
});

test('exit codes: 0 all done, 1 done with failed sites, 2 nothing could be done', { skip: needsSample() }, async () => {
  const dir = mixedDataset();
  const ok = await cli([dir, '--out', tempDir(), '--plate', '1']);
  assert.equal(ok.code, 0);
  assert.match(ok.stdout, /featurized 2 of 2 sites/);
  const partial = await cli([dir, '--out', tempDir()]);
  assert.equal(partial.code, 1);
  assert.match(partial.stderr, /1 plate\(s\) have no images at all .*HUVEC-01_2/);
  assert.match(
    partial.stderr,
    /plate HUVEC-01_3: no part written: none of its 1 sites with images could be featurized/,
  );
  const nothing = await cli([dir, '--out', tempDir(), '--plate', '2,3']);
  assert.equal(nothing.code, 2);
  assert.match(nothing.stderr, /nothing could be featurized/);
  // No site selected at all: a DatasetError, which the command line turns into exit 2 (cli/main.ts).
  await assert.rejects(cli([dir, '--out', tempDir(), '--plate', '4']), /no sites: none of the 4 sites/);
});

test('a part cut short, emptied or missing no longer verifies and is redone to the same rows', {
  skip: needsSample(),
}, async () => {
  const rows = [1, 2, 3].map((plate) => officialRow({ ...base, plate, well: 'B02', sirnaId: 7 }));
  const dir = realOfficialDataset(rows, 'HUVEC-01');
  const out = tempDir('phenomap-featurize-damaged-');
  const first = await featurizeDataset(dir, { out, threads: 1, perCell: true });
  assert.equal(first.exitCode, 0);
  const reference = readProfiles(path.join(out, 'sites'));
  const part = (plate: number) => path.join(out, 'sites', `HUVEC-01_${plate}.parquet`);
  const size = fs.statSync(part(1)).size;
  fs.truncateSync(part(1), Math.floor(size / 2));
  fs.truncateSync(part(2), 0);
  fs.rmSync(path.join(out, 'cells', 'HUVEC-01_3.parquet'));
  const again = await featurizeDataset(dir, { out, threads: 1, perCell: true });
  assert.deepEqual(
    again.plates.map((p) => [p.status, p.note]),
    [
      ['done', `sites/HUVEC-01_1.parquet has ${Math.floor(size / 2)} bytes, the manifest says ${size}`],
      ['done', `sites/HUVEC-01_2.parquet has 0 bytes, the manifest says ${fs.statSync(part(2)).size}`],
      ['done', 'cells/HUVEC-01_3.parquet is missing'],
    ],
  );
  const redone = readProfiles(path.join(out, 'sites'));
  assert.deepEqual(redone.metadata[META.siteId], reference.metadata[META.siteId]);
  assert.deepEqual(redone.columns, reference.columns);

  // Same size, other bytes: the checksum catches it. Another configuration is not complete either.
  const bytes = fs.readFileSync(part(1));
  bytes[bytes.length >> 1] ^= 0xff;
  fs.writeFileSync(part(1), bytes);
  const third = await featurizeDataset(dir, { out, threads: 1, perCell: true, filter: { plate: [1] } });
  assert.equal(third.plates[0].note, 'sites/HUVEC-01_1.parquet does not match its checksum');
  const other = await featurizeDataset(dir, { out, threads: 1, filter: { plate: [1] } });
  assert.deepEqual([other.plates[0].status, other.plates[0].note], ['done', 'made with another configuration']);
});

test("a rerun keeps run.json's record of the plates it skipped", { skip: needsSample() }, async () => {
  const dir = realOfficialDataset([officialRow({ ...base, plate: 1, well: 'B02', sirnaId: 7 })], 'HUVEC-01');
  const out = tempDir('phenomap-featurize-record-');
  await featurizeDataset(dir, { out, threads: 1 });
  const first = JSON.parse(fs.readFileSync(path.join(out, 'run.json'), 'utf8'));
  await featurizeDataset(dir, { out, threads: 1 });
  const second = JSON.parse(fs.readFileSync(path.join(out, 'run.json'), 'utf8'));
  assert.equal(second.plates[0].skipped, true);
  assert.equal(second.plates[0].featurized, 1);
  assert.equal(second.plates[0].seconds, first.plates[0].seconds);
  assert.ok(second.plates[0].seconds > 0);
});

test('the real sample as a partial download: what is on disk is featurized, the absent plates are reported', {
  skip: needsSample(),
}, async () => {
  const out = tempDir('phenomap-featurize-sample-');
  // Only the plates of one experiment, so the test stays short: HEPG2-01 has images for B02 of plates 1-4.
  const summary = await featurizeDataset(SHARED_RXRX1, {
    out,
    threads: 2,
    filter: { experiment: ['HEPG2-01', 'HEPG2-02'] },
  });
  assert.equal(summary.plates.length, 8);
  const byStatus = (status: string) => summary.plates.filter((p) => p.status === status).map((p) => p.plate);
  assert.deepEqual(byStatus('done'), ['HEPG2-01_1', 'HEPG2-01_2', 'HEPG2-01_3', 'HEPG2-01_4']);
  assert.deepEqual(byStatus('empty'), ['HEPG2-02_1', 'HEPG2-02_2', 'HEPG2-02_3', 'HEPG2-02_4']);
  // Site 1 of B02 has six channels; site 2 has w1..w4 only (incomplete: failed and listed).
  assert.equal(summary.featurized, 4);
  assert.equal(summary.failed, 4);
  assert.equal(summary.absent, summary.sites - 8);
  assert.equal(summary.exitCode, 1);
  const problems = JSON.parse(fs.readFileSync(path.join(out, 'problems.json'), 'utf8')) as SiteProblem[];
  assert.deepEqual(
    problems.map((p) => p.siteId),
    ['HEPG2-01_1_B02_2', 'HEPG2-01_2_B02_2', 'HEPG2-01_3_B02_2', 'HEPG2-01_4_B02_2'],
  );
});
