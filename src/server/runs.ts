/**
 * Pipeline runs for the API. A run is a folder of runsDir holding any of: metrics.json, report.html, and a
 * profile table (src/store/profiles.ts: a .parquet file or a folder of per-plate parts). The table is looked up
 * by name, well level first: well_profiles, profiles_well, wells, profiles, site_profiles, profiles_site,
 * sites, features, embeddings (each as NAME.parquet or NAME/), else the first other *.parquet file or folder of
 * parts in the run. A site-level table is averaged into wells (src/evaluate/wells.ts aggregateToWells).
 * Runs are only ever reached by a validated folder name that is listed in runsDir, and a run's file only by its real
 * path: a symbolic link that leads out of the runs folder (report.html -> /etc/passwd) is refused as absent.
 */
import fs from 'node:fs';
import path from 'node:path';
import { aggregateToWells } from '../store/wells.js';
import { META, readProfiles, type ProfileTable } from '../store/profiles.js';
import { HttpError } from './errors.js';
import { LruCache } from './lru.js';
import { pca2 } from './pca.js';
import { RUN_PATTERN } from '../api/schemas.js';
import { FIT_ON, type FitOn } from '../correct/index.js';
import type { Embedding, EmbeddingPoint, RunInfo } from '../api/types.js';

const PROFILE_NAMES = [
  'well_profiles',
  'profiles_well',
  'wells',
  'profiles',
  'site_profiles',
  'profiles_site',
  'sites',
  'features',
  'embeddings',
];
/** Where cell counts may be, in order: a feature, a metadata column, CellProfiler-style names. */
const CELL_COUNT_COLUMNS = ['cell_count', 'Metadata_cell_count', 'Count_Cells', 'Cells_Count', 'n_cells'];

/** The optional batch-correction module (src/correct), loaded when present. */
interface CorrectModule {
  correctProfiles(
    table: ProfileTable,
    options: { method: string; batch: string; controls?: FitOn },
  ): ProfileTable | Promise<ProfileTable>;
  methods: string[];
}

let correctModule: Promise<CorrectModule | null> | null = null;

function loadCorrectModule(): Promise<CorrectModule | null> {
  // A computed specifier: the server builds and runs whether or not src/correct/index.ts exists yet.
  const specifier = ['..', 'correct', 'index.js'].join('/');
  correctModule ??= import(specifier)
    .then((module: Record<string, unknown>) => {
      if (typeof module.correctProfiles !== 'function') return null;
      const listed = [module.CORRECTION_METHODS, module.CORRECT_METHODS, module.METHODS].find((value) =>
        Array.isArray(value),
      ) as unknown[] | undefined;
      const methods = (listed ?? []).filter((m): m is string => typeof m === 'string' && m !== 'none');
      return { correctProfiles: module.correctProfiles as CorrectModule['correctProfiles'], methods };
    })
    .catch(() => null);
  return correctModule;
}

function exists(file: string, kind: 'file' | 'dir'): boolean {
  const stat = fs.statSync(file, { throwIfNoEntry: false });
  return kind === 'file' ? !!stat?.isFile() : !!stat?.isDirectory();
}

function isTable(candidate: string): boolean {
  if (candidate.endsWith('.parquet') && exists(candidate, 'file')) return true;
  return exists(candidate, 'dir') && fs.readdirSync(candidate).some((name) => name.endsWith('.parquet'));
}

/** The profile table of a run folder, or null. */
export function findProfileTable(runDir: string): string | null {
  for (const name of PROFILE_NAMES) {
    for (const candidate of [path.join(runDir, `${name}.parquet`), path.join(runDir, name)])
      if (isTable(candidate)) return candidate;
  }
  const others = fs
    .readdirSync(runDir)
    .filter((name) => !name.startsWith('.'))
    .sort();
  const found = others.map((name) => path.join(runDir, name)).find(isTable);
  return found ?? null;
}

/** Newest modification time of a table (file or parts), for cache keys. */
function tableVersion(tablePath: string): string {
  const files = exists(tablePath, 'dir')
    ? fs
        .readdirSync(tablePath)
        .filter((n) => n.endsWith('.parquet'))
        .map((n) => path.join(tablePath, n))
    : [tablePath];
  return files.map((file) => `${path.basename(file)}:${fs.statSync(file).mtimeMs}:${fs.statSync(file).size}`).join('|');
}

/** The real path of `file` when it exists and lies inside the folder whose real path is `root`; else null. */
export function realPathInside(root: string, file: string): string | null {
  let real: string;
  try {
    real = fs.realpathSync(file);
  } catch {
    return null;
  }
  return real.startsWith(root + path.sep) ? real : null;
}

export class RunsService {
  readonly #tables = new LruCache<ProfileTable>(4, 4);
  readonly #embeddings = new LruCache<Embedding>(16, 16);

  constructor(readonly runsDir: string | undefined) {}

  /** The real path of a file of run `name` (relative path parts), if it exists inside the runs folder; else null. */
  realFile(name: string, ...parts: string[]): string | null {
    const dir = this.dir(name);
    return realPathInside(fs.realpathSync(this.runsDir!), path.join(dir, ...parts));
  }

  /** Like findProfileTable, refusing a table (or a part of it) whose real path is outside the runs folder. */
  #profileTable(name: string): string | null {
    const table = findProfileTable(this.dir(name));
    if (!table) return null;
    const root = fs.realpathSync(this.runsDir!);
    const parts = exists(table, 'dir')
      ? fs
          .readdirSync(table)
          .filter((n) => n.endsWith('.parquet'))
          .map((n) => path.join(table, n))
      : [table];
    return [table, ...parts].every((file) => realPathInside(root, file) !== null) ? table : null;
  }

  /** Run folder names, sorted. */
  names(): string[] {
    if (!this.runsDir || !exists(this.runsDir, 'dir')) return [];
    return fs
      .readdirSync(this.runsDir, { withFileTypes: true })
      .filter((entry) => entry.isDirectory() && RUN_PATTERN.test(entry.name))
      .map((entry) => entry.name)
      .sort();
  }

  /** The folder of a listed run; 404 otherwise. */
  dir(name: string): string {
    if (!this.names().includes(name))
      throw new HttpError(
        404,
        `run "${name}" not found${this.runsDir ? '' : ' (the server has no runs folder: serve --runs DIR)'}`,
      );
    return path.join(this.runsDir!, name);
  }

  async list(): Promise<RunInfo[]> {
    const correct = await loadCorrectModule();
    return this.names().map((name) => {
      const dir = path.join(this.runsDir!, name);
      const hasProfiles = findProfileTable(dir) !== null;
      return {
        name,
        hasReport: exists(path.join(dir, 'report.html'), 'file'),
        hasMetrics: exists(path.join(dir, 'metrics.json'), 'file'),
        hasProfiles,
        methods: hasProfiles ? ['none', ...(correct?.methods ?? [])] : [],
      };
    });
  }

  /** A run's own file (its real path inside the runs folder, a plain file); 404 otherwise. */
  file(name: string, relative: string): string {
    const real = this.realFile(name, ...relative.split('/'));
    if (!real || !exists(real, 'file')) throw new HttpError(404, `run "${name}" has no file "${relative}"`);
    return real;
  }

  reportFile(name: string): string {
    return this.file(name, 'report.html');
  }

  metrics(name: string): unknown {
    const file = this.file(name, 'metrics.json');
    try {
      return JSON.parse(fs.readFileSync(file, 'utf8'));
    } catch (error) {
      throw new HttpError(422, `run "${name}": metrics.json is not JSON (${(error as Error).message})`);
    }
  }

  /** The run's well-level profiles (site rows averaged), cached while the files are unchanged. */
  wellTable(name: string): ProfileTable {
    const table = this.#profileTable(name);
    if (!table) throw new HttpError(404, `run "${name}" has no profile table (*.parquet) inside the runs folder`);
    const key = `${table}\u0000${tableVersion(table)}`;
    let wells = this.#tables.get(key);
    if (!wells) {
      wells = aggregateToWells(readProfiles(table));
      this.#tables.set(key, wells);
    }
    return wells;
  }

  /** Per-well values of a feature (or cell_count) on one plate. */
  plateValues(
    name: string,
    experiment: string,
    plate: number,
    field: string,
  ): { well: string; value: number | null }[] {
    const table = this.wellTable(name);
    const experiments = table.metadata[META.experiment];
    const plates = table.metadata[META.plate];
    const wells = table.metadata[META.well];
    if (!experiments || !plates || !wells)
      throw new HttpError(
        422,
        `run "${name}": its profile table lacks ${META.experiment}, ${META.plate} or ${META.well}`,
      );
    let values: ArrayLike<number | string | null> | undefined;
    const candidates = field === 'cell_count' ? CELL_COUNT_COLUMNS : [field];
    for (const column of candidates) {
      const j = table.features.indexOf(column);
      if (j >= 0) {
        values = table.columns[j];
        break;
      }
      if (column.startsWith('Metadata_') && table.metadata[column]) {
        values = table.metadata[column];
        break;
      }
    }
    if (!values) {
      const shown = table.features.slice(0, 5).join(', ');
      throw new HttpError(
        400,
        `field: "${field}" is not a metadata field, cell_count or a feature of run "${name}" (features: ${shown}` +
          (table.features.length > 5 ? `, ... ${table.features.length} in all` : '') +
          ')',
      );
    }
    const out: { well: string; value: number | null }[] = [];
    for (let i = 0; i < table.rows; i++) {
      if (experiments[i] !== experiment || Number(plates[i]) !== plate) continue;
      const value = values[i] === null ? null : Number(values[i]);
      out.push({ well: String(wells[i]), value: value !== null && Number.isFinite(value) ? value : null });
    }
    return out.sort((a, b) => (a.well < b.well ? -1 : a.well > b.well ? 1 : 0));
  }

  /** PCA of the run's well profiles, after batch correction by `method` ('none' = as stored). Cached. */
  async embedding(name: string, method: string): Promise<Embedding> {
    const wells = this.wellTable(name);
    const cacheKey = `${name}\u0000${method}\u0000${tableVersion(this.#profileTable(name)!)}`;
    const cached = this.#embeddings.get(cacheKey);
    if (cached) return cached;
    let table = wells;
    let fittedOn: Embedding['fittedOn'] = null;
    if (method !== 'none') {
      const correct = await loadCorrectModule();
      if (!correct)
        throw new HttpError(
          400,
          `method: "${method}" is not available (batch correction, src/correct, is not installed; use none)`,
        );
      if (correct.methods.length > 0 && !correct.methods.includes(method))
        throw new HttpError(400, `method: "${method}" is unknown (expected none, ${correct.methods.join(', ')})`);
      try {
        // Fit on the narrowest rows that suffice: negative controls, then all controls, then every well.
        for (const controls of FIT_ON) {
          try {
            table = await correct.correctProfiles(wells, { method, batch: 'experiment', controls });
            fittedOn = controls;
            break;
          } catch (error) {
            if (controls === 'all' || !/_control rows/.test((error as Error).message)) throw error;
          }
        }
      } catch (error) {
        throw new HttpError(422, `method: ${method} failed on run "${name}": ${(error as Error).message}`);
      }
    }
    const projection = pca2(table);
    const column = (name: string) => table.metadata[name] ?? [];
    const ids = column(META.wellId);
    const experiments = column(META.experiment);
    const cellTypes = column(META.cellType);
    const sirnaIds = column(META.sirnaId);
    const wellTypes = column(META.wellType);
    const points: EmbeddingPoint[] = Array.from({ length: table.rows }, (_, i) => ({
      wellId: String(ids[i] ?? `${experiments[i]}_${column(META.plate)[i]}_${column(META.well)[i]}`),
      x: projection.x[i],
      y: projection.y[i],
      experiment: (experiments[i] as string | null) ?? null,
      cellType: (cellTypes[i] as string | null) ?? null,
      sirnaId: sirnaIds[i] === null || sirnaIds[i] === undefined ? null : Number(sirnaIds[i]),
      wellType: (wellTypes[i] as string | null) ?? null,
    }));
    const embedding: Embedding = {
      run: name,
      method,
      projection: 'pca',
      features: projection.features,
      explained: projection.explained,
      fittedOn,
      points,
    };
    this.#embeddings.set(cacheKey, embedding);
    return embedding;
  }
}
