/**
 * Plate layouts of a simulated dataset. Controls sit at their real RxRx1 wells (the negative control always
 * in B02); the kept treatment siRNAs of the plate's group go to seeded random wells among the rest, as the
 * real screen randomised treatment positions per plate.
 */
import {
  FIRST_POSITIVE_CONTROL,
  LAST_POSITIVE_CONTROL,
  NEGATIVE_CONTROL_SIRNA,
  USED_WELLS,
} from '../../rxrx1/index.js';
import type { Rxrx1Experiment, Rxrx1Structure } from '../rxrx1Structure.js';
import type { Preset } from './presets.js';
import { rngFor } from '../../util/random.js';
import { sirnaTruth } from './phenotype.js';

export interface PlannedWell {
  well: string;
  sirnaId: number;
}

export interface PlannedPlate {
  experiment: Rxrx1Experiment;
  plate: number;
  /** The siRNA group the plate holds (group_assignment). */
  group: number;
  /** Wells in row-major order. */
  wells: PlannedWell[];
}

/** The siRNAs a run keeps: per group the same treatment subset on every plate, and the positive controls. */
export interface KeptSirnas {
  /** Kept treatment sirna_ids of each group index (empty for groups the preset leaves out). */
  treatments: number[][];
  positiveControls: number[];
}

export function keptSirnas(structure: Rxrx1Structure, preset: Preset, seed: number): KeptSirnas {
  const treatments = structure.groups.map((members, group) => {
    if (!preset.groups.includes(group)) return [];
    const shuffled = rngFor(seed, 'kept-sirnas', group).shuffle([...members]);
    // An enriched preset keeps at least this many siRNAs with a phenotype, so a small screen holds enough biology.
    const withEffect = Math.round((preset.minEffectFraction ?? 0) * preset.sirnasPerGroup);
    const effective = shuffled.filter((id) => sirnaTruth(seed, id).hasEffect).slice(0, withEffect);
    const chosen = new Set(effective);
    for (const id of shuffled) if (chosen.size < preset.sirnasPerGroup) chosen.add(id);
    return [...chosen].sort((a, b) => a - b);
  });
  const positives = Array.from(
    { length: LAST_POSITIVE_CONTROL - FIRST_POSITIVE_CONTROL + 1 },
    (_, i) => FIRST_POSITIVE_CONTROL + i,
  );
  const positiveControls = rngFor(seed, 'kept-positive-controls')
    .shuffle(positives)
    .slice(0, preset.positiveControls)
    .sort((a, b) => a - b);
  return { treatments, positiveControls };
}

/** Lays out every simulated plate, ordered by experiment and plate; throws when a plate has too few free wells. */
export function planPlates(structure: Rxrx1Structure, preset: Preset, kept: KeptSirnas, seed: number): PlannedPlate[] {
  const wellOrder = new Map(USED_WELLS.map((well, index) => [well, index]));
  const plates: PlannedPlate[] = [];
  for (const name of preset.experiments) {
    const experiment = structure.experiments.find((e) => e.name === name)!;
    for (const group of preset.groups) {
      const plate = experiment.plateGroups.indexOf(group) + 1;
      const controls = experiment.controls[plate - 1];
      const wells: PlannedWell[] = Object.entries(controls)
        .filter(([, sirnaId]) => sirnaId === NEGATIVE_CONTROL_SIRNA || kept.positiveControls.includes(sirnaId))
        .map(([well, sirnaId]) => ({ well, sirnaId }));
      const free = rngFor(seed, 'layout', name, plate).shuffle(USED_WELLS.filter((well) => !(well in controls)));
      const treatments = kept.treatments[group].flatMap((sirnaId) => Array<number>(preset.replicates).fill(sirnaId));
      if (treatments.length > free.length) {
        throw new Error(
          `preset: ${treatments.length} treatment wells (sirnasPerGroup x replicates) do not fit the ${free.length} non-control wells of ${name} plate ${plate}`,
        );
      }
      treatments.forEach((sirnaId, i) => {
        wells.push({ well: free[i], sirnaId });
      });
      wells.sort((a, b) => wellOrder.get(a.well)! - wellOrder.get(b.well)!);
      plates.push({ experiment, plate, group, wells });
    }
  }
  return plates.sort((a, b) => a.experiment.name.localeCompare(b.experiment.name) || a.plate - b.plate);
}
