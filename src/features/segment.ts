/**
 * Nuclei and cell segmentation of one site, after CellProfiler's IdentifyPrimaryObjects (smooth, global threshold,
 * fill holes, declump by watershed from local maxima, drop border and out-of-size objects) and
 * IdentifySecondaryObjects (grow each nucleus into its cell over a thresholded cytoplasm image by watershed).
 * Input is the channel-major 6 x H x W uint8 site tensor; outputs are Int32 label images where cell i grew from
 * nucleus i, so the same object number names a nucleus and its cell.
 */
import { distanceTransformSquared, DistanceScratch } from './distance.js';
import { GaussianScratch, gaussianFilter, toFloat32 } from './gaussian.js';
import { countLabels, filterObjects, relabel } from './label.js';
import { hMaxima } from './maxima.js';
import { fillHoles, PixelQueue } from './morphology.js';
import { threshold, type ThresholdMethod } from './threshold.js';
import { watershed, WatershedScratch } from './watershed.js';

export interface NucleiParameters {
  /** 1-based channel of the nuclear stain (RxRx1: w1, Hoechst). */
  channel: number;
  /** Gaussian sigma (px) applied before thresholding and declumping. */
  sigma: number;
  thresholdMethod: ThresholdMethod;
  /** Multiplies the automatic threshold (CellProfiler's "threshold correction factor"). */
  thresholdCorrection: number;
  /**
   * How touching nuclei are split: 'intensity' floods the inverted smoothed stain from its local maxima
   * (nuclei are brightest at their centres, dimmer where they touch); 'shape' floods the negated distance
   * transform of the mask from its maxima (splits at necks).
   */
  declump: 'intensity' | 'shape';
  /** Gaussian sigma (px) of the image whose maxima seed intensity declumping (CellProfiler: min diameter / 3.5). */
  declumpSigma: number;
  /**
   * Minimum dynamic (h of the h-maxima) of a seed: for 'intensity' in natural-log units of the smoothed stain
   * (0.1: the dip between two seeds must fall about 10% below the lower peak, whatever the experiment's
   * brightness), for 'shape' in pixels of distance.
   */
  maximaDepth: number;
  /** Equivalent-diameter range (px) of kept nuclei. */
  diameterRange: [number, number];
  excludeBorderObjects: boolean;
}

export interface CellParameters {
  /** 1-based channels averaged into the cytoplasm image (RxRx1: ConA/ER, Phalloidin/actin, WGA/membrane). */
  channels: number[];
  sigma: number;
  thresholdMethod: ThresholdMethod;
  thresholdCorrection: number;
  /** Cells extend at most this far (px) from their nucleus. */
  maxDistance: number;
}

/** Defaults for RxRx1 sites (512 x 512, nuclei about 12-35 px across), checked against hand counts on real sites. */
export const DEFAULT_NUCLEI: NucleiParameters = {
  channel: 1,
  sigma: 2,
  thresholdMethod: 'li',
  thresholdCorrection: 1,
  declump: 'intensity',
  declumpSigma: 2,
  maximaDepth: 0.08,
  diameterRange: [8, 60],
  excludeBorderObjects: true,
};

export const DEFAULT_CELLS: CellParameters = {
  channels: [2, 3, 6],
  sigma: 2,
  thresholdMethod: 'otsu',
  thresholdCorrection: 0.7,
  maxDistance: 40,
};

/** Buffers for one site size, reused from site to site (a worker thread holds one). */
export class SegmentationWorkspace {
  readonly pixels: number;
  readonly smooth: Float32Array;
  readonly plane: Float32Array;
  readonly levels: Int32Array;
  readonly mask: Uint8Array;
  readonly scratch: Float32Array;
  readonly markers: Int32Array;
  readonly all: Int32Array;
  readonly gaussian = new GaussianScratch();
  readonly distance = new DistanceScratch();
  readonly watershed = new WatershedScratch();
  readonly queue = new PixelQueue();

  constructor(
    readonly width: number,
    readonly height: number,
  ) {
    this.pixels = width * height;
    this.smooth = new Float32Array(this.pixels);
    this.plane = new Float32Array(this.pixels);
    this.levels = new Int32Array(this.pixels);
    this.mask = new Uint8Array(this.pixels);
    this.scratch = new Float32Array(this.pixels);
    this.markers = new Int32Array(this.pixels);
    this.all = new Int32Array(this.pixels);
  }
}

export interface NucleiResult {
  /** Kept nuclei, numbered 1..count. */
  labels: Int32Array;
  count: number;
  /** Every nucleus found before the border and size filters (they still claim their cytoplasm when cells grow). */
  allLabels: Int32Array;
  /** allLabels number -> kept number (0 = dropped). */
  keep: Int32Array;
  /** The threshold applied, on the [0, 1] intensity scale. */
  threshold: number;
}

export interface CellsResult {
  labels: Int32Array;
  count: number;
  threshold: number;
}

function channelPlane(tensor: Uint8Array, channel: number, pixels: number): Uint8Array {
  return tensor.subarray((channel - 1) * pixels, channel * pixels);
}

/** Levels for the watershed: 0 at the highest value of `image` in the mask, growing as the value falls. */
function invertedLevels(image: Float32Array, mask: Uint8Array, steps: number, out: Int32Array): Int32Array {
  let max = -Infinity;
  let min = Infinity;
  for (let i = 0; i < image.length; i++) {
    if (!mask[i]) continue;
    if (image[i] > max) max = image[i];
    if (image[i] < min) min = image[i];
  }
  const scale = max > min ? steps / (max - min) : 0;
  for (let i = 0; i < image.length; i++) out[i] = mask[i] ? Math.round((max - image[i]) * scale) : 0;
  return out;
}

/** Segments the nuclei of a site (see NucleiParameters for the steps). */
export function segmentNuclei(
  tensor: Uint8Array,
  width: number,
  height: number,
  parameters: Partial<NucleiParameters> = {},
  workspace: SegmentationWorkspace = new SegmentationWorkspace(width, height),
  out: Int32Array = new Int32Array(width * height),
): NucleiResult {
  const p = { ...DEFAULT_NUCLEI, ...parameters };
  const { pixels, smooth, plane, levels, mask, markers, all } = workspace;
  const raw = toFloat32(channelPlane(tensor, p.channel, pixels), workspace.scratch);
  gaussianFilter(raw, width, height, { sigma: p.sigma, scale: 1 / 255 }, smooth, workspace.gaussian);
  const t = threshold(smooth, p.thresholdMethod) * p.thresholdCorrection;
  for (let i = 0; i < pixels; i++) mask[i] = smooth[i] > t ? 1 : 0;
  fillHoles(mask, width, height, workspace.queue);
  if (p.declump === 'shape') {
    const distance = distanceTransformSquared(mask, width, height, plane, workspace.distance);
    let max = 0;
    for (let i = 0; i < pixels; i++) if (distance[i] > max) max = distance[i];
    for (let i = 0; i < pixels; i++) levels[i] = max - distance[i];
    for (let i = 0; i < pixels; i++) distance[i] = Math.sqrt(distance[i]);
    hMaxima(distance, mask, width, height, p.maximaDepth, markers, workspace.scratch, workspace.queue);
  } else {
    const declump = plane;
    if (p.declumpSigma === p.sigma) declump.set(smooth);
    else gaussianFilter(raw, width, height, { sigma: p.declumpSigma, scale: 1 / 255 }, declump, workspace.gaussian);
    // Seeds on the log image: a dip counts by its ratio to the peak, the same for dim and bright experiments.
    for (let i = 0; i < pixels; i++) declump[i] = Math.log(declump[i] + 1 / 255);
    hMaxima(declump, mask, width, height, p.maximaDepth, markers, workspace.scratch, workspace.queue);
    invertedLevels(declump, mask, 1023, levels);
  }
  watershed(levels, markers, width, height, { mask }, all, workspace.watershed);
  const kept = filterObjects(all, countLabels(all), width, height, {
    excludeBorderObjects: p.excludeBorderObjects,
    diameterRange: p.diameterRange,
  });
  relabel(all, kept.keep, out);
  return { labels: out, count: kept.count, allLabels: all, keep: kept.keep, threshold: t };
}

/**
 * Grows cells from the nuclei: the cytoplasm image (mean of `channels`, smoothed) is thresholded; every nucleus
 * (also those dropped by the border and size filters, so they keep their own cytoplasm) floods the thresholded
 * area by distance from the nuclei (a geodesic Voronoi split), at most maxDistance away; cells of dropped nuclei
 * are then removed and the rest take their nucleus's number.
 */
export function segmentCells(
  tensor: Uint8Array,
  width: number,
  height: number,
  nuclei: NucleiResult,
  parameters: Partial<CellParameters> = {},
  workspace: SegmentationWorkspace = new SegmentationWorkspace(width, height),
  out: Int32Array = new Int32Array(width * height),
): CellsResult {
  const p = { ...DEFAULT_CELLS, ...parameters };
  const { pixels, smooth, plane, levels, mask, markers } = workspace;
  const planes = p.channels.map((channel) => channelPlane(tensor, channel, pixels));
  // The channel mean goes through `plane` (float32) so the Gaussian sees one image.
  plane.fill(0);
  for (const source of planes) for (let i = 0; i < pixels; i++) plane[i] += source[i];
  gaussianFilter(
    plane,
    width,
    height,
    { sigma: p.sigma, scale: 1 / (255 * planes.length) },
    smooth,
    workspace.gaussian,
  );
  const t = threshold(smooth, p.thresholdMethod) * p.thresholdCorrection;
  const nucleiAll = nuclei.allLabels;
  for (let i = 0; i < pixels; i++) mask[i] = nucleiAll[i] ? 0 : 1;
  const distance = distanceTransformSquared(mask, width, height, plane, workspace.distance);
  const maxSquared = p.maxDistance * p.maxDistance;
  for (let i = 0; i < pixels; i++) {
    mask[i] = nucleiAll[i] || (smooth[i] > t && distance[i] <= maxSquared) ? 1 : 0;
    levels[i] = distance[i];
  }
  watershed(levels, nucleiAll, width, height, { mask }, markers, workspace.watershed);
  relabel(markers, nuclei.keep, out);
  return { labels: out, count: nuclei.count, threshold: t };
}
