/**
 * The structure of the real RxRx1 screen, the skeleton the simulator dresses with synthetic cells: which
 * experiments exist (cell type, train/test), which siRNA group each plate holds, where each plate's control
 * wells are, and each experiment's channel pixel statistics (the size of its batch effect).
 * `deriveRxrx1Structure` reads it from the RxRx1 metadata files; `loadRxrx1Structure` reads the copy
 * embedded in assets/rxrx1/structure.json (regenerate with scripts/build-rxrx1-structure.mjs).
 * RxRx1 is CC BY-NC-SA 4.0, Recursion Pharmaceuticals (see assets/rxrx1/NOTICE.md).
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'csv-parse/sync';
import {
  CELL_TYPES,
  CHANNEL_COUNT,
  cellTypeOf,
  FIRST_POSITIVE_CONTROL,
  GROUP_COUNT,
  GROUP_SIZE,
  isUsedWell,
  NEGATIVE_CONTROL_SIRNA,
  NEGATIVE_CONTROL_WELL,
  PLATES_PER_EXPERIMENT,
  type CellType,
  type Dataset,
} from '../rxrx1/index.js';

export interface Rxrx1Experiment {
  /** `{cell type}-{NN}`, e.g. HEPG2-01. */
  name: string;
  cellType: CellType;
  dataset: Dataset;
  /** siRNA group held by plates 1..4 (index plate-1), from plate_groups.json group_assignment. */
  plateGroups: number[];
  /** Channel pixel means w1..w6 on the 0..255 scale, from experiment_pixel_stats.csv. */
  pixelMean: number[];
  /** Channel pixel standard deviations w1..w6. */
  pixelStd: number[];
  /** Control wells of plates 1..4 (index plate-1): well name -> sirna_id (1108..1137 positive, 1138 negative). */
  controls: Record<string, number>[];
}

export interface Rxrx1Structure {
  source: string;
  license: string;
  /** The 4 siRNA groups, each 277 treatment sirna_ids in ascending order. */
  groups: number[][];
  /** The 51 experiments, ordered by name. */
  experiments: Rxrx1Experiment[];
}

const SOURCE = 'RxRx1 metadata: train_controls.csv, test_controls.csv, plate_groups.json, experiment_pixel_stats.csv';
const LICENSE = 'CC BY-NC-SA 4.0, Recursion Pharmaceuticals (RxRx1)';

type Row = Record<string, string>;

function readCsv(file: string, columns: readonly string[]): Row[] {
  const rows = parse(fs.readFileSync(file), { columns: true, skip_empty_lines: true, trim: true }) as Row[];
  const missing = columns.filter((column) => rows.length > 0 && !(column in rows[0]));
  if (rows.length === 0 || missing.length > 0)
    throw new Error(`${file}: expected columns ${columns.join(',')} and at least one row`);
  return rows;
}

function integerField(file: string, line: number, row: Row, field: string, min: number, max: number): number {
  const value = Number(row[field]);
  if (row[field] === '' || !Number.isInteger(value) || value < min || value > max) {
    throw new Error(`${file}:${line}: ${field}="${row[field]}", expected an integer in ${min}..${max}`);
  }
  return value;
}

/** Control layouts of one controls CSV, keyed by experiment: plate index -> well -> sirna_id. */
function readControls(file: string): Map<string, Record<string, number>[]> {
  const byExperiment = new Map<string, Record<string, number>[]>();
  readCsv(file, ['experiment', 'plate', 'well', 'sirna', 'well_type']).forEach((row, index) => {
    const line = index + 2;
    const plate = integerField(file, line, row, 'plate', 1, PLATES_PER_EXPERIMENT);
    const sirna = integerField(file, line, row, 'sirna', FIRST_POSITIVE_CONTROL, NEGATIVE_CONTROL_SIRNA);
    const expectedType = sirna === NEGATIVE_CONTROL_SIRNA ? 'negative_control' : 'positive_control';
    if (row.well_type !== expectedType)
      throw new Error(`${file}:${line}: well_type="${row.well_type}", expected ${expectedType} for sirna ${sirna}`);
    if (!isUsedWell(row.well))
      throw new Error(`${file}:${line}: well="${row.well}", expected a used well B..O x 02..23`);
    if (!CELL_TYPES.includes(cellTypeOf(row.experiment) as CellType)) {
      throw new Error(`${file}:${line}: experiment="${row.experiment}", expected {${CELL_TYPES.join('|')}}-{NN}`);
    }
    let plates = byExperiment.get(row.experiment);
    if (!plates) {
      plates = Array.from({ length: PLATES_PER_EXPERIMENT }, () => ({}));
      byExperiment.set(row.experiment, plates);
    }
    plates[plate - 1][row.well] = sirna;
  });
  for (const [experiment, plates] of byExperiment) {
    plates.forEach((wells, index) => {
      if (wells[NEGATIVE_CONTROL_WELL] !== NEGATIVE_CONTROL_SIRNA) {
        throw new Error(
          `${file}: ${experiment} plate ${index + 1}: expected the negative control (sirna ` +
            `${NEGATIVE_CONTROL_SIRNA}) in well ${NEGATIVE_CONTROL_WELL}`,
        );
      }
    });
  }
  return byExperiment;
}

function readPixelStats(file: string): Map<string, { mean: number[]; std: number[] }> {
  const channels = Array.from({ length: CHANNEL_COUNT }, (_, i) => i + 1);
  const columns = ['experiment', ...channels.map((c) => `mean_w${c}`), ...channels.map((c) => `std_w${c}`)];
  const stats = new Map<string, { mean: number[]; std: number[] }>();
  readCsv(file, columns).forEach((row, index) => {
    const value = (field: string): number => {
      const number = Number(row[field]);
      if (row[field] === '' || !Number.isFinite(number) || number <= 0)
        throw new Error(`${file}:${index + 2}: ${field}="${row[field]}", expected a positive number`);
      return number;
    };
    stats.set(row.experiment, {
      mean: channels.map((c) => value(`mean_w${c}`)),
      std: channels.map((c) => value(`std_w${c}`)),
    });
  });
  return stats;
}

function readPlateGroups(file: string): { groups: number[][]; assignment: Record<string, number[]> } {
  const json = JSON.parse(fs.readFileSync(file, 'utf8')) as { groups?: unknown; group_assignment?: unknown };
  const groups = json.groups;
  if (
    !Array.isArray(groups) ||
    groups.length !== GROUP_COUNT ||
    !groups.every(
      (g) =>
        Array.isArray(g) &&
        g.length === GROUP_SIZE &&
        g.every((id) => Number.isInteger(id) && id >= 0 && id < FIRST_POSITIVE_CONTROL),
    )
  ) {
    throw new Error(
      `${file}: groups: expected ${GROUP_COUNT} arrays of ${GROUP_SIZE} treatment sirna ids ` +
        `0..${FIRST_POSITIVE_CONTROL - 1}`,
    );
  }
  if (new Set(groups.flat()).size !== GROUP_COUNT * GROUP_SIZE)
    throw new Error(`${file}: groups: expected disjoint groups covering ${GROUP_COUNT * GROUP_SIZE} siRNAs`);
  if (typeof json.group_assignment !== 'object' || json.group_assignment === null)
    throw new Error(`${file}: group_assignment: expected an object experiment -> [group of plate 1..4]`);
  return {
    groups: (groups as number[][]).map((g) => [...g].sort((a, b) => a - b)),
    assignment: json.group_assignment as Record<string, number[]>,
  };
}

/** Reads the RxRx1 structure from a metadata folder (the real RxRx1 metadata files); throws naming file and field. */
export function deriveRxrx1Structure(metadataDir: string): Rxrx1Structure {
  const file = (name: string) => path.join(metadataDir, name);
  const { groups, assignment } = readPlateGroups(file('plate_groups.json'));
  const stats = readPixelStats(file('experiment_pixel_stats.csv'));
  const experiments: Rxrx1Experiment[] = [];
  for (const dataset of ['train', 'test'] as const) {
    const controlsFile = file(`${dataset}_controls.csv`);
    for (const [name, controls] of readControls(controlsFile)) {
      const plateGroups = assignment[name];
      if (
        !Array.isArray(plateGroups) ||
        plateGroups.length !== PLATES_PER_EXPERIMENT ||
        [...plateGroups].sort().join() !== '0,1,2,3'
      ) {
        throw new Error(
          `${file('plate_groups.json')}: group_assignment["${name}"]: expected a permutation of 0..3 (one group ` +
            `per plate)`,
        );
      }
      const pixel = stats.get(name);
      if (!pixel)
        throw new Error(
          `${file('experiment_pixel_stats.csv')}: no row for experiment ${name} (it is in ${controlsFile})`,
        );
      if (experiments.some((e) => e.name === name))
        throw new Error(`${controlsFile}: experiment ${name} is also in the other controls file`);
      experiments.push({
        name,
        cellType: cellTypeOf(name) as CellType,
        dataset,
        plateGroups: [...plateGroups],
        pixelMean: pixel.mean,
        pixelStd: pixel.std,
        controls,
      });
    }
  }
  experiments.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return { source: SOURCE, license: LICENSE, groups, experiments };
}

/** The embedded asset, found beside the package root whether this module runs from src/ or dist/src/. */
function assetPath(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const candidates = [
    path.resolve(here, '..', '..', 'assets', 'rxrx1', 'structure.json'),
    path.resolve(here, '..', '..', '..', 'assets', 'rxrx1', 'structure.json'),
  ];
  const found = candidates.find((candidate) => fs.existsSync(candidate));
  if (!found) throw new Error(`RxRx1 structure asset not found (looked for ${candidates.join(' and ')})`);
  return found;
}

let cached: Rxrx1Structure | null = null;

/** The embedded RxRx1 structure (read once; treat it as read-only). */
export function loadRxrx1Structure(): Rxrx1Structure {
  cached ??= JSON.parse(fs.readFileSync(assetPath(), 'utf8')) as Rxrx1Structure;
  return cached;
}
