/**
 * The simulator's per-cell-type cell models, kept as data: assets/rxrx1/simulator-calibration.json, derived from the
 * real RxRx1 sample (negative-control wells of HEPG2, HUVEC, RPE and U2OS) by scripts/simulator/calibrate.ts. Each
 * cell type holds the fitted model (what render reads) and the real targets it was fitted to (what phenomap's
 * featurize measured on the real sites), so a reader can see what each number is for.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { CELL_TYPES, type CellType, CHANNEL_COUNT } from '../../rxrx1/index.js';

const positive = z.number().positive();
const nonNegative = z.number().nonnegative();

/** How one stain shows in one cell type; levels are relative (the experiment's gain brings them onto 0..255). */
const channelModel = z.object({
  /** Level inside the nucleus. */
  nucleus: nonNegative,
  /** Level of the cytoplasm next to the nucleus. */
  cytoplasm: nonNegative,
  /** Cytoplasm decay toward the cell edge: the level there is exp(-falloff) of the perinuclear one. */
  falloff: nonNegative,
  /** Extra level along cell boundaries (cortex, plasma membrane). */
  membrane: nonNegative,
  /** Level outside cells (out-of-focus light, medium). */
  background: nonNegative,
  /** Contrast of the stain's own texture (for w3: the stress fibres' brightness over the diffuse actin). */
  texture: nonNegative,
  /** log standard deviation of a cell's brightness in this stain. */
  cellSd: nonNegative,
  /** Peak of a bright punctum over the cytoplasm level (w4: of a nucleolus over the nucleus level). */
  spots: nonNegative,
  /** Puncta per cell (w4: nucleoli per nucleus). */
  spotRate: nonNegative,
  /** Contrast of the ~100 px modulation (uneven thickness and focus across the field). */
  unevenness: nonNegative,
});

const cellTypeModel = z.object({
  /** Nuclei drawn per site of an unperturbed well (before those that do not fit are rejected). */
  density: positive,
  /** Median geometric-mean nucleus semi-axis sqrt(a b), pixels. */
  nucleusRadius: positive,
  /** log standard deviation of the nucleus radius. */
  nucleusSizeSd: nonNegative,
  /** Median nucleus aspect ratio a/b and the log standard deviation around it. */
  aspect: z.number().min(1),
  aspectSd: nonNegative,
  /** Amplitude of the nucleus outline's 2- and 3-fold harmonics (lobed, kidney-shaped nuclei; lowers solidity). */
  lobes: nonNegative,
  /** Cell territory reach as a multiple of the nucleus axes (confluent cells meet their neighbours before it). */
  cellScale: positive,
  /** Extra aspect ratio of the territory over the nucleus (spindle-shaped cells > 1). */
  elongation: positive,
  /** 0..1: how closely cells follow a smooth orientation field (aligned streams of spindle cells) over a random one. */
  alignment: z.number().min(0).max(1),
  /** 0..1: how strongly a ~100 px field thins the cells into colonies with holes between them. */
  holes: z.number().min(0).max(1),
  /** Stress fibres per 1000 px^2 of territory. */
  fibres: nonNegative,
  /** Standard deviation (radians) of a fibre's direction around its cell's axis. */
  fibreSpread: nonNegative,
  /** Share of the fibres' pattern that also shows in w6 (WGA outlines the same cortex). */
  fibreShareW6: nonNegative,
  /**
   * Per channel, how much brighter a negative-control site is than its experiment's mean (experiment_pixel_stats.csv
   * averages every well, knockdowns that lose cells included); the photometry makes simulated controls this bright.
   */
  controlBrightness: z.array(positive).length(CHANNEL_COUNT),
  /** w1..w6. */
  channels: z.array(channelModel).length(CHANNEL_COUNT),
});

const calibrationFile = z.object({
  source: z.string(),
  license: z.string(),
  derivedBy: z.string(),
  cellTypes: z.record(
    z.enum(CELL_TYPES),
    z.object({ model: cellTypeModel, targets: z.record(z.string(), z.unknown()) }),
  ),
});

export type ChannelModel = z.infer<typeof channelModel>;
export type CellTypeModel = z.infer<typeof cellTypeModel>;
export type CalibrationFile = z.infer<typeof calibrationFile>;

export const CALIBRATION_ASSET = 'simulator-calibration.json';

function assetPath(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  // From src/data/simulate and from dist/src/data/simulate.
  const candidates = [3, 4].map((up) =>
    path.resolve(here, ...Array<string>(up).fill('..'), 'assets', 'rxrx1', CALIBRATION_ASSET),
  );
  const found = candidates.find((candidate) => fs.existsSync(candidate));
  if (!found) throw new Error(`simulator calibration not found (looked for ${candidates.join(' and ')})`);
  return found;
}

/** Validates a calibration file's contents; throws naming the field that is wrong. */
export function parseCalibration(json: unknown, where = CALIBRATION_ASSET): CalibrationFile {
  const parsed = calibrationFile.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`${where}: ${issue.path.join('.') || '(root)'}: ${issue.message}`);
  }
  for (const cellType of CELL_TYPES)
    if (!parsed.data.cellTypes[cellType]) throw new Error(`${where}: cellTypes.${cellType}: missing`);
  return parsed.data;
}

let cached: CalibrationFile | null = null;

/** The calibration shipped in assets/ (read once). */
export function loadCalibration(): CalibrationFile {
  if (!cached) {
    const file = assetPath();
    cached = parseCalibration(JSON.parse(fs.readFileSync(file, 'utf8')), file);
  }
  return cached;
}

/** The fitted cell model of each cell type. */
export function cellTypeModels(): Record<CellType, CellTypeModel> {
  const { cellTypes } = loadCalibration();
  return Object.fromEntries(CELL_TYPES.map((t) => [t, cellTypes[t]!.model])) as Record<CellType, CellTypeModel>;
}
