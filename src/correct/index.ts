/**
 * Batch correction of profile tables (classical features or embeddings alike): one entry point over the
 * methods of this module, each documented in its own file. Every method returns a new table with the same
 * rows and metadata; PCA-based methods (TVN, Harmony) output principal components named PC_1...
 *
 * | method       | fitted on (per batch unless noted)               | output                         |
 * |--------------|--------------------------------------------------|--------------------------------|
 * | none         | —                                                | a copy                         |
 * | center_scale | controls: mean, std (StandardScaler)             | same features                  |
 * | robust       | controls: median, 1.4826·MAD (pycytominer)       | same features                  |
 * | spherize     | controls: ZCA whitening, ε 1e-6 (pycytominer)    | same features                  |
 * | tvn          | all controls, then each batch's controls (EFAAR) | PC_1..PC_k                     |
 * | coral        | each batch's controls → all controls (CORAL)     | same features                  |
 * | combat       | all rows of each batch (sva ComBat)              | same features                  |
 * | harmony      | all rows (standardize, 50 PCs, Harmony)          | PC_1..PC_d                     |
 * | jump         | JUMP-CP's recipe (jump.ts): wellpos, cc, var, MAD, outliers, featselect, ZCA-cor, Harmony | kept features |
 *
 * `wellPosition` and `cellCount` run first when asked (wellPosition.ts, cellCount.ts), before any method.
 */
import type { ProfileTable } from '../store/profiles.js';
import { coralProfiles } from './coral.js';
import { combatProfiles } from './combat.js';
import type { BatchBy, FitOn } from './groups.js';
import { harmonyProfiles } from './harmony.js';
import { jumpProfiles } from './jump.js';
import { regressCellCount } from './cellCount.js';
import { type WellPositionMethod, wellPositionProfiles } from './wellPosition.js';
import { normalizeProfiles } from './normalize.js';
import { withFeatures } from './table.js';
import { tvnProfiles } from './tvn.js';

export type CorrectionMethod =
  | 'none'
  | 'center_scale'
  | 'robust'
  | 'spherize'
  | 'tvn'
  | 'coral'
  | 'combat'
  | 'harmony'
  | 'jump';
export const CORRECTION_METHODS: readonly CorrectionMethod[] = [
  'none',
  'center_scale',
  'robust',
  'spherize',
  'tvn',
  'coral',
  'combat',
  'harmony',
  'jump',
];

export interface CorrectOptions {
  method: CorrectionMethod;
  batch: BatchBy;
  /** Rows the per-batch transforms are fitted on (default 'negative'); ComBat and Harmony use all rows. */
  controls?: FitOn;
  /** Well-position correction before the method (wellPosition.ts); default none. */
  wellPosition?: WellPositionMethod;
  /** Regress the cell count out of every feature before the method (cellCount.ts); default false. */
  cellCount?: boolean;
}

/** Corrects batch effects; see the table above for what each method fits and outputs. */
export function correctProfiles(input: ProfileTable, options: CorrectOptions): ProfileTable {
  const controls = options.controls ?? 'negative';
  const batch = options.batch;
  let table = options.wellPosition ? wellPositionProfiles(input, options.wellPosition) : input;
  if (options.cellCount) table = regressCellCount(table);
  switch (options.method) {
    case 'none':
      return withFeatures(
        table,
        [...table.features],
        table.columns.map((column) => column.slice()),
      );
    case 'center_scale':
      return normalizeProfiles(table, { method: 'standardize', fitOn: controls, by: batch });
    case 'robust':
      return normalizeProfiles(table, { method: 'robust', fitOn: controls, by: batch });
    case 'spherize':
      return normalizeProfiles(table, { method: 'spherize', spherize: 'ZCA', fitOn: controls, by: batch });
    case 'tvn':
      return tvnProfiles(table, { batch, controls });
    case 'coral':
      return coralProfiles(table, { batch, controls });
    case 'combat':
      return combatProfiles(table, { batch });
    case 'harmony':
      return harmonyProfiles(table, { batch });
    case 'jump':
      return jumpProfiles(table, { batch, controls });
    default:
      throw new Error(
        `correct: unknown method "${options.method as string}"; expected ${CORRECTION_METHODS.join(', ')}`,
      );
  }
}

export {
  normalizeProfiles,
  NORMALIZE_METHODS,
  ROBUST_EPSILON,
  type NormalizeMethod,
  type NormalizeOptions,
} from './normalize.js';
export { SPHERIZE_EPSILON, SPHERIZE_METHODS, type SpherizeMethod } from './spherize.js';
export {
  selectFeatures,
  varianceThreshold,
  correlationThreshold,
  dropNaColumns,
  dropOutliers,
  dropBlocklisted,
  SELECT_DEFAULTS,
  SELECT_OPERATIONS,
  type SelectOperation,
  type SelectOptions,
  type SelectResult,
} from './select.js';
export { tvnProfiles, TVN_REGULARIZATION } from './tvn.js';
export { coralProfiles, CORAL_LAMBDA } from './coral.js';
export { combatProfiles, fitCombat, type CombatFit } from './combat.js';
export { harmonyProfiles, harmonize, HARMONY_COMPONENTS, type HarmonyOptions, type HarmonyResult } from './harmony.js';
export { FIT_ON, type BatchBy, type BatchOptions, type FitOn, type GroupBy } from './groups.js';
export { jumpProfiles, jumpPreprocess, JUMP_HARMONY, JUMP_OUTLIER_THRESHOLD } from './jump.js';
export { wellPositionProfiles, WELL_POSITION_METHODS, type WellPositionMethod } from './wellPosition.js';
export { regressCellCount, cellCountFeature, CELL_COUNT_FEATURES } from './cellCount.js';
