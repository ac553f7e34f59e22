/**
 * The contents of `{out}/ground_truth.json`: everything the simulator decided, so later steps can be scored
 * against the truth (does a segmentation count the cells? does batch correction remove the experiment
 * effects? do profiles of the same siRNA match across experiments?).
 */
import type { CellType, Dataset } from '../../rxrx1/index.js';
import type { BatchStrengths, CleanStats, ExperimentBatch, Photometry } from './batch.js';
import type { CellTypeProfile } from './cellTypes.js';
import type { KeptSirnas } from './layout.js';
import type { SirnaTruth } from './phenotype.js';
import type { Preset } from './presets.js';
import type { SiteOutcome } from './worker.js';

/** Bumped whenever the same seed and options would produce different files. */
export const SIMULATOR_VERSION = 2;

export interface GroundTruth {
  version: number;
  generator: 'phenomap simulate';
  seed: number;
  /** Preset name, or "custom" for a preset given as an object. */
  preset: string;
  presetSpec: Preset;
  parameters: {
    batchStrength: number;
    /** Effective component strengths (already multiplied by batchStrength). */
    strengths: BatchStrengths;
    noise: number;
    pngLevel: number;
  };
  /** Provenance of the embedded RxRx1 structure. */
  structure: { source: string; license: string };
  /**
   * Per cell type: the drawing profile, and the per-channel mean and mean square of clean (unit-gain, noiseless)
   * negative-control images divided by the profile's controlBrightness, which the experiment gains were calibrated
   * against.
   */
  cellTypes: Partial<Record<CellType, { profile: CellTypeProfile; clean: CleanStats }>>;
  /** Gains and offsets of batch strength 0, shared by every experiment. */
  reference: Photometry;
  kept: KeptSirnas;
  /**
   * Every siRNA in the dataset, keyed by sirna_id: its phenotype vector (log-scale changes before the cell
   * type's sensitivity), whether it has any effect, and its strength.
   */
  sirnas: Record<string, SirnaTruth>;
  /**
   * Per experiment: batch parameters (target real statistics, calibrated and effective gains/offsets, edge
   * effect, vignetting) and per plate (key "1".."4") the group it holds and its channel gains. A site's gain
   * for channel c is experiment.gain[c] * plate.gain[c] * (1 + edge[c] * exp(-edgeDistance(well))) times a
   * small per-well jitter; its offset is experiment.offset[c].
   */
  experiments: Record<
    string,
    {
      cellType: CellType;
      dataset: Dataset;
      batch: ExperimentBatch;
      plates: Record<string, { group: number; gain: number[] }>;
    }
  >;
  /** Per site id: the true number of nuclei drawn and their mean area in pixels. */
  sites: Record<string, SiteOutcome>;
}
