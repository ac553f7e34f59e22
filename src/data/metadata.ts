import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import {
  cellTypeOf,
  type Dataset,
  isUsedWell,
  MAX_SIRNA_ID,
  PLATES_PER_EXPERIMENT,
  siteId,
  SITES_PER_WELL,
  WELL_TYPES,
  wellId,
  type WellType,
} from '../rxrx1/index.js';
import type { SiteRecord } from './site.js';
import { DatasetError, type DatasetLayout } from './layout.js';

export const OFFICIAL_COLUMNS = [
  'site_id',
  'well_id',
  'cell_type',
  'dataset',
  'experiment',
  'plate',
  'well',
  'site',
  'well_type',
  'sirna',
  'sirna_id',
] as const;
const KAGGLE_REQUIRED = ['id_code', 'experiment', 'plate', 'well'] as const;

export type MetadataProblemKind = 'bad_field' | 'duplicate_id';

/** One bad metadata row; `line` is the 1-based line in the file (the header is line 1). */
export interface MetadataProblem {
  kind: MetadataProblemKind;
  file: string;
  line: number;
  field: string;
  message: string;
}

export interface MetadataResult {
  sites: SiteRecord[];
  problems: MetadataProblem[];
}

type Row = Record<string, string>;

function readCsv(file: string, required: readonly string[]): Row[] {
  let rows: Row[];
  try {
    rows = parse(fs.readFileSync(file), { columns: true, skip_empty_lines: true, trim: true }) as Row[];
  } catch (error) {
    throw new DatasetError(`${file}: cannot be read as CSV (${(error as Error).message})`);
  }
  const header = rows.length > 0 ? Object.keys(rows[0]) : [];
  const missing = required.filter((column) => !header.includes(column));
  if (rows.length > 0 && missing.length > 0) {
    throw new DatasetError(`${file}: missing column(s) ${missing.join(', ')} (expected ${required.join(',')})`);
  }
  return rows;
}

/** Validates row fields one by one, collecting every problem of the row instead of stopping at the first. */
class RowChecker {
  readonly problems: MetadataProblem[] = [];
  constructor(
    private readonly file: string,
    private readonly line: number,
    private readonly row: Row,
  ) {}

  private fail(field: string, expected: string): void {
    this.problems.push({
      kind: 'bad_field',
      file: this.file,
      line: this.line,
      field,
      message: `${field}="${this.row[field] ?? ''}": expected ${expected}`,
    });
  }

  integer(field: string, min: number, max: number): number | null {
    const text = this.row[field] ?? '';
    const value = Number(text);
    if (text === '' || !Number.isInteger(value) || value < min || value > max) {
      this.fail(field, `an integer in ${min}..${max}`);
      return null;
    }
    return value;
  }

  optionalInteger(field: string, min: number, max: number): number | null {
    return (this.row[field] ?? '') === '' ? null : this.integer(field, min, max);
  }

  oneOf<T extends string>(field: string, allowed: readonly T[]): T | null {
    const value = this.row[field] as T;
    if (!allowed.includes(value)) {
      this.fail(field, `one of ${allowed.join(', ')}`);
      return null;
    }
    return value;
  }

  experiment(field: string): string | null {
    const value = this.row[field] ?? '';
    if (!/^[A-Za-z0-9]+-\d+$/.test(value)) {
      this.fail(field, 'an experiment name {cell type}-{NN}, e.g. HEPG2-01');
      return null;
    }
    return value;
  }

  well(field: string): string | null {
    const value = this.row[field] ?? '';
    if (!isUsedWell(value)) {
      this.fail(field, 'a used RxRx1 well, rows B..O x columns 02..23 (e.g. B02)');
      return null;
    }
    return value;
  }

  equals(field: string, expected: string): void {
    if (this.row[field] !== expected) this.fail(field, `"${expected}" (derived from the other fields)`);
  }
}

function datasetOfKaggleFile(file: string): Dataset {
  return path.basename(file).startsWith('test') ? 'test' : 'train';
}

/** Reads the sites of an official metadata.csv. */
function readOfficial(file: string, seen: Map<string, string>, result: MetadataResult): void {
  readCsv(file, OFFICIAL_COLUMNS).forEach((row, index) => {
    const check = new RowChecker(file, index + 2, row);
    const experiment = check.experiment('experiment');
    const plate = check.integer('plate', 1, PLATES_PER_EXPERIMENT);
    const well = check.well('well');
    const site = check.integer('site', 1, SITES_PER_WELL);
    const dataset = check.oneOf('dataset', ['train', 'test'] as const);
    const wellType = check.oneOf('well_type', WELL_TYPES);
    const sirnaId = check.optionalInteger('sirna_id', 0, MAX_SIRNA_ID);
    if (experiment !== null && plate !== null && well !== null && site !== null) {
      check.equals('site_id', siteId(experiment, plate, well, site));
      check.equals('well_id', wellId(experiment, plate, well));
      check.equals('cell_type', cellTypeOf(experiment));
    }
    result.problems.push(...check.problems);
    if (
      check.problems.length > 0 ||
      experiment === null ||
      plate === null ||
      well === null ||
      site === null ||
      dataset === null ||
      wellType === null
    )
      return;
    const record: SiteRecord = {
      siteId: row.site_id,
      wellId: row.well_id,
      cellType: row.cell_type,
      dataset,
      experiment,
      plate,
      well,
      site,
      wellType,
      sirna: row.sirna === '' ? null : row.sirna,
      sirnaId,
    };
    addUnique(record, file, index + 2, 'site_id', seen, result);
  });
}

/** Reads one Kaggle CSV: one row per well, expanded to its two sites. */
function readKaggle(file: string, seen: Map<string, string>, result: MetadataResult): void {
  const dataset = datasetOfKaggleFile(file);
  const controls = path.basename(file).includes('controls');
  readCsv(file, controls ? [...KAGGLE_REQUIRED, 'sirna', 'well_type'] : KAGGLE_REQUIRED).forEach((row, index) => {
    const check = new RowChecker(file, index + 2, row);
    const experiment = check.experiment('experiment');
    const plate = check.integer('plate', 1, PLATES_PER_EXPERIMENT);
    const well = check.well('well');
    const wellType: WellType | null = controls
      ? check.oneOf('well_type', ['negative_control', 'positive_control'] as const)
      : 'treatment';
    const sirnaId = 'sirna' in row ? check.integer('sirna', 0, MAX_SIRNA_ID) : null;
    if (experiment !== null && plate !== null && well !== null)
      check.equals('id_code', wellId(experiment, plate, well));
    result.problems.push(...check.problems);
    if (check.problems.length > 0 || experiment === null || plate === null || well === null || wellType === null)
      return;
    for (let site = 1; site <= SITES_PER_WELL; site++) {
      const record: SiteRecord = {
        siteId: siteId(experiment, plate, well, site),
        wellId: row.id_code,
        cellType: cellTypeOf(experiment),
        dataset,
        experiment,
        plate,
        well,
        site,
        wellType,
        sirna: null,
        sirnaId,
      };
      addUnique(record, file, index + 2, 'id_code', seen, result);
    }
  });
}

function addUnique(
  record: SiteRecord,
  file: string,
  line: number,
  field: string,
  seen: Map<string, string>,
  result: MetadataResult,
): void {
  const first = seen.get(record.siteId);
  if (first !== undefined) {
    const id = field === 'id_code' ? record.wellId : record.siteId;
    result.problems.push({
      kind: 'duplicate_id',
      file,
      line,
      field,
      message: `${field}="${id}": duplicate id (first at ${first})`,
    });
    return;
  }
  seen.set(record.siteId, `${file}:${line}`);
  result.sites.push(record);
}

/**
 * Reads a dataset's metadata into one site table, whatever the layout. Bad rows are reported in
 * `problems` (naming file, line and field) and left out; the good rows are all returned.
 */
export function readSites(layout: DatasetLayout): MetadataResult {
  const result: MetadataResult = { sites: [], problems: [] };
  const seen = new Map<string, string>();
  for (const file of layout.metadataFiles) {
    if (layout.kind === 'official') readOfficial(file, seen, result);
    else readKaggle(file, seen, result);
  }
  return result;
}
