/**
 * Ground-truth siRNA phenotypes. Each siRNA gets one vector of log-scale changes, drawn from the run seed and
 * its sirna_id only, so it is the same in every cell type, experiment and preset (scaled per cell type by
 * its sensitivity). Most treatment siRNAs do nothing, a few act strongly (an exponential tail of strengths,
 * as in genome-wide knockdown screens); positive controls are always strong, the negative control is inert.
 */
import { CHANNEL_COUNT, FIRST_POSITIVE_CONTROL, NEGATIVE_CONTROL_SIRNA, type WellType } from '../../rxrx1/index.js';
import { rngFor } from '../../util/random.js';

export interface Phenotype {
  /** log multiplier of the number of cells. */
  cellCount: number;
  /** log multiplier of the nucleus radius. */
  nucleusSize: number;
  /** Change of log nucleus aspect ratio (a/b): positive is more elongated. */
  eccentricity: number;
  /** log multiplier of each channel's stain intensity, w1..w6. */
  intensity: number[];
  /** log multiplier of each channel's texture contrast, w1..w6. */
  texture: number[];
}

export interface SirnaTruth {
  sirnaId: number;
  /** The name written to metadata.csv. */
  sirna: string;
  wellType: WellType;
  hasEffect: boolean;
  /** Norm of the phenotype in units of each dimension's typical strong effect (0 when inert). */
  strength: number;
  phenotype: Phenotype;
}

/** Fraction of treatment siRNAs with any effect. */
const EFFECT_PROBABILITY = 0.4;
/** Size of a strength-1 change along each dimension: cell count, nucleus size, eccentricity, intensity, texture. */
const DIMENSION_SCALE = { cellCount: 0.6, nucleusSize: 0.25, eccentricity: 0.35, intensity: 0.45, texture: 0.6 };
const DIMENSIONS = 3 + 2 * CHANNEL_COUNT;

export const NO_EFFECT: Phenotype = {
  cellCount: 0,
  nucleusSize: 0,
  eccentricity: 0,
  intensity: Array(CHANNEL_COUNT).fill(0),
  texture: Array(CHANNEL_COUNT).fill(0),
};

function wellTypeOf(sirnaId: number): WellType {
  return sirnaId === NEGATIVE_CONTROL_SIRNA
    ? 'negative_control'
    : sirnaId >= FIRST_POSITIVE_CONTROL
      ? 'positive_control'
      : 'treatment';
}

/** Synthetic siRNA names ("EMPTY" for the negative control, as in RxRx1's metadata.csv); never real reagent ids. */
function sirnaName(sirnaId: number): string {
  return sirnaId === NEGATIVE_CONTROL_SIRNA ? 'EMPTY' : `SIM${String(sirnaId).padStart(4, '0')}`;
}

/** The ground truth of one siRNA under `seed`. */
export function sirnaTruth(seed: number, sirnaId: number): SirnaTruth {
  const wellType = wellTypeOf(sirnaId);
  const rng = rngFor(seed, 'sirna', sirnaId);
  const hasEffect = wellType === 'positive_control' || (wellType === 'treatment' && rng.next() < EFFECT_PROBABILITY);
  if (!hasEffect) return { sirnaId, sirna: sirnaName(sirnaId), wellType, hasEffect, strength: 0, phenotype: NO_EFFECT };
  // A sparse direction: knockdowns change a few aspects of the cell, not all at once.
  const active = wellType === 'positive_control' ? 3 + rng.int(4) : 1 + rng.int(4);
  const direction = new Array<number>(DIMENSIONS).fill(0);
  for (const dimension of rng.shuffle(Array.from({ length: DIMENSIONS }, (_, i) => i)).slice(0, active))
    direction[dimension] = rng.normal();
  const norm = Math.hypot(...direction);
  const strength =
    wellType === 'positive_control' ? rng.uniform(1.5, 2.5) : Math.min(2.5, 0.2 + -0.45 * Math.log(1 - rng.next()));
  const v = direction.map((x) => (strength * x) / norm);
  // Knockdowns mostly slow growth or kill cells; few make more of them.
  if (v[0] > 0 && rng.next() < 0.75) v[0] = -v[0];
  const phenotype: Phenotype = {
    cellCount: v[0] * DIMENSION_SCALE.cellCount,
    nucleusSize: v[1] * DIMENSION_SCALE.nucleusSize,
    eccentricity: v[2] * DIMENSION_SCALE.eccentricity,
    intensity: v.slice(3, 3 + CHANNEL_COUNT).map((x) => x * DIMENSION_SCALE.intensity),
    texture: v.slice(3 + CHANNEL_COUNT).map((x) => x * DIMENSION_SCALE.texture),
  };
  return { sirnaId, sirna: sirnaName(sirnaId), wellType, hasEffect, strength, phenotype };
}

/** The sum of two phenotypes (log-scale changes add): a knockdown on top of an experiment's culture drift. */
export function addPhenotypes(a: Phenotype, b: Phenotype): Phenotype {
  return {
    cellCount: a.cellCount + b.cellCount,
    nucleusSize: a.nucleusSize + b.nucleusSize,
    eccentricity: a.eccentricity + b.eccentricity,
    intensity: a.intensity.map((x, c) => x + b.intensity[c]),
    texture: a.texture.map((x, c) => x + b.texture[c]),
  };
}

/** The phenotype multiplied by `factor` (a cell type's sensitivity). */
export function scalePhenotype(phenotype: Phenotype, factor: number): Phenotype {
  return {
    cellCount: phenotype.cellCount * factor,
    nucleusSize: phenotype.nucleusSize * factor,
    eccentricity: phenotype.eccentricity * factor,
    intensity: phenotype.intensity.map((x) => x * factor),
    texture: phenotype.texture.map((x) => x * factor),
  };
}
