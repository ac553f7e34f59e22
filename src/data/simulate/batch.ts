/**
 * Batch effects: everything that changes images without changing biology, in four components.
 *   experiment    culture drift and channel gains and offsets. Runs weeks apart differ in confluence, nucleus
 *                 size, stain uptake and texture (a technical "phenotype" added to every well's biology, along
 *                 the same dimensions, so features cannot tell it from a knockdown without controls), and in
 *                 photometry: channel gains and offsets. Each simulated experiment is calibrated so its channel pixel
 *                 mean and std land on the real RxRx1 experiment of the same name (experiment_pixel_stats.csv);
 *                 strength s interpolates from a shared reference setting (s = 0, the median real
 *                 experiment) to the calibrated one (s = 1) geometrically for gains, linearly for offsets.
 *   plate         a smaller per-plate, per-channel gain.
 *   well          brighter, sparser outer wells (evaporation; scaled by exp(-edgeDistance)) and a small
 *                 per-well gain jitter.
 *   illumination  per-experiment vignetting around an off-centre optical axis, per-site tilt.
 * Regimes beyond RxRx1's (strength 0 by default, so default datasets are unchanged), each with its own random
 * streams so that turning one on changes nothing else:
 *   gamma         a non-linear intensity response per experiment: pixel = offset + gain·r·(s/r)^γ_c, r the
 *                 clean signal's mean level, log γ_c ~ N(0, (0.2·strength)²) shared by the channels plus a
 *                 per-channel 0.05·strength part;
 *   gradient      a linear intensity gradient across each plate (gain x (1 + g_x·u + g_y·v), u and v the well's
 *                 column and row in -1..1, g ~ N(0, (0.12·strength)²) per plate plus 0.03·strength per channel);
 *   density       seeding density per plate (log density ~ N(0, (0.3·strength)²)) that also shifts what crowded
 *                 cells look like: smaller nuclei (-0.25 x log density), dimmer stains (-0.15 x) and coarser texture
 *                 (+0.1 x), through the phenotype of every well of the plate;
 *   blur          per-site focus blur: a Gaussian of σ ~ 0.8·strength·|N(0, 1)| pixels (binomial passes);
 *   crosstalk     channel bleed-through per experiment: each channel picks up U(0, 0.06·strength) of each spectral
 *                 neighbour (w1..w6 in order);
 * plate-rim effects are the `well` component's edge terms (raise it for a rim regime).
 * Pixel noise is not a batch effect (independent per pixel, it cannot confound experiments): it has its own
 * strength and is left on when batch strength is 0.
 */
import { median } from '../../numerics/index.js';
import { CHANNEL_COUNT, edgeDistance, PLATE_COLUMNS, PLATE_ROWS, SITE_SIZE, wellPosition } from '../../rxrx1/index.js';
import type { Rxrx1Experiment, Rxrx1Structure } from '../rxrx1Structure.js';
import { illuminationMoments, type Illumination, type Noise } from './imaging.js';
import { rngFor } from '../../util/random.js';
import type { Phenotype } from './phenotype.js';

export interface BatchStrengths {
  experiment: number;
  plate: number;
  well: number;
  illumination: number;
  gamma: number;
  gradient: number;
  density: number;
  blur: number;
  crosstalk: number;
}

/** Components at strength 1 unless set (RxRx1's own), and the regimes beyond it, at 0 unless set. */
export const RXRX1_COMPONENTS = ['experiment', 'plate', 'well', 'illumination'] as const;
export const REGIME_COMPONENTS = ['gamma', 'gradient', 'density', 'blur', 'crosstalk'] as const;

/** Per-channel statistics of clean (noiseless, unit-gain) images. */
export interface CleanStats {
  mean: number[];
  meanSquare: number[];
}

export interface Photometry {
  /** Grey levels per unit clean signal, w1..w6. */
  gain: number[];
  /** Background grey level, w1..w6. */
  offset: number[];
}

export interface ExperimentBatch extends Photometry {
  /** The real RxRx1 statistics this experiment is calibrated to (0..255 scale). */
  target: { mean: number[]; std: number[] };
  /** Gains and offsets that hit `target` at experiment strength 1. */
  calibrated: Photometry;
  /** Relative brightness change of the outermost wells, w1..w6 (decays as exp(-edgeDistance)). */
  edge: number[];
  /** log cell-density change of the outermost wells. */
  edgeDensity: number;
  /** Culture drift of the experiment, added to every well's phenotype (log-scale changes). */
  culture: Phenotype;
  vignetting: { centerX: number; centerY: number; falloff: number };
  /** Response exponent γ per channel (1: linear). */
  gamma: number[];
  /** crosstalk[c][d]: fraction of channel d's signal seen in channel c (0 on the diagonal). */
  crosstalk: number[][];
}

/** Noise at strength `strength`; 1 matches the pixel-to-pixel noise of the real RxRx1 B02 images. */
export function noiseAt(strength: number): Noise {
  return { read: 0.35 * strength, shot: 0.06 * strength };
}

/**
 * Gain and offset putting offset + gain * illumination * clean (+ noise) at the target mean, and at the
 * target std where that leaves a non-negative offset of at most half the mean (else the std is given up).
 */
export function calibrate(
  target: { mean: number[]; std: number[] },
  clean: CleanStats,
  illumination: { mean: number; meanSquare: number },
  noise: Noise,
): Photometry {
  const gain: number[] = [];
  const offset: number[] = [];
  for (let c = 0; c < CHANNEL_COUNT; c++) {
    const mean = illumination.mean * clean.mean[c];
    // A drifted confluent field can extrapolate to a negative variance (its mean square does not grow with the cell
    // count as a sparse field's does): floor it, so the std is given up rather than the gain lost to NaN.
    const variance = Math.max(illumination.meanSquare * clean.meanSquare[c] - mean * mean, 1e-6 * mean * mean);
    const signalVariance = target.std[c] ** 2 - noise.read ** 2 - noise.shot * target.mean[c];
    const byStd = Math.sqrt(Math.max(0, signalVariance) / variance);
    const o = Math.min(0.5 * target.mean[c], Math.max(0, target.mean[c] - byStd * mean));
    offset.push(o);
    gain.push((target.mean[c] - o) / mean);
  }
  return { gain, offset };
}

/** The shared setting of batch strength 0: the median real experiment imaging the average cell type, evenly lit. */
export function referencePhotometry(structure: Rxrx1Structure, clean: readonly CleanStats[], noise: Noise): Photometry {
  const channels = Array.from({ length: CHANNEL_COUNT }, (_, c) => c);
  const target = {
    mean: channels.map((c) => median(structure.experiments.map((e) => e.pixelMean[c]))),
    std: channels.map((c) => median(structure.experiments.map((e) => e.pixelStd[c]))),
  };
  const pooled = {
    mean: channels.map((c) => clean.reduce((s, stats) => s + stats.mean[c], 0) / clean.length),
    meanSquare: channels.map((c) => clean.reduce((s, stats) => s + stats.meanSquare[c], 0) / clean.length),
  };
  return calibrate(target, pooled, { mean: 1, meanSquare: 1 }, noise);
}

export function experimentBatch(
  seed: number,
  experiment: Rxrx1Experiment,
  clean: CleanStats,
  reference: Photometry,
  strengths: BatchStrengths,
  noise: Noise,
): ExperimentBatch {
  const rng = rngFor(seed, 'experiment', experiment.name);
  const half = SITE_SIZE / 2;
  const vignetting = {
    centerX: half + strengths.illumination * rng.uniform(-40, 40),
    centerY: half + strengths.illumination * rng.uniform(-40, 40),
    falloff: strengths.illumination * rng.uniform(0.2, 0.4),
  };
  const target = { mean: experiment.pixelMean, std: experiment.pixelStd };
  const culture = cultureDrift(seed, experiment.name, strengths.experiment);
  // The drift changes how much stained cell there is to see; calibration aims at the drifted images.
  const drifted: CleanStats = {
    mean: clean.mean.map((m, c) => m * Math.exp(culture.cellCount + culture.intensity[c])),
    meanSquare: clean.meanSquare.map((m, c) => m * Math.exp(culture.cellCount + 2 * culture.intensity[c])),
  };
  const calibrated = calibrate(target, drifted, illuminationMoments({ ...vignetting, tiltX: 0, tiltY: 0 }), noise);
  const s = strengths.experiment;
  return {
    target,
    calibrated,
    gain: calibrated.gain.map((g, c) => reference.gain[c] * (g / reference.gain[c]) ** s),
    offset: calibrated.offset.map((o, c) => Math.max(0, reference.offset[c] + s * (o - reference.offset[c]))),
    edge: Array.from({ length: CHANNEL_COUNT }, () => strengths.well * (0.08 + 0.04 * rng.normal())),
    edgeDensity: strengths.well * (-0.15 + 0.05 * rng.normal()),
    culture,
    vignetting,
    gamma: responseGamma(seed, experiment.name, strengths.gamma),
    crosstalk: channelCrosstalk(seed, experiment.name, strengths.crosstalk),
  };
}

/** An experiment's response exponents, w1..w6. */
export function responseGamma(seed: number, experiment: string, strength: number): number[] {
  const rng = rngFor(seed, 'gamma', experiment);
  const shared = 0.2 * strength * rng.normal();
  return Array.from({ length: CHANNEL_COUNT }, () => Math.exp(shared + 0.05 * strength * rng.normal()));
}

/** An experiment's bleed-through between spectrally adjacent channels. */
export function channelCrosstalk(seed: number, experiment: string, strength: number): number[][] {
  const rng = rngFor(seed, 'crosstalk', experiment);
  return Array.from({ length: CHANNEL_COUNT }, (_, c) =>
    Array.from({ length: CHANNEL_COUNT }, (_, d) => (Math.abs(c - d) === 1 ? 0.06 * strength * rng.next() : 0)),
  );
}

/** A plate's intensity gradient: per-channel slopes along the columns (x) and rows (y). */
export function plateGradient(seed: number, experiment: string, plate: number, strength: number) {
  const rng = rngFor(seed, 'gradient', experiment, plate);
  const gx = 0.12 * strength * rng.normal();
  const gy = 0.12 * strength * rng.normal();
  return {
    x: Array.from({ length: CHANNEL_COUNT }, () => gx + 0.03 * strength * rng.normal()),
    y: Array.from({ length: CHANNEL_COUNT }, () => gy + 0.03 * strength * rng.normal()),
  };
}

/** The gain factor of a plate gradient at a well: 1 + g_x·u + g_y·v, floored at 0.2. */
export function gradientGain(gradient: { x: number[]; y: number[] }, well: string): number[] {
  const position = wellPosition(well);
  const u = position ? (position.column - (PLATE_COLUMNS - 1) / 2) / ((PLATE_COLUMNS - 1) / 2) : 0;
  const v = position ? (position.row - (PLATE_ROWS - 1) / 2) / ((PLATE_ROWS - 1) / 2) : 0;
  return gradient.x.map((gx, c) => Math.max(0.2, 1 + gx * u + gradient.y[c] * v));
}

/** A plate's seeding density (log) and what crowding does to the cells' look, as a phenotype shift. */
export function plateDensity(seed: number, experiment: string, plate: number, strength: number): Phenotype {
  const d = 0.3 * strength * rngFor(seed, 'density', experiment, plate).normal();
  return {
    cellCount: d,
    nucleusSize: -0.25 * d,
    eccentricity: 0,
    intensity: new Array<number>(CHANNEL_COUNT).fill(-0.15 * d),
    texture: new Array<number>(CHANNEL_COUNT).fill(0.1 * d),
  };
}

/** A site's focus blur: binomial [1, 2, 1]/4 passes (variance 1/2 each) giving σ ~ 0.8·strength·|N(0, 1)|. */
export function siteBlurPasses(seed: number, siteId: string, strength: number): number {
  if (strength <= 0) return 0;
  const sigma = 0.8 * strength * Math.abs(rngFor(seed, 'blur', siteId).normal());
  return Math.min(16, Math.round(2 * sigma * sigma));
}

/** Typical size (standard deviation) of an experiment's culture drift along each dimension at strength 1. */
const CULTURE_SPREAD = { cellCount: 0.2, nucleusSize: 0.07, eccentricity: 0.05, intensity: 0.15, texture: 0.2 };

/** An experiment's culture drift: its own random stream, so the other batch parameters do not depend on it. */
export function cultureDrift(seed: number, experiment: string, strength: number): Phenotype {
  const rng = rngFor(seed, 'culture', experiment);
  const draw = (spread: number) => strength * spread * rng.normal();
  return {
    cellCount: draw(CULTURE_SPREAD.cellCount),
    nucleusSize: draw(CULTURE_SPREAD.nucleusSize),
    eccentricity: draw(CULTURE_SPREAD.eccentricity),
    intensity: Array.from({ length: CHANNEL_COUNT }, () => draw(CULTURE_SPREAD.intensity)),
    texture: Array.from({ length: CHANNEL_COUNT }, () => draw(CULTURE_SPREAD.texture)),
  };
}

/** Per-channel gain of one plate. */
export function plateGain(seed: number, experiment: string, plate: number, strength: number): number[] {
  const rng = rngFor(seed, 'plate', experiment, plate);
  return Array.from({ length: CHANNEL_COUNT }, () => Math.exp(0.08 * strength * rng.normal()));
}

/** Per-channel gain and cell density factor of one well: edge effect, technical jitter, biological jitter. */
export function wellEffect(
  seed: number,
  batch: ExperimentBatch,
  wellId: string,
  well: string,
  strength: number,
): { gain: number[]; density: number } {
  const rng = rngFor(seed, 'well', wellId);
  const nearEdge = Math.exp(-edgeDistance(well));
  return {
    gain: batch.edge.map((edge) => (1 + edge * nearEdge) * Math.exp(0.03 * strength * rng.normal())),
    // Seeding and growth differ between wells whatever the imaging: the biological part stays at strength 0.
    density: Math.exp(batch.edgeDensity * nearEdge + 0.08 * rng.normal()),
  };
}

/** Illumination of one site: the experiment's vignetting with a small random tilt. */
export function siteIllumination(seed: number, batch: ExperimentBatch, siteId: string, strength: number): Illumination {
  const rng = rngFor(seed, 'illumination', siteId);
  return { ...batch.vignetting, tiltX: 0.03 * strength * rng.normal(), tiltY: 0.03 * strength * rng.normal() };
}
