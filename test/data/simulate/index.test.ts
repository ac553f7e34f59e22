import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { decodeGray8 } from '../../../src/codec/png.js';
import { loadRxrx1Structure } from '../../../src/data/rxrx1Structure.js';
import { isUsedWell } from '../../../src/rxrx1/index.js';
import {
  simulate,
  PRESETS,
  type GroundTruth,
  type Preset,
  type SimulateSummary,
} from '../../../src/data/simulate/index.js';
import { tempDir } from '../../helpers.js';

const COLUMNS = 'site_id,well_id,cell_type,dataset,experiment,plate,well,site,well_type,sirna,sirna_id';
/** Two experiments, a handful of wells: enough to exercise every code path quickly. */
const MINI: Preset = {
  experiments: ['HEPG2-01', 'HUVEC-17'],
  groups: [0],
  sirnasPerGroup: 3,
  replicates: 1,
  positiveControls: 2,
};

type Row = Record<string, string>;
interface Run {
  dir: string;
  summary: SimulateSummary;
  rows: Row[];
  truth: GroundTruth;
}

async function run(options: Omit<Parameters<typeof simulate>[0], 'out'>): Promise<Run> {
  const dir = tempDir('phenomap-sim-');
  const summary = await simulate({ out: dir, ...options });
  const rows = parse(fs.readFileSync(path.join(dir, 'metadata.csv')), { columns: true }) as Row[];
  const truth = JSON.parse(fs.readFileSync(path.join(dir, 'ground_truth.json'), 'utf8')) as GroundTruth;
  return { dir, summary, rows, truth };
}

function imagePath(dir: string, row: Row, channel: number): string {
  return path.join(
    dir,
    'images',
    row.dataset,
    row.experiment,
    `Plate${row.plate}`,
    `${row.well}_s${row.site}_w${channel}.png`,
  );
}

function listFiles(dir: string): string[] {
  return (fs.readdirSync(dir, { recursive: true }) as string[])
    .filter((f) => fs.statSync(path.join(dir, f)).isFile())
    .sort();
}

function channel(dir: string, row: Row, c: number): Uint8Array {
  return decodeGray8(fs.readFileSync(imagePath(dir, row, c)), { width: 512, height: 512 }).pixels;
}

function mean(values: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += values[i];
  return sum / values.length;
}

let tiny: Run;
let flat: Run;

before(async () => {
  tiny = await run({ preset: 'tiny', seed: 11, threads: 2 });
  flat = await run({ preset: 'tiny', seed: 11, threads: 2, batchStrength: 0 });
});

test('the same seed gives byte-identical files with 1 and 2 threads; another seed does not', async () => {
  const one = await run({ preset: MINI, seed: 5, threads: 1 });
  const two = await run({ preset: MINI, seed: 5, threads: 2 });
  const files = listFiles(one.dir);
  assert.deepEqual(listFiles(two.dir), files);
  assert.equal(files.length, one.rows.length * 6 + 2);
  for (const file of files)
    assert.ok(
      fs.readFileSync(path.join(one.dir, file)).equals(fs.readFileSync(path.join(two.dir, file))),
      `${file} differs between 1 and 2 threads`,
    );
  const other = await run({ preset: MINI, seed: 6, threads: 2 });
  const first = one.rows[0];
  assert.ok(
    !fs.readFileSync(imagePath(one.dir, first, 1)).equals(fs.readFileSync(imagePath(other.dir, first, 1))),
    'seed 6 should draw different cells than seed 5',
  );
});

test('metadata.csv has the official columns, consistent ids and the real plate structure', () => {
  const { rows, dir, summary } = tiny;
  assert.equal(fs.readFileSync(path.join(dir, 'metadata.csv'), 'utf8').split('\n')[0], COLUMNS);
  assert.deepEqual(summary, {
    ...summary,
    experiments: 3,
    plates: 3,
    sites: rows.length,
    wells: rows.length / 2,
    files: rows.length * 6,
  });
  assert.ok(rows.length >= 80 && rows.length <= 120, `tiny has ${rows.length} sites`);
  const structure = loadRxrx1Structure();
  const sites = new Set<string>();
  for (const row of rows) {
    const experiment = structure.experiments.find((e) => e.name === row.experiment)!;
    assert.ok(PRESETS.tiny.experiments.includes(row.experiment));
    assert.equal(row.site_id, `${row.experiment}_${row.plate}_${row.well}_${row.site}`);
    assert.equal(row.well_id, `${row.experiment}_${row.plate}_${row.well}`);
    assert.equal(row.cell_type, experiment.cellType);
    assert.equal(row.dataset, experiment.dataset);
    assert.ok(isUsedWell(row.well), row.well);
    assert.ok(row.site === '1' || row.site === '2');
    sites.add(row.site_id);
    const plate = Number(row.plate);
    const sirnaId = Number(row.sirna_id);
    const controls = experiment.controls[plate - 1];
    if (row.well === 'B02') assert.deepEqual([row.well_type, row.sirna, sirnaId], ['negative_control', 'EMPTY', 1138]);
    if (row.well_type === 'treatment') {
      // The plate's group per group_assignment, and never a control well.
      assert.ok(
        structure.groups[experiment.plateGroups[plate - 1]].includes(sirnaId),
        `${row.site_id}: siRNA ${sirnaId} is not in the plate's group`,
      );
      assert.equal(controls[row.well], undefined, `${row.site_id}: a treatment in a control well`);
      assert.match(row.sirna, /^SIM\d{4}$/);
    } else {
      assert.equal(controls[row.well], sirnaId, `${row.site_id}: control ${sirnaId} is not at its real well`);
      assert.equal(row.well_type, sirnaId === 1138 ? 'negative_control' : 'positive_control');
    }
  }
  assert.equal(sites.size, rows.length, 'site ids are unique');
  assert.equal(rows.filter((r) => r.well === 'B02').length, 6, 'B02 in each of the 3 plates, 2 sites each');
  assert.deepEqual(
    listFiles(dir).filter((f) => f.includes('.partial-')),
    [],
    'no temporary files left',
  );
});

test('every image decodes as 512x512 8-bit grayscale', () => {
  for (const row of tiny.rows) for (let c = 1; c <= 6; c++) assert.equal(channel(tiny.dir, row, c).length, 512 * 512);
});

test('ground truth records the run, the siRNAs, the batch parameters and every site', () => {
  const { truth, rows } = tiny;
  assert.equal(truth.seed, 11);
  assert.equal(truth.preset, 'tiny');
  assert.equal(truth.version, 2);
  assert.deepEqual(
    Object.keys(truth.sites),
    rows.map((r) => r.site_id),
  );
  for (const site of Object.values(truth.sites))
    assert.ok(site.cells > 20 && site.nucleusArea > 50, JSON.stringify(site));
  assert.deepEqual(truth.sirnas['1138'].hasEffect, false);
  const positives = Object.values(truth.sirnas).filter((s) => s.wellType === 'positive_control');
  assert.equal(positives.length, 6);
  assert.ok(positives.every((s) => s.hasEffect && s.strength >= 1.5));
  assert.deepEqual(Object.keys(truth.experiments).sort(), ['HEPG2-01', 'HUVEC-17', 'U2OS-02']);
  assert.equal(truth.experiments['HEPG2-01'].plates['4'].group, 0);
});

/** Mean w1 grey level per experiment over the sites whose siRNA has no effect (batch only, no biology). */
function w1MeanByExperiment(result: Run): Record<string, number> {
  const sums: Record<string, number[]> = {};
  for (const row of result.rows) {
    if (result.truth.sirnas[row.sirna_id].hasEffect) continue;
    sums[row.experiment] ??= [];
    sums[row.experiment].push(mean(channel(result.dir, row, 1)));
  }
  return Object.fromEntries(Object.entries(sums).map(([e, values]) => [e, mean(values)]));
}

test('batch effect: w1 means follow the real experiments at strength 1 and collapse at strength 0', () => {
  const real = Object.fromEntries(loadRxrx1Structure().experiments.map((e) => [e.name, e.pixelMean[0]]));
  const strong = w1MeanByExperiment(tiny);
  for (const [experiment, value] of Object.entries(strong)) {
    // Unperturbed wells are as bright as the real sample's negative controls, which are brighter than their
    // experiment's mean by the cell type's calibrated controlBrightness (the mean includes knockdowns).
    const cellType = tiny.truth.experiments[experiment].cellType;
    const expected = real[experiment] * tiny.truth.cellTypes[cellType]!.profile.controlBrightness[0];
    assert.ok(
      Math.abs(value / expected - 1) < 0.25,
      `${experiment}: simulated w1 mean ${value.toFixed(2)}, real ${real[experiment]}, expected ${expected.toFixed(2)}`,
    );
  }
  const order = (means: Record<string, number>) => Object.keys(means).sort((a, b) => means[a] - means[b]);
  assert.deepEqual(order(strong), ['HUVEC-17', 'U2OS-02', 'HEPG2-01']);
  const spread = (means: Record<string, number>) =>
    Math.max(...Object.values(means)) / Math.min(...Object.values(means));
  assert.ok(spread(strong) > 8, `strength 1 spread ${spread(strong)}`);
  const none = w1MeanByExperiment(flat);
  // What is left at strength 0 is biology: HEPG2's nuclei cover about half of a site, HUVEC's a fifth (real sample).
  assert.ok(spread(none) < 2.5, `strength 0 spread ${spread(none)}: ${JSON.stringify(none)}`);
  const gains = Object.values(flat.truth.experiments).map((e) => e.batch.gain);
  assert.ok(
    gains.every((g) => g.every((v, c) => v === gains[0][c])),
    'strength 0: every experiment images with the reference gains',
  );
});

test('a strong siRNA phenotype shows in the pixels: nuclear area tracks its ground-truth change', () => {
  const { truth, rows, dir } = tiny;
  // Expected log change of nuclear area per site: cell count plus twice the nucleus radius change.
  const expected = (row: Row) => {
    const p = truth.sirnas[row.sirna_id].phenotype;
    return (p.cellCount + 2 * p.nucleusSize) * truth.cellTypes[row.cell_type as 'HEPG2']!.profile.sensitivity;
  };
  const strongest = rows
    .filter((r) => r.cell_type !== 'HEPG2')
    .reduce((best, r) => (expected(r) < expected(best) ? r : best));
  assert.ok(expected(strongest) < -0.4, `the tiny preset should hold a strong siRNA (best ${expected(strongest)})`);
  const sameExperiment = rows.filter((r) => r.experiment === strongest.experiment);
  const treated = sameExperiment.filter((r) => r.sirna_id === strongest.sirna_id);
  const baseline = sameExperiment.filter((r) => !truth.sirnas[r.sirna_id].hasEffect);
  // Nuclear area = pixels above a threshold halfway between background and bright nuclei of baseline sites.
  const sorted = Uint8Array.from(
    baseline.flatMap((r) => Array.from(channel(dir, r, 1).filter((_, i) => i % 97 === 0))),
  ).sort();
  const threshold = (sorted[Math.floor(sorted.length * 0.05)] + sorted[Math.floor(sorted.length * 0.99)]) / 2;
  const area = (group: Row[]) => mean(group.map((r) => channel(dir, r, 1).filter((v) => v > threshold).length));
  const cells = (group: Row[]) =>
    mean(group.map((r) => truth.sites[r.site_id].cells * truth.sites[r.site_id].nucleusArea));
  const measured = Math.log(area(treated) / area(baseline));
  const truthChange = Math.log(cells(treated) / cells(baseline));
  assert.ok(truthChange < -0.3, `ground-truth nuclear area change ${truthChange}`);
  assert.ok(
    measured < 0.5 * expected(strongest),
    `siRNA ${strongest.sirna_id} in ${strongest.experiment}: measured ${measured.toFixed(2)}, expected ${expected(strongest).toFixed(2)}`,
  );
  assert.ok(
    Math.abs(measured - truthChange) < 0.35,
    `pixels ${measured.toFixed(2)} vs ground truth ${truthChange.toFixed(2)}`,
  );
});

test('bad options are rejected naming the option and what was expected', async () => {
  const out = tempDir();
  await assert.rejects(
    simulate({ out, preset: 'huge' as 'tiny', seed: 1 }),
    /preset="huge", expected one of tiny, small, medium/,
  );
  await assert.rejects(simulate({ out, preset: 'tiny', seed: 1, threads: 0 }), /threads=0, expected an integer >= 1/);
  await assert.rejects(
    simulate({ out, preset: 'tiny', seed: 1, batchStrength: -1 }),
    /batchStrength=-1, expected a number >= 0/,
  );
  await assert.rejects(
    simulate({ out, preset: { ...MINI, experiments: ['HEPG2-99'] }, seed: 1 }),
    /preset\.experiments: unknown experiment\(s\) HEPG2-99/,
  );
  await assert.rejects(
    simulate({ out, preset: { ...MINI, sirnasPerGroup: 200, replicates: 2 }, seed: 1 }),
    /400 treatment wells .* do not fit the 276 non-control wells of HEPG2-01 plate 4/,
  );
  assert.equal(fs.existsSync(path.join(out, 'metadata.csv')), false);
});
