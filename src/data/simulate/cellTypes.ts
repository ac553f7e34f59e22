/**
 * The four RxRx1 cell types as the simulator draws them: the calibrated cell model of each (calibration.ts, fitted to
 * the real sample by scripts/simulator/calibrate.ts) and its sensitivity to siRNA phenotypes (how strongly a
 * knockdown shows: the same direction in every cell type, so biology transfers).
 */
import type { CellType } from '../../rxrx1/index.js';
import { type CellTypeModel, cellTypeModels } from './calibration.js';
import type { PlacementParams } from './cells.js';
import type { Phenotype } from './phenotype.js';
import type { StainLook } from './stains.js';

export interface CellTypeProfile extends CellTypeModel {
  /** Scale of siRNA phenotypes in this cell type. */
  sensitivity: number;
}

const SENSITIVITY: Readonly<Record<CellType, number>> = { HEPG2: 0.8, HUVEC: 1.0, RPE: 1.0, U2OS: 1.15 };

const models = cellTypeModels();

export const CELL_TYPE_PROFILES: Readonly<Record<CellType, CellTypeProfile>> = {
  HEPG2: { ...models.HEPG2, sensitivity: SENSITIVITY.HEPG2 },
  HUVEC: { ...models.HUVEC, sensitivity: SENSITIVITY.HUVEC },
  RPE: { ...models.RPE, sensitivity: SENSITIVITY.RPE },
  U2OS: { ...models.U2OS, sensitivity: SENSITIVITY.U2OS },
};

/**
 * Cell geometry and stain look of one site: the cell type's model changed by a (cell-type-scaled) phenotype. The
 * phenotype's intensity scales a stain's levels in the cells (not the background), its texture the stain's texture
 * contrast.
 */
export function siteBiology(
  profile: CellTypeModel,
  phenotype: Phenotype,
  densityFactor: number,
): { placement: PlacementParams; look: StainLook } {
  return {
    placement: {
      count: Math.round(profile.density * Math.exp(phenotype.cellCount) * densityFactor),
      nucleusRadius: profile.nucleusRadius * Math.exp(phenotype.nucleusSize),
      nucleusSizeSd: profile.nucleusSizeSd,
      aspect: Math.exp(Math.log(profile.aspect) + phenotype.eccentricity),
      aspectSd: profile.aspectSd,
      lobes: profile.lobes,
      holes: profile.holes,
      alignment: profile.alignment,
      cellSd: profile.channels.map((m) => m.cellSd),
    },
    look: {
      channels: profile.channels.map((m, c) => {
        const level = Math.exp(phenotype.intensity[c]);
        return {
          ...m,
          nucleus: m.nucleus * level,
          cytoplasm: m.cytoplasm * level,
          membrane: m.membrane * level,
          texture: m.texture * Math.exp(phenotype.texture[c]),
        };
      }),
      cellScale: profile.cellScale,
      elongation: profile.elongation,
      fibres: profile.fibres,
      fibreSpread: profile.fibreSpread,
      fibreShareW6: profile.fibreShareW6,
    },
  };
}
