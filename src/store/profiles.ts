/**
 * Profile tables: the one schema shared by classical profiles and deep embeddings. `Metadata_*` columns come
 * first (strings or integers), then float32 feature columns. On disk a table is one Parquet file, or a folder
 * of Parquet parts (one per plate, so work streams plate by plate). Parquet is written with parquet-wasm
 * from Arrow columns (zero-copy from Float32Array) and read back through Arrow.
 */
import fs from 'node:fs';
import path from 'node:path';
import * as arrow from 'apache-arrow';
import * as parquet from 'parquet-wasm/node';
import type { SiteRecord } from '../data/site.js';
import { writeFileAtomic } from '../util/files.js';

export type MetadataValue = string | number | null;

export interface ProfileTable {
  rows: number;
  /** Metadata columns by name (each name starts with `Metadata_`), each `rows` long. */
  metadata: Record<string, MetadataValue[]>;
  /** Feature names in column order. */
  features: string[];
  /** Column-major feature values: columns[j][i] is feature j of row i. */
  columns: Float32Array[];
}

export const METADATA_PREFIX = 'Metadata_';

/** The metadata columns every phenomap table carries (site-level tables have all; well-level ones lack site). */
export const META = {
  siteId: 'Metadata_site_id',
  wellId: 'Metadata_well_id',
  dataset: 'Metadata_dataset',
  experiment: 'Metadata_experiment',
  plate: 'Metadata_plate',
  well: 'Metadata_well',
  site: 'Metadata_site',
  cellType: 'Metadata_cell_type',
  wellType: 'Metadata_well_type',
  /** siRNA name (official layout) or null. */
  sirna: 'Metadata_sirna',
  /** Integer siRNA label 0..1138 (the classification target), null when unknown. */
  sirnaId: 'Metadata_sirna_id',
} as const;

/** The metadata values of one site, keyed by the META column names. */
export function siteMetadata(site: SiteRecord): Record<string, MetadataValue> {
  return {
    [META.siteId]: site.siteId,
    [META.wellId]: site.wellId,
    [META.dataset]: site.dataset,
    [META.experiment]: site.experiment,
    [META.plate]: site.plate,
    [META.well]: site.well,
    [META.site]: site.site,
    [META.cellType]: site.cellType,
    [META.wellType]: site.wellType,
    [META.sirna]: site.sirna,
    [META.sirnaId]: site.sirnaId,
  };
}

/** Checks the shape contract; throws naming the offending column. */
export function validateTable(table: ProfileTable): void {
  if (table.features.length !== table.columns.length)
    throw new Error(`profile table: ${table.features.length} feature names but ${table.columns.length} columns`);
  for (const [name, values] of Object.entries(table.metadata)) {
    if (!name.startsWith(METADATA_PREFIX))
      throw new Error(`profile table: metadata column "${name}" must start with ${METADATA_PREFIX}`);
    if (values.length !== table.rows)
      throw new Error(`profile table: metadata column "${name}" has ${values.length} values, expected ${table.rows}`);
  }
  table.columns.forEach((column, j) => {
    if (column.length !== table.rows)
      throw new Error(
        `profile table: feature column "${table.features[j]}" has ${column.length} values, expected ${table.rows}`,
      );
    if (table.features[j].startsWith(METADATA_PREFIX))
      throw new Error(`profile table: feature column "${table.features[j]}" must not start with ${METADATA_PREFIX}`);
  });
}

function metadataVector(values: MetadataValue[]): arrow.Vector {
  const numeric = values.every((v) => v === null || (typeof v === 'number' && Number.isInteger(v)));
  return numeric
    ? arrow.vectorFromArray(values as (number | null)[], new arrow.Int32())
    : arrow.vectorFromArray(
        values.map((v) => (v === null ? null : String(v))),
        new arrow.Utf8(),
      );
}

/** A table as the bytes of one Parquet file (zstd), e.g. to write through src/storage. */
export function encodeProfiles(table: ProfileTable): Uint8Array {
  validateTable(table);
  const vectors: Record<string, arrow.Vector> = {};
  for (const [name, values] of Object.entries(table.metadata)) vectors[name] = metadataVector(values);
  table.features.forEach((name, j) => {
    vectors[name] = arrow.makeVector(table.columns[j]);
  });
  const ipc = arrow.tableToIPC(new arrow.Table(vectors), 'stream');
  const properties = new parquet.WriterPropertiesBuilder().setCompression(parquet.Compression.ZSTD).build();
  return parquet.writeParquet(parquet.Table.fromIPCStream(ipc), properties);
}

/** Writes a table as one Parquet file, atomically (temporary name, then rename). */
export function writeProfiles(file: string, table: ProfileTable): void {
  const bytes = encodeProfiles(table);
  fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  writeFileAtomic(file, bytes);
}

/** Decodes one Parquet file's bytes (`name` says which file in errors); `features` limits the feature columns. */
export function decodeProfiles(bytes: Uint8Array, name: string, options: { features?: string[] } = {}): ProfileTable {
  let table: arrow.Table;
  try {
    table = arrow.tableFromIPC(parquet.readParquet(bytes, { batchSize: 1 << 30 }).intoIPCStream());
  } catch (error) {
    throw new Error(`${name}: cannot be read as a profile table (${(error as Error).message})`);
  }
  const names = table.schema.fields.map((field) => field.name);
  const wanted = options.features ?? names.filter((column) => !column.startsWith(METADATA_PREFIX));
  const result: ProfileTable = { rows: table.numRows, metadata: {}, features: [], columns: [] };
  for (const field of table.schema.fields) {
    if (!field.name.startsWith(METADATA_PREFIX)) continue;
    result.metadata[field.name] = [...table.getChild(field.name)!].map((v) =>
      v === null || v === undefined ? null : typeof v === 'number' ? v : String(v),
    );
  }
  for (const column of wanted) {
    const vector = table.getChild(column);
    if (!vector) throw new Error(`${name}: no feature column "${column}"`);
    if (!arrow.DataType.isFloat(vector.type))
      throw new Error(
        `${name}: column "${column}" is ${vector.type}, expected float32 (feature columns follow the Metadata_* ` +
          'columns)',
      );
    result.features.push(column);
    result.columns.push(Float32Array.from(vector.toArray() as ArrayLike<number>));
  }
  return result;
}

/** Reads one Parquet file; `columns` limits the feature columns read (metadata is always read). */
export function readProfileFile(file: string, options: { features?: string[] } = {}): ProfileTable {
  let bytes: Uint8Array;
  try {
    bytes = fs.readFileSync(file);
  } catch (error) {
    throw new Error(`${file}: cannot be read as a profile table (${(error as Error).message})`);
  }
  return decodeProfiles(bytes, file, options);
}

/** The Parquet files of a table path: the file itself, or the sorted *.parquet parts of a folder. */
export function profileParts(tablePath: string): string[] {
  const stat = fs.statSync(tablePath, { throwIfNoEntry: false });
  if (!stat) throw new Error(`${tablePath}: no such profile table (a .parquet file or a folder of them)`);
  if (stat.isFile()) return [tablePath];
  const parts = fs
    .readdirSync(tablePath)
    .filter((name) => name.endsWith('.parquet'))
    .sort()
    .map((name) => path.join(tablePath, name));
  // An embedding folder (`phenomap embed --out EMB`) holds its site table in sites/ and its well table in wells/.
  const sites = path.join(tablePath, 'sites');
  if (parts.length === 0 && fs.statSync(sites, { throwIfNoEntry: false })?.isDirectory()) return profileParts(sites);
  if (parts.length === 0) throw new Error(`${tablePath}: folder holds no .parquet parts`);
  return parts;
}

/** Yields a table part by part (plate by plate), so memory stays bounded by the largest part. */
export function* iterateProfiles(tablePath: string, options: { features?: string[] } = {}): Generator<ProfileTable> {
  for (const part of profileParts(tablePath)) yield readProfileFile(part, options);
}

/** Concatenates tables with the same features; metadata columns missing from a part are filled with null. */
export function concatTables(tables: ProfileTable[]): ProfileTable {
  if (tables.length === 0) return { rows: 0, metadata: {}, features: [], columns: [] };
  const features = tables[0].features;
  for (const t of tables) {
    if (t.features.length !== features.length || t.features.some((f, j) => f !== features[j]))
      throw new Error('concatTables: parts have different feature columns');
  }
  const rows = tables.reduce((sum, t) => sum + t.rows, 0);
  const metadataNames = [...new Set(tables.flatMap((t) => Object.keys(t.metadata)))];
  const metadata: Record<string, MetadataValue[]> = {};
  for (const name of metadataNames)
    metadata[name] = tables.flatMap((t) => t.metadata[name] ?? new Array<MetadataValue>(t.rows).fill(null));
  const columns = features.map((_, j) => {
    const out = new Float32Array(rows);
    let offset = 0;
    for (const t of tables) {
      out.set(t.columns[j], offset);
      offset += t.rows;
    }
    return out;
  });
  return { rows, metadata, features: [...features], columns };
}

/** Reads a whole table (file or folder of parts) into memory; parts whose feature columns differ are named. */
export function readProfiles(tablePath: string, options: { features?: string[] } = {}): ProfileTable {
  const parts = profileParts(tablePath);
  const tables = parts.map((part) => readProfileFile(part, options));
  tables.forEach((table, i) => {
    const first = tables[0].features;
    if (table.features.length !== first.length || table.features.some((f, j) => f !== first[j]))
      throw new Error(
        `${parts[i]}: ${table.features.length} feature columns, but ${parts[0]} has ${first.length} ` +
          `(${table.features.find((f, j) => f !== first[j]) ?? first[table.features.length]} differs): parts of ` +
          'one table must share their feature columns',
      );
  });
  return concatTables(tables);
}

/** The rows at `indices`, in that order. */
export function selectRows(table: ProfileTable, indices: ArrayLike<number>): ProfileTable {
  const n = indices.length;
  const metadata: Record<string, MetadataValue[]> = {};
  for (const [name, values] of Object.entries(table.metadata))
    metadata[name] = Array.from({ length: n }, (_, i) => values[indices[i]]);
  const columns = table.columns.map((column) => {
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = column[indices[i]];
    return out;
  });
  return { rows: n, metadata, features: [...table.features], columns };
}
