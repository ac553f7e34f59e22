/**
 * The classification problem of one evaluation: train on the training experiments' treatment wells, predict the
 * held-out experiments' treatment wells whose siRNA was seen in training. Classes are the training siRNAs in
 * ascending id order.
 */
import type { SplitInfo } from './types.js';
import type { WellView } from './wellView.js';

export interface ClassificationTask {
  /** Well rows of the training and of the scored held-out wells. */
  trainRows: number[];
  testRows: number[];
  /** siRNA id of each class, and the class of each siRNA id. */
  classIds: number[];
  classOf: Map<number, number>;
  /** Class of each training and held-out row. */
  yTrain: Int32Array;
  yTest: Int32Array;
}

export function classificationTask(view: WellView, split: SplitInfo): ClassificationTask {
  const trainExperiments = new Set(split.trainExperiments);
  const testExperiments = new Set(split.testExperiments);
  const trainRows: number[] = [];
  for (let i = 0; i < view.n; i++)
    if (view.isTreatment[i] && trainExperiments.has(view.experiment[i])) trainRows.push(i);
  const classIds = [...new Set(trainRows.map((i) => view.sirna[i]))].sort((a, b) => a - b);
  const classOf = new Map(classIds.map((id, c) => [id, c]));
  const testRows: number[] = [];
  for (let i = 0; i < view.n; i++)
    if (view.isTreatment[i] && testExperiments.has(view.experiment[i]) && classOf.has(view.sirna[i])) testRows.push(i);
  return {
    trainRows,
    testRows,
    classIds,
    classOf,
    yTrain: Int32Array.from(trainRows, (i) => classOf.get(view.sirna[i])!),
    yTest: Int32Array.from(testRows, (i) => classOf.get(view.sirna[i])!),
  };
}
