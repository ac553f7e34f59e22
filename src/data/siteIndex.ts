/**
 * The site index: one Parquet file with a row per site (the columns of RxRx1's metadata.csv), written and
 * queried with DuckDB. Built once per dataset and reused until a metadata file is newer than it.
 * Default location: {dataset}/.phenomap/sites.parquet, or ~/.cache/phenomap/{hash}/sites.parquet when the
 * dataset folder is read-only. Beside it, `sites.problems.json` keeps the metadata rows left out of it (file, line,
 * field, why), so that every job reusing the index still reports them.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import type { DatasetLayout } from './layout.js';
import { assertUsable, METADATA_PROBLEM_KINDS, readSites, type MetadataProblem } from './metadata.js';
import type { SiteRecord } from './site.js';
import { writeFileAtomic } from '../util/files.js';
import type { Dataset, WellType } from '../rxrx1/index.js';
import { isLocalFolder, openStorage } from '../storage/index.js';

export interface SiteFilter {
  dataset?: Dataset[];
  experiment?: string[];
  plate?: number[];
  well?: string[];
  site?: number[];
  cellType?: string[];
  wellType?: WellType[];
  sirnaId?: number[];
  siteId?: string[];
}

/** Filter field -> index column. */
const FILTER_COLUMNS: Record<keyof SiteFilter, string> = {
  dataset: 'dataset',
  experiment: 'experiment',
  plate: 'plate',
  well: 'well',
  site: 'site',
  cellType: 'cell_type',
  wellType: 'well_type',
  sirnaId: 'sirna_id',
  siteId: 'site_id',
};

const SCHEMA = `site_id VARCHAR, well_id VARCHAR, cell_type VARCHAR, dataset VARCHAR, experiment VARCHAR, plate INTEGER,
  well VARCHAR, site INTEGER, well_type VARCHAR, sirna VARCHAR, sirna_id INTEGER`;

async function withConnection<T>(work: (connection: DuckDBConnection) => Promise<T>): Promise<T> {
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  try {
    return await work(connection);
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

function sqlString(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}

/** Writes sites to a Parquet index atomically (temporary name, then rename). */
export async function writeSiteIndex(sites: readonly SiteRecord[], file: string): Promise<void> {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const temporary = `${file}.${process.pid}.tmp`;
  await withConnection(async (connection) => {
    await connection.run(`CREATE TABLE sites (${SCHEMA})`);
    const appender = await connection.createAppender('sites');
    for (const s of sites) {
      appender.appendVarchar(s.siteId);
      appender.appendVarchar(s.wellId);
      appender.appendVarchar(s.cellType);
      appender.appendVarchar(s.dataset);
      appender.appendVarchar(s.experiment);
      appender.appendInteger(s.plate);
      appender.appendVarchar(s.well);
      appender.appendInteger(s.site);
      appender.appendVarchar(s.wellType);
      if (s.sirna === null) appender.appendNull();
      else appender.appendVarchar(s.sirna);
      if (s.sirnaId === null) appender.appendNull();
      else appender.appendInteger(s.sirnaId);
      appender.endRow();
    }
    appender.closeSync();
    await connection.run(
      `COPY (SELECT * FROM sites ORDER BY experiment, plate, well, site) TO ${sqlString(temporary)} (FORMAT ` +
        `parquet, COMPRESSION zstd)`,
    );
  });
  fs.renameSync(temporary, file);
}

/**
 * Sites of the index matching every given filter field (each field: any of the listed values), ordered by experiment,
 * plate, well, site.
 */
export async function querySiteIndex(file: string, filter: SiteFilter = {}): Promise<SiteRecord[]> {
  if (!fs.existsSync(file)) throw new Error(`${file}: site index not found (run \`phenomap index DIR\` first)`);
  const clauses: string[] = [];
  const values: (string | number)[] = [];
  for (const [field, column] of Object.entries(FILTER_COLUMNS) as [keyof SiteFilter, string][]) {
    const wanted = filter[field];
    if (!wanted || wanted.length === 0) continue;
    clauses.push(`${column} IN (${wanted.map(() => '?').join(', ')})`);
    values.push(...wanted);
  }
  const where = clauses.length > 0 ? `WHERE ${clauses.join(' AND ')}` : '';
  return withConnection(async (connection) => {
    const reader = await connection.runAndReadAll(
      `SELECT * FROM read_parquet(${sqlString(file)}) ${where} ORDER BY experiment, plate, well, site`,
      values,
    );
    return reader.getRowObjectsJS().map((row) => ({
      siteId: row.site_id as string,
      wellId: row.well_id as string,
      cellType: row.cell_type as string,
      dataset: row.dataset as Dataset,
      experiment: row.experiment as string,
      plate: row.plate as number,
      well: row.well as string,
      site: row.site as number,
      wellType: row.well_type as WellType,
      sirna: (row.sirna as string | null) ?? null,
      sirnaId: (row.sirna_id as number | null) ?? null,
    }));
  });
}

/** Write bits are checked too: as root, access() would allow writing into a folder marked read-only. */
function isWritable(dir: string): boolean {
  try {
    fs.accessSync(dir, fs.constants.W_OK);
    return (fs.statSync(dir).mode & 0o200) !== 0;
  } catch {
    return false;
  }
}

/**
 * Where the index of a dataset lives by default: in a writable local dataset folder, else (read-only folders, S3,
 * archives) in the user's cache, keyed by the dataset's location.
 */
export function defaultIndexPath(layout: DatasetLayout): string {
  if (isLocalFolder(layout.root) && isWritable(layout.root))
    return path.join(layout.root, '.phenomap', 'sites.parquet');
  const hash = crypto.createHash('sha1').update(layout.root).digest('hex').slice(0, 16);
  const cache = process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache');
  return path.join(cache, 'phenomap', hash, 'sites.parquet');
}

export interface IndexResult {
  file: string;
  /** False when an up-to-date index was reused. */
  built: boolean;
  /** Sites in the index. */
  sites: number;
  /** Metadata rows read, good and bad. */
  rows: number;
  /** Metadata rows left out of the index because they are bad (recorded beside a reused index). */
  problems: MetadataProblem[];
}

/** The record of the rows left out, beside the index: `{index}` -> `{index without .parquet}.problems.json`. */
export function problemsFileOf(indexFile: string): string {
  return `${indexFile.replace(/\.parquet$/, '')}.problems.json`;
}

const PROBLEMS_VERSION = 1;

/** The recorded problems of an index, or null when the record is absent or not one (then the index is rebuilt). */
function readIndexProblems(indexFile: string): Omit<IndexResult, 'file' | 'built'> | null {
  let json: unknown;
  try {
    json = JSON.parse(fs.readFileSync(problemsFileOf(indexFile), 'utf8'));
  } catch {
    return null;
  }
  const record = json as { version?: unknown; sites?: unknown; rows?: unknown; problems?: unknown };
  const valid =
    record?.version === PROBLEMS_VERSION &&
    Number.isInteger(record.sites) &&
    Number.isInteger(record.rows) &&
    Array.isArray(record.problems) &&
    record.problems.every(
      (p: Partial<MetadataProblem>) =>
        METADATA_PROBLEM_KINDS.includes(p?.kind as MetadataProblem['kind']) &&
        typeof p.file === 'string' &&
        Number.isInteger(p.line) &&
        typeof p.field === 'string' &&
        typeof p.message === 'string',
    );
  return valid ? (record as Omit<IndexResult, 'file' | 'built'>) : null;
}

/**
 * Builds the index when missing, older than any metadata file or without its record of problems; otherwise reuses it.
 * Either way, the metadata rows left out are returned, and DatasetError is thrown (nothing written) when the metadata
 * has no usable site or conflicting rows (see assertUsable).
 */
export async function ensureSiteIndex(
  layout: DatasetLayout,
  options: { file?: string; rebuild?: boolean } = {},
): Promise<IndexResult> {
  const file = options.file ?? defaultIndexPath(layout);
  const indexTime = fs.statSync(file, { throwIfNoEntry: false })?.mtimeMs;
  const storage = openStorage(layout.root);
  let stale = indexTime === undefined;
  for (const key of layout.metadataKeys) {
    if (stale) break;
    stale = ((await storage.stat(key))?.modifiedMs ?? Infinity) > indexTime!;
  }
  const recorded = stale || options.rebuild ? null : readIndexProblems(file);
  if (recorded) {
    assertUsable(recorded);
    return { file, built: false, ...recorded };
  }
  const { sites, problems, rows } = await readSites(layout);
  const summary = { sites: sites.length, rows, problems };
  assertUsable(summary);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  // The old record goes first and the new one last: an index is reused only with its record, so a killed build is
  // redone.
  fs.rmSync(problemsFileOf(file), { force: true });
  await writeSiteIndex(sites, file);
  writeFileAtomic(problemsFileOf(file), `${JSON.stringify({ version: PROBLEMS_VERSION, ...summary })}\n`);
  return { file, built: true, ...summary };
}

/** The record of one site, looked up by id in the index; throws naming the id and the dataset when absent. */
export async function findSite(indexFile: string, id: string): Promise<SiteRecord> {
  const [site] = await querySiteIndex(indexFile, { siteId: [id] });
  if (!site)
    throw new Error(
      `site "${id}" is not in the metadata indexed at ${indexFile} (expected an id like HEPG2-01_1_B02_1)`,
    );
  return site;
}
