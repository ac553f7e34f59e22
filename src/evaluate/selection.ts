/**
 * Model selection of the batch correction by cross-validation inside the training experiments: which method,
 * which batch unit (experiment or plate) and which rows the method is fitted on (negative controls, all controls,
 * all rows). Held-out experiments take no part, labels or not.
 *
 * Protocol (leave-one-experiment-out, LOEO): the wells of the training experiments alone (controls included) are
 * corrected with each candidate setting; then, for each training experiment in turn, a logistic regression (the
 * classifier of heldout_accuracy, same options) is trained on the treatment wells of the other training
 * experiments, in the evaluation space (wellView: corrected features z-scored over the training wells), and scores
 * that experiment's treatment wells whose siRNA it was trained on. A candidate's score is the mean of its fold
 * accuracies; the selected setting is the candidate with the highest score (ties: the earlier candidate, i.e.
 * the simpler method in the order the methods were given). A candidate whose correction fails (e.g. a plate with a
 * single negative-control well) scores null and is never selected. Each method is then evaluated at its own best
 * setting, and the selected method is the best of all.
 */
import type { BatchBy, FitOn } from '../correct/index.js';
import { takeRows } from '../numerics/index.js';
import { META, type ProfileTable, selectRows } from '../store/profiles.js';
import type { CorrectionMethod } from './correction.js';
import { accuracy } from './classify.js';
import { argmaxRows, logisticLogProba, trainLogistic } from './logistic.js';
import type { ResolvedOptions } from './options.js';
import { classificationTask } from './task.js';
import type { SplitInfo } from './types.js';
import { wellView } from './wellView.js';

/** One setting of the correction step. */
export interface CorrectionSetting {
  method: CorrectionMethod;
  batch: BatchBy;
  controls: FitOn;
}

/** Methods whose fit rows are chosen by `controls`; the others fit on all rows of each batch (or correct nothing). */
const USES_CONTROLS: ReadonlySet<CorrectionMethod> = new Set<CorrectionMethod>([
  'center_scale',
  'robust',
  'spherize',
  'tvn',
  'coral',
  'jump',
]);
const BATCH_UNITS: readonly BatchBy[] = ['experiment', 'plate'];
const CONTROL_SETS: readonly FitOn[] = ['negative', 'controls', 'all'];

/** A candidate's name in metrics.json: "none", or "method:batch:controls". */
export function settingKey(setting: CorrectionSetting): string {
  return setting.method === 'none' ? 'none' : `${setting.method}:${setting.batch}:${setting.controls}`;
}

/**
 * The candidate settings of `methods`, in method order: every batch unit and fit-row set the method uses, unless
 * fixed by the caller. `plate` is left out when every experiment has a single plate (it would repeat `experiment`).
 */
export function selectionCandidates(
  methods: readonly CorrectionMethod[],
  fixed: { batch?: BatchBy; controls?: FitOn },
  table: ProfileTable,
): CorrectionSetting[] {
  const batches = fixed.batch ? [fixed.batch] : BATCH_UNITS.filter((b) => b === 'experiment' || hasPlates(table));
  const candidates: CorrectionSetting[] = [];
  for (const method of methods) {
    if (method === 'none') {
      candidates.push({ method, batch: batches[0], controls: fixed.controls ?? 'all' });
      continue;
    }
    const controls = USES_CONTROLS.has(method) ? (fixed.controls ? [fixed.controls] : CONTROL_SETS) : ['all' as const];
    for (const batch of batches) for (const fit of controls) candidates.push({ method, batch, controls: fit });
  }
  return candidates;
}

/** Whether some experiment of the table has more than one plate. */
function hasPlates(table: ProfileTable): boolean {
  const experiment = table.metadata[META.experiment];
  const plate = table.metadata[META.plate];
  if (!experiment || !plate) return false;
  const first = new Map<string, unknown>();
  for (let i = 0; i < table.rows; i++) {
    const e = String(experiment[i]);
    if (!first.has(e)) first.set(e, plate[i]);
    else if (first.get(e) !== plate[i]) return true;
  }
  return false;
}

/** Cross-validation scores of one candidate. */
export interface CandidateScore {
  /** Mean of the fold accuracies; null when the correction failed or no fold could be scored. */
  mean: number | null;
  /** Accuracy on each scored fold, in the order of `SelectionResult.foldExperiments`. */
  folds: number[];
  error?: string;
}

export interface SelectionResult {
  protocol: string;
  /** The selected setting. */
  selected: CorrectionSetting;
  /** Every candidate's key, in order, and its scores. */
  candidates: string[];
  scores: Record<string, CandidateScore>;
  /** Each method's best setting (the one it is evaluated with) and its score. */
  perMethod: Record<string, CorrectionSetting & { candidate: string; mean: number | null }>;
  /** The methods from most to least preferred (by their best candidates). */
  methodOrder: CorrectionMethod[];
  /** Each method's candidates from most to least preferred (the next is tried when one fails on the whole table). */
  fallbacks: Record<string, CorrectionSetting[]>;
  /** The training experiments held out in turn. */
  foldExperiments: string[];
}

/** Corrects a table of training wells with one setting (the evaluation's correction step, at well or site level). */
export type CorrectTraining = (setting: CorrectionSetting) => Promise<ProfileTable>;

/**
 * Selects among `candidates` by LOEO cross-validation (module comment). `correctTraining` corrects the training
 * experiments' table with a setting and returns its wells. With a single candidate, or fewer than two training
 * experiments, nothing is cross-validated and the selection says why.
 */
export async function selectCorrection(
  candidates: CorrectionSetting[],
  split: SplitInfo,
  correctTraining: CorrectTraining,
  resolved: ResolvedOptions,
): Promise<SelectionResult> {
  const keys = candidates.map(settingKey);
  const foldExperiments = [...split.trainExperiments];
  const scores: Record<string, CandidateScore> = {};
  const crossValidate = candidates.length >= 2 && foldExperiments.length >= 2;
  const protocol = crossValidate
    ? 'leave-one-experiment-out cross-validation over the training experiments: logistic regression accuracy ' +
      'on each held-out training experiment, mean over experiments; highest mean selected'
    : candidates.length < 2
      ? 'single candidate: no cross-validation'
      : `no cross-validation: ${foldExperiments.length} training experiment (leave-one-experiment-out needs 2); ` +
        'default: the first corrected candidate whose correction succeeds';
  for (const [c, setting] of candidates.entries()) {
    if (candidates.length < 2) scores[keys[c]] = { mean: null, folds: [] };
    else {
      resolved.progress(`selection: ${keys[c]} (${c + 1}/${candidates.length})`);
      scores[keys[c]] = await scoreCandidate(setting, crossValidate ? foldExperiments : [], correctTraining, resolved);
    }
  }
  const ranking = rankCandidates(candidates, keys, scores);
  const perMethod: SelectionResult['perMethod'] = {};
  const fallbacks: SelectionResult['fallbacks'] = {};
  for (const c of ranking) {
    const { method } = candidates[c];
    if (!perMethod[method]) perMethod[method] = { ...candidates[c], candidate: keys[c], mean: scores[keys[c]].mean };
    fallbacks[method] = [...(fallbacks[method] ?? []), candidates[c]];
  }
  const methodOrder = [...new Set(ranking.map((c) => candidates[c].method))];
  return {
    protocol,
    selected: candidates[ranking[0]],
    candidates: keys,
    scores,
    perMethod,
    methodOrder,
    fallbacks,
    foldExperiments,
  };
}

/**
 * Candidate indices from most to least preferred: scored candidates by mean (ties: earlier first); then, without
 * scores, corrected candidates before 'none'; candidates whose correction failed last.
 */
function rankCandidates(candidates: CorrectionSetting[], keys: string[], scores: Record<string, CandidateScore>) {
  const tier = (c: number) => {
    const score = scores[keys[c]];
    if (score.error) return 3;
    if (score.mean !== null) return 0;
    return candidates[c].method === 'none' ? 2 : 1;
  };
  return candidates
    .map((_, c) => c)
    .sort((a, b) => tier(a) - tier(b) || (scores[keys[b]].mean ?? 0) - (scores[keys[a]].mean ?? 0) || a - b);
}

/** LOEO accuracy of one candidate. */
async function scoreCandidate(
  setting: CorrectionSetting,
  foldExperiments: string[],
  correctTraining: CorrectTraining,
  resolved: ResolvedOptions,
): Promise<CandidateScore> {
  let corrected: ProfileTable;
  try {
    corrected = await correctTraining(setting);
  } catch (error) {
    return { mean: null, folds: [], error: (error as Error).message };
  }
  if (foldExperiments.length === 0) return { mean: null, folds: [] };
  const view = wellView(corrected);
  const folds: number[] = [];
  for (const held of foldExperiments) {
    const fold: SplitInfo = {
      kind: 'leave-out',
      trainExperiments: foldExperiments.filter((e) => e !== held),
      testExperiments: [held],
      description: `selection fold: ${held} held out`,
    };
    const task = classificationTask(view, fold);
    if (task.classIds.length < 2 || task.testRows.length === 0) continue;
    const model = trainLogistic(takeRows(view.X, task.trainRows), task.yTrain, {
      ...resolved.logistic,
      classes: task.classIds.length,
    });
    folds.push(accuracy(argmaxRows(logisticLogProba(model, takeRows(view.X, task.testRows))), task.yTest));
  }
  return { mean: folds.length ? folds.reduce((a, b) => a + b, 0) / folds.length : null, folds };
}

/** The rows of `table` that belong to the training experiments. */
export function trainingRows(table: ProfileTable, split: SplitInfo): ProfileTable {
  const train = new Set(split.trainExperiments);
  const experiment = table.metadata[META.experiment] ?? [];
  const rows: number[] = [];
  for (let i = 0; i < table.rows; i++) if (train.has(String(experiment[i]))) rows.push(i);
  return selectRows(table, rows);
}
