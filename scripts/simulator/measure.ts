/**
 * What "looks like RxRx1" is measured by, on real and simulated sites alike: phenomap's own featurize (src/features)
 * for the site row and the per-object rows, plus per-channel pixel statistics of the three regions its segmentation
 * finds (nuclei, cytoplasm = cells minus nuclei, background = outside every cell). Pixel statistics are divided by
 * the channel's site mean, so they describe the stain's pattern whatever the experiment's gain. Used by the
 * simulator's calibration (calibrate.ts) and by `npm run bench realism`.
 */
import fs from 'node:fs';
import path from 'node:path';
import { loadRxrx1Structure } from '../../src/data/rxrx1Structure.js';
import type { Preset } from '../../src/data/simulate/index.js';
import { sitePaths } from '../../src/data/site.js';
import { featurizeSite, FeaturizeWorkspace } from '../../src/features/index.js';
import type { SiteLocation } from '../../src/image/site.js';
import { histogramPercentile } from '../../src/image/stats.js';
import { medianMad } from '../../src/numerics/index.js';
import {
  type CellType,
  CHANNEL_COUNT,
  cellTypeOf,
  NEGATIVE_CONTROL_WELL,
  PLATES_PER_EXPERIMENT,
  SITE_SIZE,
  SITES_PER_WELL,
} from '../../src/rxrx1/index.js';

export const REGIONS = ['nucleus', 'cytoplasm', 'background'] as const;
export type Region = (typeof REGIONS)[number];
/** Pixel quantiles kept per channel and region (percent). */
export const PIXEL_PERCENTILES = [5, 25, 50, 75, 95, 99] as const;

export interface RegionPixels {
  /** Fraction of the site's pixels in the region. */
  fraction: number;
  /** Per channel, PIXEL_PERCENTILES of the region's pixels divided by the channel's site mean (NaN if empty). */
  quantiles: number[][];
}

/** Median and robust spread (1.4826 MAD) of the log of a per-object measurement. */
export interface LogSpread {
  median: number;
  spread: number;
}

export interface SiteMeasure {
  /** The featurize site row. */
  names: string[];
  values: Float64Array;
  /** Per channel, the site's mean grey level. */
  channelMean: number[];
  regions: Record<Region, RegionPixels>;
  /** Per channel, coefficient of variation of the means of 32 x 32 px blocks: large-scale unevenness. */
  blockCv: number[];
  /** Per-object distributions (log scale): nucleus and cell area, nucleus aspect, and per channel the cells' mean. */
  objects: {
    nucleusArea: LogSpread;
    nucleusAspect: LogSpread;
    nucleusSolidity: LogSpread;
    cellArea: LogSpread;
    cellMean: LogSpread[];
  };
}

const PIXELS = SITE_SIZE * SITE_SIZE;
const BLOCK = 32;

function logSpread(values: Float32Array | Float64Array, scratch: Float64Array): LogSpread {
  const logs = new Float32Array(values.length);
  const rows: number[] = [];
  for (let i = 0; i < values.length; i++) {
    if (values[i] > 0 && Number.isFinite(values[i])) {
      logs[i] = Math.log(values[i]);
      rows.push(i);
    }
  }
  const { median, mad } = medianMad(logs, rows, scratch);
  return { median, spread: mad };
}

function regionPixels(tensor: Uint8Array, region: Uint8Array, which: number, channelMean: number[]): RegionPixels {
  let count = 0;
  for (let i = 0; i < PIXELS; i++) if (region[i] === which) count++;
  const quantiles = channelMean.map((mean, c) => {
    if (count === 0) return PIXEL_PERCENTILES.map(() => NaN);
    const histogram = new Uint32Array(256);
    const plane = tensor.subarray(c * PIXELS, (c + 1) * PIXELS);
    for (let i = 0; i < PIXELS; i++) if (region[i] === which) histogram[plane[i]]++;
    return PIXEL_PERCENTILES.map((q) => histogramPercentile(histogram, q) / mean);
  });
  return { fraction: count / PIXELS, quantiles };
}

function blockCv(plane: Uint8Array): number {
  const side = SITE_SIZE / BLOCK;
  const means = new Float64Array(side * side);
  for (let y = 0; y < SITE_SIZE; y++)
    for (let x = 0; x < SITE_SIZE; x++) means[((y / BLOCK) | 0) * side + ((x / BLOCK) | 0)] += plane[y * SITE_SIZE + x];
  let sum = 0;
  let squares = 0;
  for (const m of means) {
    sum += m;
    squares += m * m;
  }
  const mean = sum / means.length;
  return Math.sqrt(Math.max(0, squares / means.length - mean * mean)) / mean;
}

/** Measures one channel-major 6 x 512 x 512 site (`workspace` is reused from site to site). */
export function measureSite(tensor: Uint8Array, workspace: FeaturizeWorkspace = new FeaturizeWorkspace()): SiteMeasure {
  const site = featurizeSite(tensor, undefined, workspace, { perObject: true });
  // After featurizeSite the segmentation workspace still holds every nucleus (`all`) and every cell (`markers`),
  // also those the border filter dropped: the regions cover the whole site.
  const { all, markers } = workspace.segmentation;
  const region = new Uint8Array(PIXELS);
  for (let i = 0; i < PIXELS; i++) region[i] = all[i] > 0 ? 0 : markers[i] > 0 ? 1 : 2;
  const channelMean = Array.from({ length: CHANNEL_COUNT }, (_, c) => {
    let sum = 0;
    for (let i = c * PIXELS; i < (c + 1) * PIXELS; i++) sum += tensor[i];
    return Math.max(sum / PIXELS, 1e-3);
  });
  const objects = site.objects!;
  const column = (name: string) => {
    const j = objects.names.indexOf(name);
    if (j < 0) throw new Error(`measureSite: featurize gave no per-object column ${name}`);
    return objects.columns[j];
  };
  const scratch = new Float64Array(Math.max(1, objects.count));
  const major = column('Nuclei_AreaShape_MajorAxisLength');
  const minor = column('Nuclei_AreaShape_MinorAxisLength');
  const aspect = Float64Array.from(major, (a, i) => a / minor[i]);
  return {
    names: site.names,
    values: site.values,
    channelMean,
    regions: {
      nucleus: regionPixels(tensor, region, 0, channelMean),
      cytoplasm: regionPixels(tensor, region, 1, channelMean),
      background: regionPixels(tensor, region, 2, channelMean),
    },
    blockCv: channelMean.map((_, c) => blockCv(tensor.subarray(c * PIXELS, (c + 1) * PIXELS))),
    objects: {
      nucleusArea: logSpread(column('Nuclei_AreaShape_Area'), scratch),
      nucleusAspect: logSpread(aspect, scratch),
      nucleusSolidity: logSpread(column('Nuclei_AreaShape_Solidity'), scratch),
      cellArea: logSpread(column('Cells_AreaShape_Area'), scratch),
      cellMean: channelMean.map((_, c) => logSpread(column(`Cells_Intensity_MeanIntensity_w${c + 1}`), scratch)),
    },
  };
}

/**
 * The simulated counterpart of the real sample: the sample's experiments (all four plates each), one treatment well
 * per plate (a preset needs one) and no positive controls, so the negative-control well B02 of every plate is drawn
 * under the same experiment's batch effect as its real twin.
 */
export const SAMPLE_PRESET: Preset = {
  experiments: ['HEPG2-01', 'HEPG2-08', 'HUVEC-01', 'RPE-01', 'U2OS-01'],
  groups: [0, 1, 2, 3],
  sirnasPerGroup: 1,
  replicates: 1,
  positiveControls: 0,
};

export interface SampleSite extends SiteLocation {
  cellType: CellType;
}

/** Site 1 of every well of the real sample with all six channels (the sample's site 2 lacks w5 and w6). */
export function realSampleSites(imageRoot: string): SampleSite[] {
  const sites: SampleSite[] = [];
  for (const dataset of ['train', 'test'] as const) {
    const datasetDir = path.join(imageRoot, dataset);
    if (!fs.existsSync(datasetDir)) continue;
    for (const experiment of fs.readdirSync(datasetDir).sort()) {
      for (let plate = 1; plate <= PLATES_PER_EXPERIMENT; plate++) {
        const site = { dataset, experiment, plate, well: NEGATIVE_CONTROL_WELL, site: 1 };
        if (sitePaths(site).every((p) => fs.existsSync(path.join(imageRoot, p))))
          sites.push({ ...site, cellType: cellTypeOf(experiment) as CellType });
      }
    }
  }
  return sites;
}

/** The negative-control sites (B02, both sites) of a dataset simulated with SAMPLE_PRESET. */
export function simulatedSampleSites(): SampleSite[] {
  const structure = loadRxrx1Structure();
  return SAMPLE_PRESET.experiments.flatMap((name) => {
    const experiment = structure.experiments.find((e) => e.name === name)!;
    return Array.from({ length: PLATES_PER_EXPERIMENT * SITES_PER_WELL }, (_, i) => ({
      dataset: experiment.dataset,
      experiment: name,
      plate: 1 + (i >> 1),
      well: NEGATIVE_CONTROL_WELL,
      site: 1 + (i & 1),
      cellType: experiment.cellType,
    }));
  });
}
