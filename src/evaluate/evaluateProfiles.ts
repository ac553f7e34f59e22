/**
 * The evaluation of a profile table, before and after each batch correction (the RxRx1 competition protocol and
 * the profiling metrics). Pipeline, per method:
 *  1. Site rows are averaged into wells (aggregateToWells); the well table is batch-corrected (method 'none'
 *     is the identity) by src/correct, with the controls it needs still in the table (or, with
 *     correctAt 'site', the site table is corrected and then averaged).
 *  2. Evaluation space: the corrected well features, each z-scored over all wells (wellView.ts).
 *  3. Classification (treatment siRNAs only): train on the training experiments' treatment wells, predict the
 *     held-out experiments' treatment wells whose siRNA was seen in training; logistic regression (with and
 *     without the plate constraint), cosine kNN, and k-shot nearest class mean.
 *  4. Retrieval and activity mAP (copairs definitions), batch mixing (silhouette, LISI, graph connectivity),
 *     ground-truth scores when a ground truth is given, and the data for the report's plots.
 */
import { type ProfileTable, selectRows } from '../store/profiles.js';
import { aggregateToWells } from '../store/wells.js';
import { checkMethods, defaultCorrect } from './correction.js';
import { emptyEvaluation, evaluateMethod } from './method.js';
import { metricsJson } from './metrics.js';
import { type ResolvedOptions, resolveOptions } from './options.js';
import {
  type CorrectionSetting,
  selectCorrection,
  selectionCandidates,
  settingKey,
  trainingRows,
} from './selection.js';
import { resolveSplit } from './split.js';
import { classificationTask } from './task.js';
import type { EvaluateOptions, EvaluationResult, MethodEvaluation, SplitInfo } from './types.js';
import { wellView } from './wellView.js';

/**
 * Runs the evaluation (see the module comment) for every method in `options.methods` and gathers metrics.json.
 * A method whose correction throws is recorded under `errors` (its metrics are null) and the others go on.
 */
export async function evaluateProfiles(table: ProfileTable, options: EvaluateOptions = {}): Promise<EvaluationResult> {
  const methods = checkMethods(options.methods?.length ? [...new Set(options.methods)] : ['none']);
  const resolved = resolveOptions(options);
  const progress = resolved.progress;
  if (options.heatmapFeature && !table.features.includes(options.heatmapFeature))
    throw new Error(`evaluate: heatmap feature "${options.heatmapFeature}" is not a feature column`);
  progress(`aggregating ${table.rows} rows to wells`);
  const wells = aggregateToWells(table);
  const split = resolveSplit(wells, options.split ?? 'rxrx1');
  progress(
    `split: ${split.description}; ` +
      `train ${split.trainExperiments.length} experiments, test ${split.testExperiments.length}`,
  );
  // Counts of the classification problem, from the uncorrected wells.
  const base = wellView(wells);
  const task = classificationTask(base, split);
  const candidates = selectionCandidates(methods, { batch: options.batch, controls: options.controls }, wells);
  // Cross-validation sees the training experiments only (sites or wells, as the correction step does).
  const training = trainingRows(options.correctAt === 'site' ? table : wells, split);
  const selection = await selectCorrection(
    candidates,
    split,
    (setting) => correctWells(setting, training, options),
    resolved,
  );
  progress(`selection: ${selection.candidates.length} candidates; selected ${selection.selected.method}`);
  // The batch labels of the mixing metrics: the one given, else the selected setting's.
  resolved.batch = options.batch ?? selection.selected.batch;
  const evaluations: MethodEvaluation[] = [];
  const correctedOf = new Map<string, ProfileTable>();
  for (const method of methods) {
    // A setting that cannot correct the whole table (e.g. a held-out plate with one negative control) gives way
    // to the method's next preferred setting; correcting uses no labels.
    let outcome!: Awaited<ReturnType<typeof evaluateOne>>;
    for (const setting of selection.fallbacks[method]) {
      outcome = await evaluateOne(setting, table, wells, split, resolved, options);
      if (outcome.corrected) {
        const key = settingKey(setting);
        if (key !== selection.perMethod[method].candidate)
          selection.perMethod[method] = { ...setting, candidate: key, mean: selection.scores[key].mean };
        break;
      }
    }
    evaluations.push(outcome.evaluation);
    if (outcome.corrected && !outcome.evaluation.error) correctedOf.set(method, outcome.corrected);
  }
  // The selected method must correct the whole table (labels play no part in that); else the next preferred.
  const usable = selection.methodOrder.find((m) => correctedOf.has(m)) ?? selection.selected.method;
  if (usable !== selection.selected.method)
    selection.protocol += `; ${selection.selected.method} failed on the whole table, so the next best (${usable})`;
  selection.selected = selection.perMethod[usable];
  const selectedProfiles = correctedOf.get(selection.selected.method) ?? null;
  const cellTypes = [...new Set(split.testExperiments.map((e) => base.cellType[base.experiment.indexOf(e)]))].sort();
  const facts = {
    methods,
    split,
    nTrain: task.trainRows.length,
    nTest: task.testRows.length,
    nClasses: task.classIds.length,
    cellTypes,
    inputRows: table.rows,
    wells: wells.rows,
    features: table.features.length,
  };
  return {
    metrics: metricsJson(evaluations, facts, resolved, options, selection),
    methods: evaluations,
    split,
    selected: {
      method: selection.selected.method,
      batch: selection.selected.batch,
      controls: selection.selected.controls,
      profiles: selectedProfiles,
    },
  };
}

/**
 * Corrects (unless 'none') with the method's setting and evaluates it; a failure of either step becomes the
 * method's error (and no corrected table).
 */
async function evaluateOne(
  setting: CorrectionSetting,
  table: ProfileTable,
  wells: ProfileTable,
  split: SplitInfo,
  resolved: ResolvedOptions,
  options: EvaluateOptions,
): Promise<{ evaluation: MethodEvaluation; corrected: ProfileTable | null }> {
  const { method } = setting;
  const progress = resolved.progress;
  const start = performance.now();
  let corrected: ProfileTable;
  try {
    progress(`${method}: correcting (batch ${setting.batch}, controls ${setting.controls})`);
    corrected = await correctWells(setting, options.correctAt === 'site' ? table : wells, options);
  } catch (error) {
    progress(`${method}: correction failed: ${(error as Error).message}`);
    return { evaluation: emptyEvaluation(method, `correction failed: ${(error as Error).message}`), corrected: null };
  }
  const correctionSeconds = Number(((performance.now() - start) / 1000).toFixed(3));
  try {
    const evaluation = evaluateMethod(method, corrected, split, resolved);
    evaluation.seconds = { correction: correctionSeconds, ...evaluation.seconds };
    return { evaluation, corrected };
  } catch (error) {
    progress(`${method}: evaluation failed: ${(error as Error).message}`);
    return { evaluation: emptyEvaluation(method, `evaluation failed: ${(error as Error).message}`), corrected };
  }
}

/**
 * The corrected well table of `input` (a well table, or with correctAt 'site' a site table, corrected and then
 * averaged into wells); 'none' returns the wells unchanged.
 */
async function correctWells(
  setting: CorrectionSetting,
  input: ProfileTable,
  options: EvaluateOptions,
): Promise<ProfileTable> {
  const site = options.correctAt === 'site';
  if (setting.method === 'none') return site ? aggregateToWells(input) : input;
  const correct = options.correct ?? defaultCorrect;
  // A copy, so a correction that writes in place cannot touch the tables later methods start from.
  const copy = selectRows(
    input,
    Array.from({ length: input.rows }, (_, i) => i),
  );
  const output = await correct(copy, { method: setting.method, batch: setting.batch, controls: setting.controls });
  return site ? aggregateToWells(output) : output;
}
