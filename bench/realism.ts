/**
 * Realism of the simulator, measured against the real RxRx1 sample (issue 14). The simulated side is the sample's
 * own experiments simulated with their batch effects (SAMPLE_PRESET), negative-control well B02 of every plate; the
 * real side is site 1 of every B02 well of ../shared/data/rxrx1 (the only sites with all six channels). Both are
 * featurized by phenomap (src/features) and compared three ways:
 *   1. per cell type and summary feature, the median over sites, real and simulated, and their ratio (target: within
 *      20%);
 *   2. a two-sample test: logistic regression (src/evaluate, L2 as scikit-learn's C = 1) on all the classical site
 *      features telling real from simulated sites, cross-validated by site (stratified folds, simulated sites of one
 *      well kept together, features standardized on the training folds, NaN as the training mean); the AUC of its
 *      out-of-fold scores (0.5: cannot tell, target <= 0.8), and the features that separate the two most;
 *   3. side-by-side composites of a real and a simulated site per cell type (docs/realism/*.png, for the README).
 * Writes bench/results/realism.json.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { simulate } from '../src/data/simulate/index.js';
import { logisticLogProba, trainLogistic } from '../src/evaluate/index.js';
import { matrix, standardize, takeRows } from '../src/numerics/index.js';
import { FeaturizeWorkspace } from '../src/features/index.js';
import { compositeRgb } from '../src/image/rgb.js';
import { encodePng } from '../src/codec/png.js';
import { channelHistogram, histogramPercentile } from '../src/image/stats.js';
import { loadSite } from '../src/image/site.js';
import { CELL_TYPES, CHANNEL_COUNT, SITE_SIZE } from '../src/rxrx1/index.js';
import { rngFor } from '../src/util/random.js';
import { writeFileAtomic } from '../src/util/files.js';
import {
  measureSite,
  realSampleSites,
  SAMPLE_PRESET,
  simulatedSampleSites,
  type SampleSite,
  type SiteMeasure,
} from '../scripts/simulator/measure.js';
import { median, REAL_IMAGE_ROOT, REPO_ROOT } from './common.js';

/** The summary features of the issue's targets: counts, sizes, shapes, and each stain's mean and spread in cells. */
export const SUMMARY_FEATURES = [
  'Count_Nuclei',
  'Nuclei_AreaShape_Area',
  'Nuclei_AreaShape_Eccentricity',
  'Nuclei_AreaShape_Solidity',
  'Cells_AreaShape_Area',
  'Cells_AreaShape_FormFactor',
  'Nuclei_Intensity_MeanIntensity_w1',
  'Nuclei_Intensity_StdIntensity_w1',
  ...[2, 3, 4, 5, 6].map((c) => `Cells_Intensity_MeanIntensity_w${c}`),
  ...[2, 3, 4, 5, 6].map((c) => `Cells_Intensity_StdIntensity_w${c}`),
];
const TARGET_RATIO = 0.2;
const TARGET_AUC = 0.8;
const FOLDS = 6;
/** Simulated with five seeds: an experiment's culture drift is one random draw per seed (batch.ts). */
const SEEDS = [1, 2, 3, 4, 5];
const SEED = SEEDS[0];
const DOCS = path.join(REPO_ROOT, 'docs', 'realism');
/** Side of the composite crops (pixels, full resolution). */
const CROP = 200;

interface Measured extends SampleSite {
  real: boolean;
  /** The sites of one well (of one simulation seed) share a group, and so a fold. */
  group: string;
  measure: SiteMeasure;
}

function round(value: number, digits = 4): number {
  return Number.isFinite(value) ? Number(value.toPrecision(digits)) : NaN;
}

/** Area under the ROC curve of `scores` for positives (Mann-Whitney U / (n1 n0), ties counted half). */
export function rocAuc(scores: ArrayLike<number>, positive: ArrayLike<boolean>): number {
  const order = Array.from({ length: scores.length }, (_, i) => i).sort((a, b) => scores[a] - scores[b]);
  let rankSum = 0;
  let positives = 0;
  for (let start = 0; start < order.length; ) {
    let end = start;
    while (end + 1 < order.length && scores[order[end + 1]] === scores[order[start]]) end++;
    const rank = (start + end) / 2 + 1;
    for (let k = start; k <= end; k++) {
      if (positive[order[k]]) {
        rankSum += rank;
        positives++;
      }
    }
    start = end + 1;
  }
  const negatives = order.length - positives;
  return (rankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
}

/** Fold of each site: stratified by real/simulated, the simulated sites of one well in one fold. */
function assignFolds(sites: readonly Measured[]): Int32Array {
  const folds = new Int32Array(sites.length);
  for (const real of [true, false]) {
    const wells = [...new Set(sites.filter((s) => s.real === real).map((s) => s.group))].sort();
    const shuffled = rngFor(SEED, 'realism-folds', String(real)).shuffle(wells);
    const foldOf = new Map(shuffled.map((well, i) => [well, i % FOLDS]));
    sites.forEach((s, i) => {
      if (s.real === real) folds[i] = foldOf.get(s.group)!;
    });
  }
  return folds;
}

/** Out-of-fold probability of "real" for every site (see the module comment). */
function crossValidatedScores(sites: readonly Measured[], names: readonly string[]): Float64Array {
  const n = sites.length;
  const p = names.length;
  const X = new Float32Array(n * p);
  sites.forEach((s, i) => {
    X.set(s.measure.values, i * p);
  });
  const folds = assignFolds(sites);
  const scores = new Float64Array(n);
  for (let fold = 0; fold < FOLDS; fold++) {
    const train: number[] = [];
    const test: number[] = [];
    for (let i = 0; i < n; i++) (folds[i] === fold ? test : train).push(i);
    // NaN (a site without objects of some kind) becomes 0 after standardization: the training mean.
    const Z = standardize(matrix(X, n, p), { rows: train });
    const y = Int32Array.from(train, (i) => (sites[i].real ? 1 : 0));
    const model = trainLogistic(takeRows(Z, train), y, { classes: 2, l2: 1 / train.length, maxIterations: 500 });
    const logProba = logisticLogProba(model, takeRows(Z, test)).data;
    test.forEach((i, k) => {
      scores[i] = Math.exp(logProba[k * 2 + 1]);
    });
  }
  return scores;
}

/** Standardized mean difference (simulated minus real, pooled sd) of every feature; the largest first. */
function separatingFeatures(sites: readonly Measured[], names: readonly string[], top: number) {
  const stats = names.map((name, j) => {
    const side = (real: boolean) => sites.filter((s) => s.real === real).map((s) => s.measure.values[j]);
    const moments = (values: number[]) => {
      const finite = values.filter(Number.isFinite);
      const mean = finite.reduce((a, b) => a + b, 0) / finite.length;
      return { mean, variance: finite.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(1, finite.length - 1) };
    };
    const real = moments(side(true));
    const sim = moments(side(false));
    return { feature: name, d: (sim.mean - real.mean) / Math.sqrt((real.variance + sim.variance) / 2) };
  });
  return stats
    .filter((s) => Number.isFinite(s.d))
    .sort((a, b) => Math.abs(b.d) - Math.abs(a.d))
    .slice(0, top)
    .map((s) => ({ feature: s.feature, standardizedDifference: round(s.d, 3) }));
}

function summaryMedians(sites: readonly Measured[], names: readonly string[]) {
  const result: Record<string, Record<string, { real: number; simulated: number; ratio: number }>> = {};
  for (const cellType of CELL_TYPES) {
    result[cellType] = {};
    for (const feature of SUMMARY_FEATURES) {
      const j = names.indexOf(feature);
      const of = (real: boolean) =>
        median(sites.filter((s) => s.cellType === cellType && s.real === real).map((s) => s.measure.values[j]));
      const real = of(true);
      const simulated = of(false);
      result[cellType][feature] = { real: round(real), simulated: round(simulated), ratio: round(simulated / real, 3) };
    }
  }
  return result;
}

/**
 * A w1/w2/w3 (blue/green/red) and a w4/w5/w6 composite of a CROP x CROP centre crop, each channel shown from 0 to
 * its site's 99.5th percentile (the same rule on both sides).
 */
function compositeCrops(tensor: Uint8Array): Uint8Array[] {
  const ranges: Record<number, [number, number]> = {};
  for (let c = 1; c <= CHANNEL_COUNT; c++)
    ranges[c] = [0, Math.max(1, histogramPercentile(channelHistogram(tensor, c), 99.5))];
  const colors = (first: number) => ({ [first]: [0, 0, 255], [first + 1]: [0, 255, 0], [first + 2]: [255, 0, 0] });
  return [1, 4].map((first) => {
    const rgb = compositeRgb(tensor, {
      channels: [first, first + 1, first + 2],
      colors: colors(first) as Record<number, [number, number, number]>,
      ranges,
    });
    const crop = new Uint8Array(CROP * CROP * 3);
    const origin = (SITE_SIZE - CROP) / 2;
    for (let y = 0; y < CROP; y++)
      crop.set(
        rgb.subarray(((origin + y) * SITE_SIZE + origin) * 3, ((origin + y) * SITE_SIZE + origin + CROP) * 3),
        y * CROP * 3,
      );
    return crop;
  });
}

/** Tiles equal square RGB crops into a grid (row-major), with a white gap. */
function tile(crops: Uint8Array[], columns: number): { pixels: Uint8Array; width: number; height: number } {
  const gap = 6;
  const rows = Math.ceil(crops.length / columns);
  const width = columns * CROP + (columns - 1) * gap;
  const height = rows * CROP + (rows - 1) * gap;
  const pixels = new Uint8Array(width * height * 3).fill(255);
  crops.forEach((crop, k) => {
    const x0 = (k % columns) * (CROP + gap);
    const y0 = Math.floor(k / columns) * (CROP + gap);
    for (let y = 0; y < CROP; y++)
      pixels.set(crop.subarray(y * CROP * 3, (y + 1) * CROP * 3), ((y0 + y) * width + x0) * 3);
  });
  return { pixels, width, height };
}

async function writeComposites(realRoot: string, simRoot: string): Promise<string[]> {
  fs.mkdirSync(DOCS, { recursive: true });
  const files: string[] = [];
  for (const cellType of CELL_TYPES) {
    const site = { dataset: 'train' as const, experiment: `${cellType}-01`, plate: 1, well: 'B02', site: 1 };
    const [realA, realB] = compositeCrops(await loadSite(realRoot, site));
    const [simA, simB] = compositeCrops(await loadSite(simRoot, site));
    const { pixels, width, height } = tile([realA, simA, realB, simB], 2);
    const file = path.join(DOCS, `${cellType}.png`);
    writeFileAtomic(file, encodePng(pixels, width, height, 3, 9));
    files.push(path.relative(REPO_ROOT, file));
  }
  return files;
}

async function measureAll(root: string, sites: readonly SampleSite[], real: boolean, tag: string): Promise<Measured[]> {
  const workspace = new FeaturizeWorkspace();
  const measured: Measured[] = [];
  for (const site of sites)
    measured.push({
      ...site,
      real,
      group: `${tag}/${site.experiment}_${site.plate}`,
      measure: measureSite(await loadSite(root, site), workspace),
    });
  return measured;
}

export async function benchRealism(): Promise<Record<string, unknown>> {
  const started = performance.now();
  const realSites = realSampleSites(REAL_IMAGE_ROOT);
  if (realSites.length === 0) throw new Error(`bench realism: no complete B02 site 1 below ${REAL_IMAGE_ROOT}`);
  const simDir = fs.mkdtempSync(path.join(os.tmpdir(), 'phenomap-bench-realism-'));
  try {
    const sites = await measureAll(REAL_IMAGE_ROOT, realSites, true, 'real');
    let simulateSeconds = 0;
    for (const seed of SEEDS) {
      const out = path.join(simDir, `seed-${seed}`);
      simulateSeconds += (await simulate({ out, preset: SAMPLE_PRESET, seed, pngLevel: 0 })).seconds;
      sites.push(...(await measureAll(path.join(out, 'images'), simulatedSampleSites(), false, `seed-${seed}`)));
    }
    const simRoot = path.join(simDir, `seed-${SEED}`, 'images');
    const names = sites[0].measure.names;
    const scores = crossValidatedScores(sites, names);
    const auc = (keep: (s: Measured) => boolean) => {
      const rows = sites.map((_, i) => i).filter((i) => keep(sites[i]));
      return round(
        rocAuc(
          rows.map((i) => scores[i]),
          rows.map((i) => sites[i].real),
        ),
        3,
      );
    };
    const medians = summaryMedians(sites, names);
    const ratios = Object.values(medians).flatMap((byFeature) => Object.values(byFeature).map((m) => m.ratio));
    const worst = Math.max(...ratios.map((r) => Math.abs(r - 1)));
    const overallAuc = auc(() => true);
    const result = {
      benchmark: 'realism: simulated vs real RxRx1 negative-control sites, measured by phenomap featurize',
      date: new Date().toISOString(),
      machine: { cpu: os.cpus()[0]?.model, cores: os.availableParallelism(), node: process.version },
      real: { root: 'shared/data/rxrx1/images', sites: realSites.length },
      simulated: {
        preset: SAMPLE_PRESET,
        seeds: SEEDS,
        sites: sites.length - realSites.length,
        seconds: round(simulateSeconds, 3),
      },
      features: names.length,
      summaryMedians: medians,
      classifier: {
        model: 'logistic regression (src/evaluate trainLogistic), L2 = 1 / n_train (scikit-learn C = 1)',
        protocol: `${FOLDS}-fold cross-validation by site, stratified, simulated sites of a well in one fold; features standardized on the training folds`,
        auc: overallAuc,
        aucByCellType: Object.fromEntries(CELL_TYPES.map((t) => [t, auc((s) => s.cellType === t)])),
        separatingFeatures: separatingFeatures(sites, names, 12),
      },
      composites: await writeComposites(REAL_IMAGE_ROOT, simRoot),
      targets: {
        medianRatioWithin: TARGET_RATIO,
        worstMedianDeviation: round(worst, 3),
        mediansMet: worst <= TARGET_RATIO,
        auc: TARGET_AUC,
        aucMet: overallAuc <= TARGET_AUC,
      },
      seconds: round((performance.now() - started) / 1000, 3),
    };
    const file = path.join(REPO_ROOT, 'bench', 'results', 'realism.json');
    fs.mkdirSync(path.dirname(file), { recursive: true });
    writeFileAtomic(file, `${JSON.stringify(result, null, 2)}\n`);
    return result;
  } finally {
    fs.rmSync(simDir, { recursive: true, force: true });
  }
}
