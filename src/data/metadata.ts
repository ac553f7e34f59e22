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
import { openStorage, StorageError } from '../storage/index.js';

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

/**
 * `bad_field`: a field that is not what RxRx1 allows; `bad_row`: a row that is not a record of the header's columns
 * (too few or too many fields, broken quoting); `duplicate_id`: a second row for an id with the same fields;
 * `conflicting_id`: a second row for an id that disagrees with the first (a different siRNA, well type...).
 */
export const METADATA_PROBLEM_KINDS = ['bad_field', 'bad_row', 'duplicate_id', 'conflicting_id'] as const;
export type MetadataProblemKind = (typeof METADATA_PROBLEM_KINDS)[number];

/** One bad metadata row; `line` is the 1-based line in the file (the header is line 1). */
export interface MetadataProblem {
  kind: MetadataProblemKind;
  file: string;
  line: number;
  field: string;
  /** What is wrong and what was expected. */
  message: string;
}

/**
 * The sites of a dataset's metadata and every row left out of them: each row that is not in `sites` has at least one
 * problem (file, line, field, why).
 */
export interface MetadataResult {
  sites: SiteRecord[];
  problems: MetadataProblem[];
  /** Data rows read (header excluded), good and bad. */
  rows: number;
}

type Row = Record<string, string>;

interface CsvRows {
  rows: { row: Row; line: number }[];
  problems: MetadataProblem[];
}

/** Parser errors csv-parse reports per record (quoting); each costs its record, not the file. */
function skippedRecord(file: string, error: { message: string; lines?: number } | undefined): MetadataProblem {
  return {
    kind: 'bad_row',
    file,
    line: error?.lines ?? 0,
    field: '(row)',
    message: `not a CSV record (${error?.message ?? 'unreadable'})`,
  };
}

/**
 * Reads a metadata CSV: the header (fields may be quoted) must hold the `required` columns, else the file is not
 * readable (DatasetError); each later record is a row, or a `bad_row` problem when it is not one (its field count
 * differs from the header's, or its quoting is broken).
 */
function readCsv(file: string, text: Uint8Array, required: readonly string[]): CsvRows {
  const problems: MetadataProblem[] = [];
  let records: { record: string[]; info: { lines: number } }[];
  try {
    records = parse(Buffer.from(text.buffer, text.byteOffset, text.byteLength), {
      bom: true,
      info: true,
      relax_column_count: true,
      skip_empty_lines: true,
      skip_records_with_error: true,
      on_skip: (error) => {
        const problem = skippedRecord(file, error);
        // csv-parse may report one broken record twice.
        if (problems.at(-1)?.line !== problem.line) problems.push(problem);
        return undefined;
      },
      trim: true,
    }) as unknown as { record: string[]; info: { lines: number } }[];
  } catch (error) {
    throw new DatasetError(`${file}: cannot be read as CSV (${(error as Error).message})`);
  }
  if (records.length === 0) return { rows: [], problems };
  const [{ record: header, info }, ...body] = records;
  if (info.lines !== 1 || problems.some((problem) => problem.line <= info.lines))
    throw new DatasetError(`${file}: line 1 is not a CSV header (expected ${required.join(',')})`);
  const missing = required.filter((column) => !header.includes(column));
  if (missing.length > 0)
    throw new DatasetError(`${file}: missing column(s) ${missing.join(', ')} (expected ${required.join(',')})`);
  const rows: CsvRows['rows'] = [];
  for (const { record, info } of body) {
    if (record.length !== header.length) {
      problems.push({
        kind: 'bad_row',
        file,
        line: info.lines,
        field: '(row)',
        message: `${record.length} field(s), expected ${header.length} (${header.join(',')})`,
      });
      continue;
    }
    rows.push({ row: Object.fromEntries(header.map((column, j) => [column, record[j]])), line: info.lines });
  }
  return { rows, problems: problems.sort((a, b) => a.line - b.line) };
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

/** Where each site id was first read, and its record, to tell a repeated row from a conflicting one. */
type Seen = Map<string, { at: string; record: SiteRecord }>;

/** Reads the sites of an official metadata.csv. */
function readOfficial(file: string, text: Uint8Array, seen: Seen, result: MetadataResult): void {
  const { rows, problems } = readCsv(file, text, OFFICIAL_COLUMNS);
  result.rows += rows.length + problems.length;
  result.problems.push(...problems);
  for (const { row, line } of rows) {
    const check = new RowChecker(file, line, row);
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
      continue;
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
    addUnique(record, { file, line, field: 'site_id', id: record.siteId }, seen, result);
  }
}

/** Reads one Kaggle CSV: one row per well, expanded to its two sites. */
function readKaggle(file: string, text: Uint8Array, seen: Seen, result: MetadataResult): void {
  const dataset = datasetOfKaggleFile(file);
  const controls = path.basename(file).includes('controls');
  const { rows, problems } = readCsv(
    file,
    text,
    controls ? [...KAGGLE_REQUIRED, 'sirna', 'well_type'] : KAGGLE_REQUIRED,
  );
  result.rows += rows.length + problems.length;
  result.problems.push(...problems);
  for (const { row, line } of rows) {
    const check = new RowChecker(file, line, row);
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
      continue;
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
      // One problem per row: a well's second site repeats what its first found.
      if (!addUnique(record, { file, line, field: 'id_code', id: record.wellId }, seen, result)) break;
    }
  }
}

const COMPARED_FIELDS = ['dataset', 'wellType', 'sirna', 'sirnaId'] as const satisfies readonly (keyof SiteRecord)[];

/** The fields in which two records of one site id differ, as `field "a" vs "b"`. */
function differences(first: SiteRecord, again: SiteRecord): string[] {
  return COMPARED_FIELDS.filter((field) => first[field] !== again[field]).map(
    (field) => `${field} ${JSON.stringify(first[field])} vs ${JSON.stringify(again[field])}`,
  );
}

function addUnique(
  record: SiteRecord,
  where: { file: string; line: number; field: string; id: string },
  seen: Seen,
  result: MetadataResult,
): boolean {
  const first = seen.get(record.siteId);
  if (first === undefined) {
    seen.set(record.siteId, { at: `${where.file}:${where.line}`, record });
    result.sites.push(record);
    return true;
  }
  const differ = differences(first.record, record);
  result.problems.push({
    kind: differ.length > 0 ? 'conflicting_id' : 'duplicate_id',
    file: where.file,
    line: where.line,
    field: where.field,
    message:
      differ.length > 0
        ? `${where.field}="${where.id}": conflicts with the row at ${first.at} (${differ.join(', ')})`
        : `${where.field}="${where.id}": duplicate id (first at ${first.at})`,
  });
  return false;
}

/**
 * Reads a dataset's metadata into one site table, whatever the layout and wherever the dataset is (the files are read
 * through src/storage). Bad rows are reported in `problems` (naming
 * file, line, field and why) and left out; the good rows are all returned. Throws DatasetError when a file cannot be
 * read as CSV, lacks a required column, or when the metadata holds no rows at all ("no sites").
 */
export async function readSites(layout: DatasetLayout): Promise<MetadataResult> {
  const result: MetadataResult = { sites: [], problems: [], rows: 0 };
  const seen: Seen = new Map();
  const storage = openStorage(layout.root);
  for (const [i, file] of layout.metadataFiles.entries()) {
    let text: Uint8Array;
    try {
      text = await storage.read(layout.metadataKeys[i]);
    } catch (error) {
      if (error instanceof StorageError) throw new DatasetError(`${file}: cannot be read (${error.message})`);
      throw error;
    }
    const start = result.problems.length;
    if (layout.kind === 'official') readOfficial(file, text, seen, result);
    else readKaggle(file, text, seen, result);
    const ofFile = result.problems.splice(start).sort((a, b) => a.line - b.line);
    result.problems.push(...ofFile);
  }
  if (result.rows === 0)
    throw new DatasetError(
      `no sites: ${layout.metadataFiles.join(', ')} hold no metadata rows (expected a header and one row per ` +
        `${layout.kind === 'official' ? 'site' : 'well'})`,
    );
  return result;
}

/**
 * Throws DatasetError when the metadata cannot be used by a job: rows conflict (two rows of one id that disagree, so
 * which one is right cannot be guessed) or no row is usable. The problems of the rows left out are the caller's to
 * report.
 */
export function assertUsable(metadata: { problems: readonly MetadataProblem[]; rows: number; sites: number }): void {
  const conflicts = metadata.problems.filter((problem) => problem.kind === 'conflicting_id');
  if (conflicts.length > 0)
    throw new DatasetError(
      `${conflicts.length} metadata row(s) conflict with an earlier row of the same id: ` +
        `${conflicts.slice(0, 3).map(formatMetadataProblem).join('; ')}${conflicts.length > 3 ? '; ...' : ''} ` +
        '(fix or remove one row of each pair; `phenomap check` lists them all)',
    );
  if (metadata.sites === 0)
    throw new DatasetError(
      `no usable sites: all ${metadata.rows} metadata row(s) were left out as bad (\`phenomap check\` says why)`,
    );
}

/** readSites, then assertUsable: the sites a job runs on, with the problems of the rows left out. */
export async function readUsableSites(layout: DatasetLayout): Promise<MetadataResult> {
  const result = await readSites(layout);
  assertUsable({ ...result, sites: result.sites.length });
  return result;
}

/** A metadata problem as one line: `file:line: field: why`. */
export function formatMetadataProblem(problem: MetadataProblem): string {
  return `${problem.file}:${problem.line}: ${problem.kind}: ${problem.message}`;
}
