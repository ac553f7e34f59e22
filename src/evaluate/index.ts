/**
 * evaluate/: how good is a profile table, before and after each batch correction? `evaluateProfiles` runs the
 * RxRx1 competition protocol and the profiling metrics on the well-level profiles of every requested
 * correction method (evaluateProfiles.ts describes the pipeline); `writeReport` writes metrics.json and a
 * self-contained report.html. Metric definitions are in src/evaluate/METRICS.md and in the doc comment of each
 * metric's function.
 */
export { aggregateToWells } from '../store/wells.js';
export { evaluateProfiles } from './evaluateProfiles.js';
export { resolveSplit, parseSplit } from './split.js';
export type {
  EvaluateOptions,
  EvaluationMetrics,
  EvaluationResult,
  GroundTruthScores,
  MethodEvaluation,
  MethodPlots,
  PlateHeatmap,
  SelectionJson,
  SplitInfo,
  SplitSpec,
} from './types.js';
export {
  CORRECTION_METHODS,
  defaultCorrect,
  type CorrectFn,
  type CorrectionMethod,
  type CorrectionRequest,
} from './correction.js';
export { writeReport, renderReportHtml } from './report.js';
export {
  selectCorrection,
  selectionCandidates,
  settingKey,
  type CorrectionSetting,
  type SelectionResult,
} from './selection.js';
export { bootstrapAccuracy, hits, BOOTSTRAP_RESAMPLES, type Interval } from './bootstrap.js';
export type { GroundTruth, SirnaGroundTruth } from './groundTruth.js';
export { parseGroundTruth, readGroundTruth, distanceRankCorrelation, fractionDetected } from './groundTruth.js';
export { linearAssignment, assignmentCost, classGroups, plateConstrainedPredictions } from './assignment.js';
export { trainLogistic, logisticLogProba, argmaxRows, type LogisticModel, type LogisticOptions } from './logistic.js';
export { knnPredict, nearestClassMean, sampleShots, accuracy, accuracyByGroup } from './classify.js';
export {
  averagePrecision,
  similarityAveragePrecision,
  randomAveragePrecisions,
  benjaminiHochberg,
  meanAveragePrecision,
  replicateRetrieval,
  phenotypicActivity,
} from './retrieval.js';
export type { QueryPrecision, GroupPrecision, MapSummary, MapOptions } from './retrieval.js';
export { silhouetteScore, silhouetteSamples, lisi, graphConnectivity, encodeLabels } from './mixing.js';
