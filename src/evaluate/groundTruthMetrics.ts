/**
 * The ground-truth metric family (simulated data): Spearman correlation of recovered and true siRNA distances,
 * and the fraction of true-effect siRNAs found active.
 */
import { zeros32 } from '../numerics/index.js';
import { distanceRankCorrelation, fractionDetected, type GroundTruth } from './groundTruth.js';
import type { GroundTruthScores, MethodEvaluation } from './types.js';
import type { WellView } from './wellView.js';

/** Scores the mean profile of each treatment siRNA (over `treatmentRows`) against the truth. */
export function groundTruthMetrics(
  view: WellView,
  treatmentRows: number[],
  activity: MethodEvaluation['activity'],
  truth: GroundTruth,
): GroundTruthScores {
  const { p } = view;
  const X = view.X.data;
  const ids = [...new Set(treatmentRows.map((i) => view.sirna[i]))].sort((a, b) => a - b);
  const index = new Map(ids.map((id, r) => [id, r]));
  const means = zeros32(ids.length, p);
  const m = means.data;
  const counts = new Float64Array(ids.length);
  for (const i of treatmentRows) {
    const r = index.get(view.sirna[i])!;
    counts[r]++;
    for (let j = 0; j < p; j++) m[r * p + j] += X[i * p + j];
  }
  for (let r = 0; r < ids.length; r++) for (let j = 0; j < p; j++) m[r * p + j] /= counts[r];
  const q = new Map((activity?.groups ?? []).map((g) => [g.label, g.qValue]));
  return {
    rankCorrelation: distanceRankCorrelation(means, ids, truth),
    fractionDetected: activity ? fractionDetected(q, truth) : NaN,
  };
}
