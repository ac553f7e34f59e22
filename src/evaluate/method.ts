/**
 * One method's evaluation: the corrected well table is read into the evaluation space, then each metric family
 * runs in turn (classification and k-shot on the split's task, retrieval, mixing, ground truth, plots), each step
 * timed.
 */
import type { ProfileTable } from '../store/profiles.js';
import { classificationMetrics } from './classificationMetrics.js';
import { groundTruthMetrics } from './groundTruthMetrics.js';
import { kshotMetrics } from './kshotMetrics.js';
import { mixingMetrics } from './mixingMetrics.js';
import { type MethodContext, type ResolvedOptions, timer } from './options.js';
import { plotData } from './plots.js';
import { retrievalMetrics } from './retrievalMetrics.js';
import { classificationTask } from './task.js';
import type { MethodEvaluation, SplitInfo } from './types.js';
import { wellView } from './wellView.js';

/** A method's evaluation with every metric NaN or empty (filled in by the families, or kept on failure). */
export function emptyEvaluation(method: string, error?: string): MethodEvaluation {
  return {
    method,
    error,
    heldoutAccuracy: NaN,
    plateConstrainedAccuracy: NaN,
    plateGroupAccuracy: NaN,
    heldoutAccuracyCi: null,
    plateConstrainedAccuracyCi: null,
    knnAccuracyCi: null,
    kshotAccuracyCi: {},
    kshotNovelAccuracyCi: {},
    accuracyByCellType: {},
    accuracyByExperiment: {},
    knnAccuracy: NaN,
    kshotAccuracy: {},
    kshotNovelAccuracy: {},
    logistic: null,
    retrieval: null,
    activity: null,
    silhouetteBatch: NaN,
    silhouetteSirna: NaN,
    ilisi: NaN,
    clisi: NaN,
    graphConnectivity: NaN,
    groundTruth: null,
    plots: null,
    seconds: {},
  };
}

/** Evaluates one (corrected) well table. */
export function evaluateMethod(
  method: string,
  table: ProfileTable,
  split: SplitInfo,
  options: ResolvedOptions,
): MethodEvaluation {
  const result = emptyEvaluation(method);
  const time = timer(result.seconds);
  const view = time('prepare', () => wellView(table));
  const context: MethodContext = { view, options, time, say: (m) => options.progress(`${method}: ${m}`) };
  const task = classificationTask(view, split);
  const C = task.classIds.length;
  if (C >= 2 && task.testRows.length > 0) {
    Object.assign(result, classificationMetrics(context, task));
    Object.assign(
      result,
      time('kshot', () => kshotMetrics(context, task)),
    );
  } else {
    context.say(`no classification: ${C} training classes, ${task.testRows.length} held-out wells`);
  }
  // Retrieval, mixing and ground truth use all labelled treatment wells (train and test).
  const treatmentRows: number[] = [];
  for (let i = 0; i < view.n; i++) if (view.isTreatment[i]) treatmentRows.push(i);
  Object.assign(result, retrievalMetrics(context, treatmentRows));
  Object.assign(result, mixingMetrics(context, treatmentRows));
  const truth = options.truth;
  if (truth)
    result.groundTruth = time('ground_truth', () => groundTruthMetrics(view, treatmentRows, result.activity, truth));
  if (options.plots) result.plots = time('plots', () => plotData(context, result.activity));
  return result;
}
