/**
 * Derives the simulator's cell models (assets/rxrx1/simulator-calibration.json) from the real RxRx1 sample:
 *   1. measures every real negative-control site with all six channels (measure.ts: phenomap's featurize and the
 *      pixel statistics of nuclei, cytoplasm and background) and takes, per cell type, the median over sites of
 *      each statistic: the targets;
 *   2. simulates the sample's experiments (SAMPLE_PRESET, with their real batch effects) under the current models,
 *      measures the simulated negative-control sites the same way, and moves every fitted parameter by the ratio of
 *      its target to its simulated value (a damped fixed-point iteration: each parameter has one statistic it
 *      drives most, e.g. the nucleus radius and the nuclei's median area); repeated ITERATIONS times;
 *   3. writes the models, the targets and the last iteration's simulated values.
 * Structural parameters the sample cannot pin down well (fibre counts and spread, puncta per cell, falloffs,
 * membranes, elongation, holes) stay as the file has them: set by eye against the real images, and recorded as such.
 * The fit simulates seeds other than the realism benchmark's, so the benchmark measures on draws the fit never saw.
 *
 * Run: `npx tsc -p . && node dist/scripts/simulator/calibrate.js [ITERATIONS]` (about a minute per iteration on
 * 2 cores); PHENOMAP_RXRX1_SAMPLE names the sample (default ../shared/data/rxrx1).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  CALIBRATION_ASSET,
  type CalibrationFile,
  type CellTypeModel,
  loadCalibration,
} from '../../src/data/simulate/calibration.js';
import { GROUND_TRUTH_FILE, type GroundTruth, simulate } from '../../src/data/simulate/index.js';
import type { Phenotype } from '../../src/data/simulate/phenotype.js';
import { loadRxrx1Structure } from '../../src/data/rxrx1Structure.js';
import { median } from '../../src/numerics/index.js';
import { FeaturizeWorkspace } from '../../src/features/index.js';
import { loadSite } from '../../src/image/site.js';
import { CELL_TYPES, type CellType, CHANNEL_COUNT } from '../../src/rxrx1/index.js';
import { writeFileAtomic } from '../../src/util/files.js';
import {
  measureSite,
  PIXEL_PERCENTILES,
  realSampleSites,
  SAMPLE_PRESET,
  type LogSpread,
  type SampleSite,
  type SiteMeasure,
  simulatedSampleSites,
} from './measure.js';

const SEEDS = [101, 102];
const DEFAULT_ITERATIONS = 8;
/** Damping of each step (1 = jump to the ratio) and the largest change one step may make. */
const DAMPING = 0.8;
const MAX_STEP = 1.6;
const REPO_ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', '..', '..');
const SAMPLE = path.resolve(process.env.PHENOMAP_RXRX1_SAMPLE ?? path.join(REPO_ROOT, '..', 'shared', 'data', 'rxrx1'));
const ASSET = path.join(REPO_ROOT, 'assets', 'rxrx1', CALIBRATION_ASSET);
const Q = (p: number) => PIXEL_PERCENTILES.indexOf(p as (typeof PIXEL_PERCENTILES)[number]);

/** The statistics the fit matches, per cell type (medians over sites). */
export type Stats = {
  count: number;
  nucleusArea: number;
  nucleusAreaSpread: number;
  aspect: number;
  aspectSpread: number;
  solidity: number;
  cellArea: number;
  /** Per channel: median pixel of nucleus, cytoplasm, background (relative to the site mean). */
  nucleus: number[];
  cytoplasm: number[];
  background: number[];
  /** Per channel, in the channel's reference region (w1: nucleus, others: cytoplasm): (q75 - q25) / q50 and q99 / q50. */
  spread: number[];
  tail: number[];
  blockCv: number[];
  cellSpread: number[];
  /** Fractions of the site in nuclei, cytoplasm and background. */
  fractions: number[];
  /** Per channel, the site mean over its experiment's mean (experiment_pixel_stats.csv). */
  controlBrightness: number[];
};

/** A measured site with its experiment and, for simulated sites, the experiment's known culture drift. */
interface Measured {
  site: SampleSite;
  measure: SiteMeasure;
  drift?: Phenotype;
}

/**
 * The statistics of a cell type's sites. A simulated site's geometry is taken back to the cell type's baseline by
 * its experiment's known culture drift (batch.ts), so the fit aims the baseline at the real sites, not at whatever
 * drift the fit's seeds drew.
 */
function statsOf(sites: readonly Measured[]): Stats {
  const pixelMean = new Map(loadRxrx1Structure().experiments.map((e) => [e.name, e.pixelMean]));
  const measures = sites.map(({ measure, drift }) => (drift ? undrifted(measure, drift) : measure));
  const med = (pick: (m: SiteMeasure) => number) => median(measures.map(pick));
  const channels = Array.from({ length: CHANNEL_COUNT }, (_, c) => c);
  const feature = (m: SiteMeasure, name: string) => m.values[m.names.indexOf(name)];
  const ref = (m: SiteMeasure, c: number) => (c === 0 ? m.regions.nucleus : m.regions.cytoplasm).quantiles[c];
  return {
    count: med((m) => feature(m, 'Count_Nuclei')),
    nucleusArea: Math.exp(med((m) => m.objects.nucleusArea.median)),
    nucleusAreaSpread: med((m) => m.objects.nucleusArea.spread),
    aspect: Math.exp(med((m) => m.objects.nucleusAspect.median)),
    aspectSpread: med((m) => m.objects.nucleusAspect.spread),
    solidity: Math.exp(med((m) => m.objects.nucleusSolidity.median)),
    cellArea: Math.exp(med((m) => m.objects.cellArea.median)),
    nucleus: channels.map((c) => med((m) => m.regions.nucleus.quantiles[c][Q(50)])),
    cytoplasm: channels.map((c) => med((m) => m.regions.cytoplasm.quantiles[c][Q(50)])),
    background: channels.map((c) => med((m) => m.regions.background.quantiles[c][Q(50)])),
    spread: channels.map((c) => med((m) => (ref(m, c)[Q(75)] - ref(m, c)[Q(25)]) / ref(m, c)[Q(50)])),
    tail: channels.map((c) => med((m) => ref(m, c)[Q(99)] / ref(m, c)[Q(50)])),
    blockCv: channels.map((c) => med((m) => m.blockCv[c])),
    cellSpread: channels.map((c) => med((m) => m.objects.cellMean[c].spread)),
    fractions: (['nucleus', 'cytoplasm', 'background'] as const).map((r) => med((m) => m.regions[r].fraction)),
    controlBrightness: channels.map((c) =>
      median(sites.map((s) => s.measure.channelMean[c] / pixelMean.get(s.site.experiment)![c])),
    ),
  };
}

/** A simulated site's measurements without its experiment's culture drift of count, nucleus size and shape. */
function undrifted(measure: SiteMeasure, drift: Phenotype): SiteMeasure {
  const values = Float64Array.from(measure.values);
  values[measure.names.indexOf('Count_Nuclei')] /= Math.exp(drift.cellCount);
  const shift = (spread: LogSpread, by: number): LogSpread => ({ ...spread, median: spread.median - by });
  return {
    ...measure,
    values,
    objects: {
      ...measure.objects,
      nucleusArea: shift(measure.objects.nucleusArea, 2 * drift.nucleusSize),
      nucleusAspect: shift(measure.objects.nucleusAspect, drift.eccentricity),
      // A confluent field shares the same area among more cells.
      cellArea: shift(measure.objects.cellArea, -drift.cellCount),
    },
  };
}

async function measureByCellType(
  root: string,
  sites: readonly SampleSite[],
  drifts?: ReadonlyMap<string, Phenotype>,
): Promise<Record<CellType, Stats>> {
  const workspace = new FeaturizeWorkspace();
  const measured = new Map<CellType, Measured[]>();
  for (const site of sites) {
    const list = measured.get(site.cellType) ?? [];
    list.push({
      site,
      measure: measureSite(await loadSite(root, site), workspace),
      drift: drifts?.get(site.experiment),
    });
    measured.set(site.cellType, list);
  }
  return Object.fromEntries(CELL_TYPES.map((t) => [t, statsOf(measured.get(t) ?? [])])) as Record<CellType, Stats>;
}

const clamp = (value: number, low: number, high: number) => Math.min(high, Math.max(low, value));

/** The damped multiplicative step target / simulated (1 when either is not a positive number). */
function step(target: number, simulated: number, damping = DAMPING): number {
  if (!(target > 0 && simulated > 0)) return 1;
  return Math.min(MAX_STEP, Math.max(1 / MAX_STEP, (target / simulated) ** damping));
}

/** One fixed-point step of every fitted parameter of one cell type's model. */
export function updateModel(model: CellTypeModel, target: Stats, sim: Stats): CellTypeModel {
  const logRatio = (a: number, b: number) => Math.log(a) / Math.log(b);
  const channels = model.channels.map((m, c) => {
    // Levels are relative to the channel's reference region: w1's nucleus, the others' cytoplasm.
    const ref = (s: Stats) => (c === 0 ? s.nucleus[c] : s.cytoplasm[c]);
    const relative = (s: Stats, values: number[]) => values[c] / ref(s);
    return {
      ...m,
      nucleus:
        c === 0
          ? m.nucleus
          : clamp(m.nucleus * step(relative(target, target.nucleus), relative(sim, sim.nucleus)), 0.05, 5),
      cytoplasm:
        c === 0 ? m.cytoplasm * step(relative(target, target.cytoplasm), relative(sim, sim.cytoplasm)) : m.cytoplasm,
      background: m.background * step(relative(target, target.background), relative(sim, sim.background)),
      // Bounded: sparse bright structures barely move the quartiles, and an unbounded step would run away.
      texture: clamp(m.texture * step(target.spread[c], sim.spread[c]), 0.01, 3),
      spots: m.spots === 0 ? 0 : clamp(m.spots * step(target.tail[c] - 1, sim.tail[c] - 1, 0.5), 0.05, 5),
      cellSd: Math.min(0.8, m.cellSd * step(target.cellSpread[c], sim.cellSpread[c])),
      unevenness: Math.min(0.8, m.unevenness * step(target.blockCv[c], sim.blockCv[c], 0.6)),
    };
  });
  return {
    ...model,
    density: model.density * step(target.count, sim.count, 1),
    nucleusRadius: model.nucleusRadius * Math.sqrt(step(target.nucleusArea, sim.nucleusArea, 1)),
    nucleusSizeSd: Math.min(0.5, model.nucleusSizeSd * step(target.nucleusAreaSpread, sim.nucleusAreaSpread)),
    aspect: Math.exp(Math.log(model.aspect) * Math.min(1.5, Math.max(0.67, logRatio(target.aspect, sim.aspect)))),
    aspectSd: Math.min(0.5, model.aspectSd * step(target.aspectSpread, sim.aspectSpread)),
    lobes: Math.min(0.3, model.lobes * step(1 - target.solidity, 1 - sim.solidity)),
    // Territories never shrink inside their nucleus: below 1.8 a confluent field would lose its cytoplasm.
    cellScale: Math.max(1.8, model.cellScale * step(target.cellArea, sim.cellArea, 0.6)),
    controlBrightness: model.controlBrightness.map(
      (b, c) => b * step(target.controlBrightness[c], sim.controlBrightness[c], 1),
    ),
    channels,
  };
}

async function simulatedStats(models: Record<CellType, CellTypeModel>): Promise<Record<CellType, Stats>> {
  const sites = simulatedSampleSites().filter((s) => s.site === 1);
  const perSeed: Record<CellType, Stats>[] = [];
  for (const seed of SEEDS) {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'phenomap-calibrate-'));
    try {
      await simulate({ out, preset: SAMPLE_PRESET, seed, pngLevel: 0, cellModels: models });
      const truth = JSON.parse(fs.readFileSync(path.join(out, GROUND_TRUTH_FILE), 'utf8')) as GroundTruth;
      const drifts = new Map(Object.entries(truth.experiments).map(([name, e]) => [name, e.batch.culture]));
      perSeed.push(await measureByCellType(path.join(out, 'images'), sites, drifts));
    } finally {
      fs.rmSync(out, { recursive: true, force: true });
    }
  }
  // Geometric mean over seeds of every statistic.
  const combine = (values: number[]) =>
    Math.exp(values.reduce((s, v) => s + Math.log(Math.max(v, 1e-9)), 0) / values.length);
  return Object.fromEntries(
    CELL_TYPES.map((t) => {
      const first = perSeed[0][t];
      const merged = Object.fromEntries(
        Object.keys(first).map((key) => {
          const value = first[key as keyof Stats];
          return [
            key,
            Array.isArray(value)
              ? value.map((_, c) => combine(perSeed.map((s) => (s[t][key as keyof Stats] as number[])[c])))
              : combine(perSeed.map((s) => s[t][key as keyof Stats] as number)),
          ];
        }),
      );
      return [t, merged as unknown as Stats];
    }),
  ) as Record<CellType, Stats>;
}

function rounded<T>(value: T): T {
  return JSON.parse(JSON.stringify(value, (_, v) => (typeof v === 'number' ? Number(v.toPrecision(4)) : v)));
}

async function main(): Promise<void> {
  const iterations = Number(process.argv[2] ?? DEFAULT_ITERATIONS);
  const real = realSampleSites(path.join(SAMPLE, 'images'));
  if (real.length === 0) throw new Error(`calibrate: no complete B02 site 1 below ${path.join(SAMPLE, 'images')}`);
  const targets = await measureByCellType(path.join(SAMPLE, 'images'), real);
  const current: CalibrationFile = loadCalibration();
  let models = Object.fromEntries(CELL_TYPES.map((t) => [t, current.cellTypes[t]!.model])) as Record<
    CellType,
    CellTypeModel
  >;
  let sim = await simulatedStats(models);
  for (let i = 0; i < iterations; i++) {
    models = Object.fromEntries(CELL_TYPES.map((t) => [t, updateModel(models[t], targets[t], sim[t])])) as Record<
      CellType,
      CellTypeModel
    >;
    sim = await simulatedStats(models);
    const off = CELL_TYPES.map(
      (t) =>
        `${t} count ${(sim[t].count / targets[t].count).toFixed(2)} area ${(sim[t].nucleusArea / targets[t].nucleusArea).toFixed(2)} cell ${(sim[t].cellArea / targets[t].cellArea).toFixed(2)}`,
    );
    console.log(`iteration ${i + 1}/${iterations}: ${off.join('; ')}`);
  }
  const file: CalibrationFile = {
    ...current,
    cellTypes: Object.fromEntries(
      CELL_TYPES.map((t) => [
        t,
        {
          model: rounded(models[t]),
          targets: rounded({ real: targets[t], simulated: sim[t], sites: real.filter((s) => s.cellType === t).length }),
        },
      ]),
    ) as unknown as CalibrationFile['cellTypes'],
  };
  writeFileAtomic(ASSET, `${JSON.stringify(file, null, 2)}\n`);
  console.log(`wrote ${path.relative(process.cwd(), ASSET)}`);
}

if (process.argv[1]?.endsWith(path.join('simulator', 'calibrate.js'))) await main();
