/**
 * How each RxRx1 cell type looks in a 512x512 site, eyeballed from the real B02 images in
 * shared/data/rxrx1/images: HEPG2 grows in dense colonies of small nuclei, HUVEC are elongated with long
 * actin stress fibres, RPE are large flat cells with big nuclei, U2OS have round nuclei and medium density.
 */
import type { CellType } from '../../rxrx1/index.js';
import type { PlacementParams } from './cells.js';
import type { Phenotype } from './phenotype.js';
import type { StainLook } from './stains.js';

export interface CellTypeProfile {
  /** Nuclei per site of an unperturbed well (before placement rejects the ones that do not fit). */
  density: number;
  /** Geometric-mean nucleus semi-axis sqrt(a*b), pixels. */
  nucleusRadius: number;
  /** Mean nucleus aspect ratio a/b. */
  aspect: number;
  /** Cell territory size as a multiple of the nucleus size. */
  cellScale: number;
  /** Extra aspect ratio of the cell territory over its nucleus (spindle-shaped cells > 1). */
  elongation: number;
  /** 0..1: how much nuclei crowd into colonies (0: uniform, 1: strong clumping). */
  clumping: number;
  /** Contrast of chromatin texture in the Hoechst channel. */
  chromatin: number;
  /** Prominence of actin stress fibres relative to the cortical actin ring. */
  fibres: number;
  /** Relative stain brightness w1..w6 (the imaging gain brings them onto the 0..255 scale). */
  stain: readonly number[];
  /** Scale of siRNA phenotypes in this cell type: same direction everywhere, so biology transfers. */
  sensitivity: number;
}

export const CELL_TYPE_PROFILES: Readonly<Record<CellType, CellTypeProfile>> = {
  HEPG2: {
    density: 650,
    nucleusRadius: 6,
    aspect: 1.25,
    cellScale: 2.2,
    elongation: 1,
    clumping: 0.8,
    chromatin: 0.35,
    fibres: 0.2,
    stain: [1.1, 1.0, 0.9, 1.1, 1.2, 0.9],
    sensitivity: 0.8,
  },
  HUVEC: {
    density: 150,
    nucleusRadius: 9.5,
    aspect: 1.55,
    cellScale: 2.8,
    elongation: 1.6,
    clumping: 0.3,
    chromatin: 0.25,
    fibres: 0.8,
    stain: [1.0, 1.2, 1.0, 1.0, 0.8, 1.0],
    sensitivity: 1.0,
  },
  RPE: {
    density: 95,
    nucleusRadius: 11,
    aspect: 1.35,
    cellScale: 3.2,
    elongation: 1.1,
    clumping: 0.4,
    chromatin: 0.3,
    fibres: 1.0,
    stain: [0.9, 0.9, 1.2, 0.9, 1.0, 1.1],
    sensitivity: 1.0,
  },
  U2OS: {
    density: 130,
    nucleusRadius: 10,
    aspect: 1.2,
    cellScale: 2.7,
    elongation: 1.2,
    clumping: 0.3,
    chromatin: 0.3,
    fibres: 0.5,
    stain: [1.0, 0.9, 0.9, 1.0, 0.9, 1.1],
    sensitivity: 1.15,
  },
};

/** Cell geometry and stain look of one site: the cell type's baseline changed by a (cell-type-scaled) phenotype. */
export function siteBiology(
  profile: CellTypeProfile,
  phenotype: Phenotype,
  densityFactor: number,
): { placement: PlacementParams; look: StainLook } {
  return {
    placement: {
      count: Math.round(profile.density * Math.exp(phenotype.cellCount) * densityFactor),
      nucleusRadius: profile.nucleusRadius * Math.exp(phenotype.nucleusSize),
      aspect: Math.exp(Math.log(profile.aspect) + phenotype.eccentricity),
      clumping: profile.clumping,
    },
    look: {
      intensity: profile.stain.map((level, c) => level * Math.exp(phenotype.intensity[c])),
      texture: phenotype.texture.map((x) => Math.exp(x)),
      cellScale: profile.cellScale,
      elongation: profile.elongation,
      chromatin: profile.chromatin,
      fibres: profile.fibres,
    },
  };
}
