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
import { checkMethods, defaultCorrect, type CorrectionMethod } from './correction.js';
import { emptyEvaluation, evaluateMethod } from './method.js';
import { metricsJson } from './metrics.js';
import { type ResolvedOptions, resolveOptions } from './options.js';
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
  const evaluations: MethodEvaluation[] = [];
  for (const method of methods) evaluations.push(await evaluateOne(method, table, wells, split, resolved, options));
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
  return { metrics: metricsJson(evaluations, facts, resolved, options), methods: evaluations, split };
}

/** Corrects (unless 'none') and evaluates one method; a failure of either step becomes the method's error. */
async function evaluateOne(
  method: CorrectionMethod,
  table: ProfileTable,
  wells: ProfileTable,
  split: SplitInfo,
  resolved: ResolvedOptions,
  options: EvaluateOptions,
): Promise<MethodEvaluation> {
  const progress = resolved.progress;
  const start = performance.now();
  let corrected: ProfileTable;
  try {
    corrected = method === 'none' ? wells : await correctWells(method, table, wells, resolved, options);
  } catch (error) {
    progress(`${method}: correction failed: ${(error as Error).message}`);
    return emptyEvaluation(method, `correction failed: ${(error as Error).message}`);
  }
  const correctionSeconds = Number(((performance.now() - start) / 1000).toFixed(3));
  try {
    const evaluation = evaluateMethod(method, corrected, split, resolved);
    evaluation.seconds = { correction: correctionSeconds, ...evaluation.seconds };
    return evaluation;
  } catch (error) {
    progress(`${method}: evaluation failed: ${(error as Error).message}`);
    return emptyEvaluation(method, `evaluation failed: ${(error as Error).message}`);
  }
}

/** The corrected well table: wells corrected, or (correctAt 'site') sites corrected and then averaged. */
async function correctWells(
  method: CorrectionMethod,
  table: ProfileTable,
  wells: ProfileTable,
  resolved: ResolvedOptions,
  options: EvaluateOptions,
): Promise<ProfileTable> {
  resolved.progress(`${method}: correcting (batch ${resolved.batch})`);
  const request = { method, batch: resolved.batch, ...(options.controls ? { controls: options.controls } : {}) };
  const input = options.correctAt === 'site' ? table : wells;
  const correct = options.correct ?? defaultCorrect;
  // A copy, so a correction that writes in place cannot touch the tables later methods start from.
  const output = await correct(
    selectRows(
      input,
      Array.from({ length: input.rows }, (_, i) => i),
    ),
    request,
  );
  return options.correctAt === 'site' ? aggregateToWells(output) : output;
}
