/**
 * The classification metric family: held-out siRNA accuracy of multinomial logistic regression (overall, by cell
 * type, by experiment), with the plate constraint (each held-out plate's wells assigned one-to-one within its
 * inferred siRNA group), and of a cosine kNN classifier.
 */
import { type Matrix64, takeRows } from '../numerics/index.js';
import { classGroups, plateConstrainedPredictions } from './assignment.js';
import { bootstrapAccuracy, hits } from './bootstrap.js';
import { accuracy, accuracyByGroup, knnPredict } from './classify.js';
import { argmaxRows, logisticLogProba, trainLogistic } from './logistic.js';
import type { MethodContext } from './options.js';
import type { ClassificationTask } from './task.js';
import type { MethodEvaluation } from './types.js';
import type { WellView } from './wellView.js';

type ClassificationMetrics = Pick<
  MethodEvaluation,
  | 'logistic'
  | 'heldoutAccuracy'
  | 'accuracyByCellType'
  | 'accuracyByExperiment'
  | 'plateConstrainedAccuracy'
  | 'plateGroupAccuracy'
  | 'knnAccuracy'
  | 'heldoutAccuracyCi'
  | 'plateConstrainedAccuracyCi'
  | 'knnAccuracyCi'
>;

/** The bootstrap draws of the held-out wells (one set of draws for every classifier and method: paired intervals). */
export const HELDOUT_WELLS = 'heldout-wells';

/** Fits on the task's training wells and scores its held-out wells (needs at least 2 classes and 1 test well). */
export function classificationMetrics(context: MethodContext, task: ClassificationTask): ClassificationMetrics {
  const { view, options, time, say } = context;
  const { trainRows, testRows, yTrain, yTest } = task;
  const C = task.classIds.length;
  const Xtrain = takeRows(view.X, trainRows);
  const Xtest = takeRows(view.X, testRows);
  say(`logistic regression: ${trainRows.length} training wells, ${C} classes, ${view.p} features`);
  const model = time('logistic', () => trainLogistic(Xtrain, yTrain, { ...options.logistic, classes: C }));
  const logProba = logisticLogProba(model, Xtest);
  const predicted = argmaxRows(logProba);
  const constrained = time('plate_constrained', () => plateConstrainedMetrics(view, task, logProba));
  say(`kNN (k=${options.knnK}) on ${testRows.length} held-out wells`);
  const knnPredicted = time('knn', () => knnPredict(Xtrain, yTrain, Xtest, { classes: C, k: options.knnK }));
  const interval = (predictions: ArrayLike<number>) =>
    bootstrapAccuracy(hits(predictions, yTest), { seed: options.seed, name: HELDOUT_WELLS });
  return {
    logistic: { iterations: model.iterations, converged: model.converged, loss: model.loss },
    heldoutAccuracy: accuracy(predicted, yTest),
    accuracyByCellType: accuracyByGroup(
      predicted,
      yTest,
      testRows.map((i) => view.cellType[i]),
    ),
    accuracyByExperiment: accuracyByGroup(
      predicted,
      yTest,
      testRows.map((i) => view.experiment[i]),
    ),
    plateConstrainedAccuracy: accuracy(constrained.predictions, yTest),
    plateGroupAccuracy: constrained.plateGroupAccuracy,
    knnAccuracy: accuracy(knnPredicted, yTest),
    heldoutAccuracyCi: interval(predicted),
    plateConstrainedAccuracyCi: interval(constrained.predictions),
    knnAccuracyCi: interval(knnPredicted),
  };
}

/**
 * Plate-constrained predictions, and the fraction of held-out plates whose inferred siRNA group is right (the true
 * group being the one holding most of the plate's true labels). Groups come from the training plates alone.
 */
function plateConstrainedMetrics(
  view: WellView,
  task: ClassificationTask,
  logProba: Matrix64,
): { predictions: Int32Array; plateGroupAccuracy: number } {
  const { trainRows, testRows, yTrain, yTest } = task;
  const plateClasses = new Map<string, Set<number>>();
  trainRows.forEach((i, r) => {
    const set = plateClasses.get(view.plateKey[i]) ?? new Set<number>();
    set.add(yTrain[r]);
    plateClasses.set(view.plateKey[i], set);
  });
  const { groupOf, groups } = classGroups(
    [...plateClasses.values()].map((s) => [...s]),
    task.classIds.length,
  );
  const testPlates = testRows.map((i) => view.plateKey[i]);
  const constrained = plateConstrainedPredictions(logProba, testPlates, groups);
  let right = 0;
  for (const [plate, g] of constrained.plateGroup) {
    const votes = new Map<number, number>();
    testRows.forEach((_, r) => {
      if (testPlates[r] === plate) votes.set(groupOf[yTest[r]], (votes.get(groupOf[yTest[r]]) ?? 0) + 1);
    });
    const truthGroup = [...votes.entries()].sort((a, b) => b[1] - a[1] || a[0] - b[0])[0][0];
    if (truthGroup === g) right++;
  }
  return {
    predictions: constrained.predictions,
    plateGroupAccuracy: constrained.plateGroup.size ? right / constrained.plateGroup.size : NaN,
  };
}
