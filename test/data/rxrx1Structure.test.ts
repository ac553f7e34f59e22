import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { deriveRxrx1Structure, loadRxrx1Structure } from '../../src/data/rxrx1Structure.js';
import { NEGATIVE_CONTROL_SIRNA } from '../../src/rxrx1/index.js';
import { SHARED_RXRX1, tempDir, needsSample } from '../helpers.js';

const METADATA = path.join(SHARED_RXRX1, 'metadata');

test('the embedded structure is exactly what the real RxRx1 metadata derives', { skip: needsSample() }, () => {
  assert.deepEqual(deriveRxrx1Structure(METADATA), loadRxrx1Structure());
});

test('the structure holds the real RxRx1 facts', () => {
  const { groups, experiments } = loadRxrx1Structure();
  assert.equal(experiments.length, 51);
  assert.equal(experiments.filter((e) => e.dataset === 'train').length, 33);
  assert.equal(experiments.filter((e) => e.dataset === 'test').length, 18);
  assert.deepEqual(
    groups.map((g) => g.length),
    [277, 277, 277, 277],
  );
  assert.equal(new Set(groups.flat()).size, 1108);
  const counts = Object.fromEntries(
    ['HEPG2', 'HUVEC', 'RPE', 'U2OS'].map((t) => [t, experiments.filter((e) => e.cellType === t).length]),
  );
  assert.deepEqual(counts, { HEPG2: 11, HUVEC: 24, RPE: 11, U2OS: 5 });
  const hepg201 = experiments.find((e) => e.name === 'HEPG2-01')!;
  assert.deepEqual(hepg201.plateGroups, [1, 2, 3, 0]);
  assert.equal(hepg201.pixelMean[0], 37.9479);
  assert.equal(hepg201.pixelStd[5], 15.0145);
  // train_controls.csv: HEPG2-01_1_C03 holds positive control 1109, plus a second negative control in O18.
  assert.equal(hepg201.controls[0].C03, 1109);
  assert.equal(hepg201.controls[0].O18, NEGATIVE_CONTROL_SIRNA);
  assert.equal(experiments.find((e) => e.name === 'HEPG2-08')!.dataset, 'test');
  for (const experiment of experiments) {
    experiment.controls.forEach((wells) => {
      assert.equal(wells.B02, NEGATIVE_CONTROL_SIRNA, `${experiment.name}: B02 must be the negative control`);
    });
  }
  // Every plate holds the 30 positive controls, bar a few wells missing from the release (28..30 kept).
  const positives = experiments.flatMap((e) =>
    e.controls.map((wells) => Object.values(wells).filter((id) => id !== NEGATIVE_CONTROL_SIRNA).length),
  );
  assert.equal(Math.max(...positives), 30);
  assert.equal(Math.min(...positives), 28);
});

test('derive names the file and field it cannot use', { skip: needsSample() }, () => {
  const dir = tempDir();
  for (const name of fs.readdirSync(METADATA)) fs.copyFileSync(path.join(METADATA, name), path.join(dir, name));
  const groups = JSON.parse(fs.readFileSync(path.join(dir, 'plate_groups.json'), 'utf8'));
  delete groups.group_assignment['RPE-03'];
  fs.writeFileSync(path.join(dir, 'plate_groups.json'), JSON.stringify(groups));
  assert.throws(
    () => deriveRxrx1Structure(dir),
    /plate_groups\.json: group_assignment\["RPE-03"\]: expected a permutation of 0\.\.3/,
  );
  const stats = fs
    .readFileSync(path.join(METADATA, 'experiment_pixel_stats.csv'), 'utf8')
    .replace(/^U2OS-05,.*\n?/m, '');
  fs.writeFileSync(path.join(dir, 'experiment_pixel_stats.csv'), stats);
  fs.copyFileSync(path.join(METADATA, 'plate_groups.json'), path.join(dir, 'plate_groups.json'));
  assert.throws(() => deriveRxrx1Structure(dir), /experiment_pixel_stats\.csv: no row for experiment U2OS-05/);
});
