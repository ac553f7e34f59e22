/**
 * The RxRx1 simulator: writes a synthetic dataset in the official RxRx1 layout (metadata.csv +
 * images/{dataset}/{experiment}/Plate{plate}/{well}_s{site}_w{channel}.png) with known biology and known
 * batch effects, plus ground_truth.json (see groundTruth.ts). The real screen's structure (experiments,
 * plate groups, control wells, per-experiment pixel statistics) comes from assets/rxrx1/structure.json.
 *
 * Sites render in piscina worker threads; the main thread only plans and writes metadata. Every random
 * draw is keyed by the seed and a name (site id, siRNA id, ...), so the output is byte-identical for a seed
 * whatever the thread count. Images are written under temporary names and renamed; ground_truth.json and
 * then metadata.csv are written last, so a dataset with metadata.csv is complete. Files of an earlier run
 * in `out` are overwritten, not removed.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Piscina } from 'piscina';
import { CELL_TYPES, type CellType, CHANNEL_COUNT, siteId, SITES_PER_WELL, wellId } from '../../rxrx1/index.js';
import { OFFICIAL_COLUMNS } from '../metadata.js';
import { loadRxrx1Structure, type Rxrx1Structure } from '../rxrx1Structure.js';
import { channelPath, type SiteRecord } from '../site.js';
import {
  experimentBatch,
  gradientGain,
  noiseAt,
  plateDensity,
  plateGain,
  plateGradient,
  REGIME_COMPONENTS,
  referencePhotometry,
  RXRX1_COMPONENTS,
  siteBlurPasses,
  siteIllumination,
  wellEffect,
  type BatchStrengths,
  type CleanStats,
  type ExperimentBatch,
} from './batch.js';
import type { CellTypeModel } from './calibration.js';
import { CELL_TYPE_PROFILES, type CellTypeProfile, siteBiology } from './cellTypes.js';
import { writeFileAtomic } from '../../util/files.js';
import { SIMULATOR_VERSION, type GroundTruth } from './groundTruth.js';
import type { Noise } from './imaging.js';
import { keptSirnas, planPlates, type PlannedPlate } from './layout.js';
import { addPhenotypes, NO_EFFECT, scalePhenotype, sirnaTruth, type SirnaTruth } from './phenotype.js';
import { PRESETS, validatePreset, type Preset, type PresetName } from './presets.js';
import type { CleanTask, SiteOutcome, SiteTask } from './worker.js';

export { PRESETS, type Preset, type PresetName } from './presets.js';
export type { GroundTruth } from './groundTruth.js';
export type { BatchStrengths } from './batch.js';

export interface SimulateOptions {
  /** Output dataset folder (created if missing). */
  out: string;
  /** A preset name, or a preset object for custom sizes. */
  preset: PresetName | Preset;
  seed: number;
  /** Worker threads (default: os.availableParallelism()). */
  threads?: number;
  /** Scales every batch component: 1 = RxRx1-like (default), 0 = no batch effect. */
  batchStrength?: number;
  /**
   * Per-component strengths, multiplied by batchStrength: RxRx1's components (experiment, plate, well,
   * illumination) default to 1, the regimes beyond them (gamma, gradient, density, blur, crosstalk; batch.ts) to 0.
   */
  strengths?: Partial<BatchStrengths>;
  /** Pixel noise strength (default 1; not a batch effect, so batchStrength leaves it alone). */
  noise?: number;
  /** zlib level of the PNGs, 0..9 (default 1: fast; the pixels are the same at any level). */
  pngLevel?: number;
  /**
   * Cell models replacing the calibrated ones of the cell types they name (the calibration script fits them this
   * way); recorded in ground_truth.json.
   */
  cellModels?: Partial<Record<CellType, CellTypeModel>>;
  onProgress?: (done: number, total: number) => void;
}

export interface SimulateSummary {
  experiments: number;
  plates: number;
  wells: number;
  sites: number;
  /** Image files written (6 per site). */
  files: number;
  seconds: number;
}

export const METADATA_FILE = 'metadata.csv';
export const GROUND_TRUTH_FILE = 'ground_truth.json';
/** Clean sites rendered per cell type to calibrate gains against. */
const CALIBRATION_SITES = 4;

interface Settings {
  out: string;
  presetName: string;
  preset: Preset;
  seed: number;
  threads: number;
  batchStrength: number;
  strengths: BatchStrengths;
  noise: number;
  pngLevel: number;
  profiles: Record<CellType, CellTypeProfile>;
}

function settingsOf(options: SimulateOptions): Settings {
  const fail = (field: string, value: unknown, expected: string): never => {
    throw new Error(`simulate: ${field}=${JSON.stringify(value)}, expected ${expected}`);
  };
  const strength = (field: string, value: number | undefined): number => {
    if (value === undefined) return 1;
    return Number.isFinite(value) && value >= 0 ? value : fail(field, value, 'a number >= 0');
  };
  if (typeof options.out !== 'string' || options.out === '') fail('out', options.out, 'a folder path');
  if (!Number.isInteger(options.seed) || options.seed < 0 || options.seed > 0xffffffff)
    fail('seed', options.seed, 'an integer in 0..4294967295');
  const threads = options.threads ?? os.availableParallelism();
  if (!Number.isInteger(threads) || threads < 1) fail('threads', threads, 'an integer >= 1');
  const pngLevel = options.pngLevel ?? 1;
  if (!Number.isInteger(pngLevel) || pngLevel < 0 || pngLevel > 9) fail('pngLevel', pngLevel, 'an integer in 0..9');
  let preset: Preset;
  if (typeof options.preset === 'string') {
    if (!Object.hasOwn(PRESETS, options.preset))
      fail('preset', options.preset, `one of ${Object.keys(PRESETS).join(', ')} or a preset object`);
    preset = PRESETS[options.preset];
  } else {
    preset = options.preset;
  }
  const batchStrength = strength('batchStrength', options.batchStrength);
  const unknown = Object.keys(options.strengths ?? {}).filter(
    (name) => !([...RXRX1_COMPONENTS, ...REGIME_COMPONENTS] as string[]).includes(name),
  );
  if (unknown.length)
    fail('strengths', unknown, `components among ${[...RXRX1_COMPONENTS, ...REGIME_COMPONENTS].join(', ')}`);
  const component = (name: keyof BatchStrengths) =>
    batchStrength * strength(`strengths.${name}`, options.strengths?.[name]);
  const regime = (name: keyof BatchStrengths) =>
    batchStrength * strength(`strengths.${name}`, options.strengths?.[name] ?? 0);
  return {
    out: path.resolve(options.out),
    presetName: typeof options.preset === 'string' ? options.preset : 'custom',
    preset,
    seed: options.seed,
    threads,
    batchStrength,
    strengths: {
      experiment: component('experiment'),
      plate: component('plate'),
      well: component('well'),
      illumination: component('illumination'),
      gamma: regime('gamma'),
      gradient: regime('gradient'),
      density: regime('density'),
      blur: regime('blur'),
      crosstalk: regime('crosstalk'),
    },
    noise: strength('noise', options.noise),
    pngLevel,
    profiles: Object.fromEntries(
      CELL_TYPES.map((t) => [t, { ...CELL_TYPE_PROFILES[t], ...options.cellModels?.[t] }]),
    ) as Record<CellType, CellTypeProfile>,
  };
}

/** Runs `work` over `items` with at most `limit` in flight (memory stays bounded however many sites). */
async function forEachBounded<T>(items: Iterable<T>, limit: number, work: (item: T) => Promise<void>): Promise<void> {
  const iterator = items[Symbol.iterator]();
  let failed = false;
  const lane = async () => {
    for (let next = iterator.next(); !next.done && !failed; next = iterator.next()) {
      try {
        await work(next.value);
      } catch (error) {
        failed = true;
        throw error;
      }
    }
  };
  await Promise.all(Array.from({ length: limit }, lane));
}

/**
 * Per cell type, the mean clean statistics of a few negative-control sites, as the experiment photometry (batch.ts)
 * should see the experiment's average site: the real sample's negative-control sites are brighter than their
 * experiment's mean (`controlBrightness`, 1.1 to 2 times: the mean includes knockdowns that lose cells), so the
 * clean means are divided by it and the simulated negative controls come out that much brighter than the mean.
 */
async function calibrateCellTypes(
  pool: Piscina,
  seed: number,
  profiles: Record<CellType, CellTypeProfile>,
): Promise<Record<CellType, CleanStats>> {
  const perType = await Promise.all(
    CELL_TYPES.map(async (cellType): Promise<[CellType, CleanStats]> => {
      const { placement, look } = siteBiology(profiles[cellType], NO_EFFECT, 1);
      const tasks = Array.from(
        { length: CALIBRATION_SITES },
        (_, i): CleanTask => ({ seed, key: `calibration/${cellType}/${i}`, placement, look }),
      );
      const stats: CleanStats[] = await Promise.all(tasks.map((task) => pool.run(task, { name: 'measureClean' })));
      const average = (pick: (s: CleanStats) => number[]) =>
        Array.from({ length: CHANNEL_COUNT }, (_, c) => stats.reduce((sum, s) => sum + pick(s)[c], 0) / stats.length);
      const brightness = profiles[cellType].controlBrightness;
      return [
        cellType,
        {
          mean: average((s) => s.mean).map((m, c) => m / brightness[c]),
          meanSquare: average((s) => s.meanSquare).map((m, c) => m / brightness[c] ** 2),
        },
      ];
    }),
  );
  return Object.fromEntries(perType) as Record<CellType, CleanStats>;
}

interface PlannedSite {
  record: SiteRecord;
  task: SiteTask;
}

/** The sites of every plate in order, each with its render task (made on demand to bound memory). */
/** What the simulator knows of each plate and experiment while it plans sites. */
interface PlanContext {
  batches: ReadonlyMap<string, ExperimentBatch>;
  plateGains: ReadonlyMap<string, number[]>;
  sirnas: ReadonlyMap<number, SirnaTruth>;
  clean: Readonly<Record<CellType, CleanStats>>;
  noise: Noise;
}

function* plannedSites(
  settings: Settings,
  plates: readonly PlannedPlate[],
  context: PlanContext,
): Generator<PlannedSite> {
  const { seed, strengths } = settings;
  const { batches, plateGains, sirnas, noise } = context;
  for (const { experiment, plate, wells } of plates) {
    const batch = batches.get(experiment.name)!;
    const gainOfPlate = plateGains.get(`${experiment.name}/${plate}`)!;
    const gradient = plateGradient(seed, experiment.name, plate, strengths.gradient);
    const crowding = plateDensity(seed, experiment.name, plate, strengths.density);
    const profile = settings.profiles[experiment.cellType];
    const response = { gamma: batch.gamma, reference: context.clean[experiment.cellType].mean };
    const crosstalk = batch.crosstalk.some((row) => row.some((f) => f > 0)) ? batch.crosstalk : undefined;
    for (const { well, sirnaId } of wells) {
      const truth = sirnas.get(sirnaId)!;
      const id = wellId(experiment.name, plate, well);
      const effect = wellEffect(seed, batch, id, well, strengths.well);
      const { placement, look } = siteBiology(
        profile,
        addPhenotypes(addPhenotypes(scalePhenotype(truth.phenotype, profile.sensitivity), batch.culture), crowding),
        effect.density,
      );
      const slope = gradientGain(gradient, well);
      const gain = batch.gain.map((g, c) => g * gainOfPlate[c] * effect.gain[c] * slope[c]);
      for (let site = 1; site <= SITES_PER_WELL; site++) {
        const record: SiteRecord = {
          siteId: siteId(experiment.name, plate, well, site),
          wellId: id,
          cellType: experiment.cellType,
          dataset: experiment.dataset,
          experiment: experiment.name,
          plate,
          well,
          site,
          wellType: truth.wellType,
          sirna: truth.sirna,
          sirnaId,
        };
        const files = Array.from({ length: CHANNEL_COUNT }, (_, c) =>
          path.join(settings.out, 'images', channelPath(record, c + 1)),
        );
        const imaging = {
          gain,
          offset: batch.offset,
          illumination: siteIllumination(seed, batch, record.siteId, strengths.illumination),
          noise,
          ...(batch.gamma.some((g) => g !== 1) ? { response } : {}),
          ...(crosstalk ? { crosstalk } : {}),
          blurPasses: siteBlurPasses(seed, record.siteId, strengths.blur),
        };
        yield {
          record,
          task: { seed, key: record.siteId, placement, look, imaging, files, pngLevel: settings.pngLevel },
        };
      }
    }
  }
}

function metadataCsv(records: readonly SiteRecord[]): string {
  const rows = records.map((r) =>
    [
      r.siteId,
      r.wellId,
      r.cellType,
      r.dataset,
      r.experiment,
      r.plate,
      r.well,
      r.site,
      r.wellType,
      r.sirna,
      r.sirnaId,
    ].join(','),
  );
  return `${[OFFICIAL_COLUMNS.join(','), ...rows].join('\n')}\n`;
}

/** Simulates a dataset into `options.out`; see the module comment and presets.ts for sizes. */
export async function simulate(options: SimulateOptions): Promise<SimulateSummary> {
  const started = performance.now();
  const settings = settingsOf(options);
  const { seed, preset, strengths } = settings;
  const structure: Rxrx1Structure = loadRxrx1Structure();
  validatePreset(preset, structure);
  const kept = keptSirnas(structure, preset, seed);
  const plates = planPlates(structure, preset, kept, seed);
  const sirnaIds = [...new Set(plates.flatMap((p) => p.wells.map((w) => w.sirnaId)))].sort((a, b) => a - b);
  const sirnas = new Map(sirnaIds.map((id) => [id, sirnaTruth(seed, id)]));
  const noise = noiseAt(settings.noise);

  // A rerun must not look finished before it is.
  fs.mkdirSync(settings.out, { recursive: true });
  for (const marker of [METADATA_FILE, GROUND_TRUTH_FILE]) fs.rmSync(path.join(settings.out, marker), { force: true });
  for (const { experiment, plate } of plates) {
    fs.mkdirSync(path.join(settings.out, 'images', experiment.dataset, experiment.name, `Plate${plate}`), {
      recursive: true,
    });
  }

  // Naming an export for the start-up preload keeps piscina from falling back to import() after require()
  // found no default export, which races with Node 20's require(esm) (ERR_INTERNAL_ASSERTION).
  const pool = new Piscina({
    filename: new URL('./worker.js', import.meta.url).href,
    name: 'renderSiteFiles',
    minThreads: settings.threads,
    maxThreads: settings.threads,
  });
  try {
    const clean = await calibrateCellTypes(pool, seed, settings.profiles);
    const reference = referencePhotometry(structure, Object.values(clean), noise);
    const experiments = [...new Map(plates.map((p) => [p.experiment.name, p.experiment])).values()];
    const batches = new Map(
      experiments.map((e) => [e.name, experimentBatch(seed, e, clean[e.cellType], reference, strengths, noise)]),
    );
    const plateGains = new Map(
      plates.map((p) => [
        `${p.experiment.name}/${p.plate}`,
        plateGain(seed, p.experiment.name, p.plate, strengths.plate),
      ]),
    );

    const total = plates.reduce((sum, p) => sum + p.wells.length, 0) * SITES_PER_WELL;
    const records: SiteRecord[] = [];
    const outcomes = new Map<string, SiteOutcome>();
    options.onProgress?.(0, total);
    await forEachBounded(
      plannedSites(settings, plates, { batches, plateGains, sirnas, clean, noise }),
      2 * settings.threads,
      async ({ record, task }) => {
        records.push(record);
        outcomes.set(record.siteId, (await pool.run(task, { name: 'renderSiteFiles' })) as SiteOutcome);
        options.onProgress?.(outcomes.size, total);
      },
    );

    const usedCellTypes = new Set(experiments.map((e) => e.cellType));
    const groundTruth: GroundTruth = {
      version: SIMULATOR_VERSION,
      generator: 'phenomap simulate',
      seed,
      preset: settings.presetName,
      presetSpec: preset,
      parameters: {
        batchStrength: settings.batchStrength,
        strengths,
        noise: settings.noise,
        pngLevel: settings.pngLevel,
      },
      structure: { source: structure.source, license: structure.license },
      cellTypes: Object.fromEntries(
        CELL_TYPES.filter((t) => usedCellTypes.has(t)).map((t) => [
          t,
          { profile: settings.profiles[t], clean: clean[t] },
        ]),
      ),
      reference,
      kept,
      sirnas: Object.fromEntries(sirnaIds.map((id) => [String(id), sirnas.get(id)!])),
      experiments: Object.fromEntries(
        experiments.map((e) => [
          e.name,
          {
            cellType: e.cellType,
            dataset: e.dataset,
            batch: batches.get(e.name)!,
            plates: Object.fromEntries(
              plates
                .filter((p) => p.experiment === e)
                .map((p) => [String(p.plate), { group: p.group, gain: plateGains.get(`${e.name}/${p.plate}`)! }]),
            ),
          },
        ]),
      ),
      sites: Object.fromEntries(records.map((r) => [r.siteId, outcomes.get(r.siteId)!])),
    };
    writeFileAtomic(path.join(settings.out, GROUND_TRUTH_FILE), JSON.stringify(groundTruth));
    writeFileAtomic(path.join(settings.out, METADATA_FILE), metadataCsv(records));
    return {
      experiments: experiments.length,
      plates: plates.length,
      wells: total / SITES_PER_WELL,
      sites: total,
      files: total * CHANNEL_COUNT,
      seconds: Number(((performance.now() - started) / 1000).toFixed(3)),
    };
  } finally {
    await pool.destroy();
  }
}
