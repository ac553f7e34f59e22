/**
 * Simulator presets: scaled-down copies of the real RxRx1 screen. A preset keeps some real experiments,
 * the plates of each that hold the chosen siRNA groups (so every experiment shows the same siRNAs and
 * biology can be compared across experiments), a seeded subset of each group's siRNAs, and some of the
 * positive controls, always at their real wells. Sizes (2 sites per well, ~640 KB of PNGs per site) and
 * wall time with 2 threads on an otherwise quiet 2-core machine (render + encode cost ~80 ms of CPU per site):
 *
 * | preset | experiments                              | plates/exp | wells/plate                       | sites  | time           |
 * |--------|------------------------------------------|------------|-----------------------------------|--------|----------------|
 * | tiny   | 3 (HEPG2, U2OS train; HUVEC test)        | 1          | ~16: 8 siRNAs, 6 pos., negatives  | 92     | ~5 s           |
 * | small  | 12 (HEPG2, HUVEC, RPE: 3 train + 1 test) | 1          | ~71: 30 siRNAs x 2, 10 pos., neg. | 1,710  | ~55 s          |
 * | medium | 20 (all 4 cell types: 3 train + 2 test)  | 4          | ~61: 30 siRNAs, 30 pos., neg.     | 9,766  | ~5 min (est.)  |
 * | robustness | 8 (HEPG2, HUVEC: 3 train + 1 test)   | 1          | ~53: 24 siRNAs x 2, 4 pos., neg.  | ~850   | ~30 s (est.)   |
 *
 * `robustness` is the size of one cell of bench/robustness.ts's matrix (batch-effect regimes x seeds): like the
 * independent dataset of issue 10 (6 experiments, 2 cell types, 40 siRNAs, ~1,150 sites), with three training
 * experiments per cell type so that leave-one-experiment-out selection has folds of the held-out cell types.
 */
import type { Rxrx1Structure } from '../rxrx1Structure.js';
import { GROUP_COUNT, GROUP_SIZE, FIRST_POSITIVE_CONTROL, LAST_POSITIVE_CONTROL } from '../../rxrx1/index.js';

export type PresetName = 'tiny' | 'small' | 'medium' | 'robustness';

export interface Preset {
  /** Real RxRx1 experiments to simulate (names as in the structure, e.g. HEPG2-01). */
  experiments: readonly string[];
  /** siRNA groups (0..3) to simulate: each experiment contributes the plates holding these groups. */
  groups: readonly number[];
  /** Treatment siRNAs kept per group: a seeded subset of its 277, the same on every plate. */
  sirnasPerGroup: number;
  /** Wells per kept treatment siRNA on each plate. */
  replicates: number;
  /** Positive controls kept (a seeded subset of sirna_id 1108..1137), each at its real wells. */
  positiveControls: number;
  /**
   * Fraction of the kept treatment siRNAs that must have a phenotype (default 0: a random subset, about 40%
   * active as in the whole screen). Scaled-down screens enrich for active siRNAs so that they hold enough biology
   * to tell correction methods apart.
   */
  minEffectFraction?: number;
}

export const PRESETS: Readonly<Record<PresetName, Preset>> = {
  tiny: {
    experiments: ['HEPG2-01', 'U2OS-02', 'HUVEC-17'],
    groups: [0],
    sirnasPerGroup: 8,
    replicates: 1,
    positiveControls: 6,
  },
  small: {
    experiments: [
      'HEPG2-01',
      'HEPG2-02',
      'HEPG2-03',
      'HEPG2-08',
      'HUVEC-01',
      'HUVEC-02',
      'HUVEC-03',
      'HUVEC-17',
      'RPE-01',
      'RPE-02',
      'RPE-03',
      'RPE-09',
    ],
    groups: [0],
    sirnasPerGroup: 30,
    replicates: 2,
    positiveControls: 10,
    minEffectFraction: 0.7,
  },
  medium: {
    experiments: [
      'HEPG2-01',
      'HEPG2-02',
      'HEPG2-03',
      'HEPG2-08',
      'HEPG2-09',
      'HUVEC-01',
      'HUVEC-02',
      'HUVEC-03',
      'HUVEC-17',
      'HUVEC-18',
      'RPE-01',
      'RPE-02',
      'RPE-03',
      'RPE-08',
      'RPE-09',
      'U2OS-01',
      'U2OS-02',
      'U2OS-03',
      'U2OS-04',
      'U2OS-05',
    ],
    groups: [0, 1, 2, 3],
    sirnasPerGroup: 30,
    replicates: 1,
    positiveControls: 30,
    minEffectFraction: 0.7,
  },
  robustness: {
    experiments: ['HEPG2-01', 'HEPG2-02', 'HEPG2-03', 'HEPG2-08', 'HUVEC-01', 'HUVEC-02', 'HUVEC-03', 'HUVEC-17'],
    groups: [0],
    sirnasPerGroup: 24,
    replicates: 2,
    positiveControls: 4,
    minEffectFraction: 0.7,
  },
};

/** Checks a preset against the structure; throws naming the field and what was expected. */
export function validatePreset(preset: Preset, structure: Rxrx1Structure): void {
  const known = new Set(structure.experiments.map((e) => e.name));
  const unknown = preset.experiments.filter((name) => !known.has(name));
  if (preset.experiments.length === 0 || unknown.length > 0) {
    throw new Error(
      `preset.experiments: ${unknown.length > 0 ? `unknown experiment(s) ${unknown.join(', ')}` : 'empty'}, expected RxRx1 experiment names such as HEPG2-01`,
    );
  }
  if (new Set(preset.experiments).size !== preset.experiments.length)
    throw new Error('preset.experiments: expected no repeated experiment');
  if (
    preset.groups.length === 0 ||
    new Set(preset.groups).size !== preset.groups.length ||
    !preset.groups.every((g) => Number.isInteger(g) && g >= 0 && g < GROUP_COUNT)
  ) {
    throw new Error(
      `preset.groups: [${preset.groups.join(', ')}], expected distinct group indices in 0..${GROUP_COUNT - 1}`,
    );
  }
  const integerIn = (field: keyof Preset, value: number, min: number, max: number) => {
    if (!Number.isInteger(value) || value < min || value > max)
      throw new Error(`preset.${field}: ${value}, expected an integer in ${min}..${max}`);
  };
  integerIn('sirnasPerGroup', preset.sirnasPerGroup, 1, GROUP_SIZE);
  integerIn('replicates', preset.replicates, 1, GROUP_SIZE);
  integerIn('positiveControls', preset.positiveControls, 0, LAST_POSITIVE_CONTROL - FIRST_POSITIVE_CONTROL + 1);
  const fraction = preset.minEffectFraction ?? 0;
  if (!(fraction >= 0 && fraction <= 1))
    throw new Error(`preset.minEffectFraction: ${fraction}, expected a number in 0..1`);
}
