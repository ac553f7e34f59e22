/**
 * metrics.json from the per-method evaluations: every value a number, or null when it could not be computed;
 * per-method metrics keyed by method. Key order is part of the format (METRICS.md lists it).
 */
import type { Interval } from './bootstrap.js';
import type { SelectionResult } from './selection.js';
import type { EvaluateOptions, EvaluationMetrics, MethodEvaluation, SelectionJson, SplitInfo } from './types.js';
import type { ResolvedOptions } from './options.js';

const finite = (v: number | undefined): number | null => (v !== undefined && Number.isFinite(v) ? v : null);

/** The facts of a run that metrics.json records besides the per-method metrics. */
export interface RunFacts {
  methods: string[];
  split: SplitInfo;
  /** Treatment wells of the training experiments, and the held-out wells whose siRNA was seen in training. */
  nTrain: number;
  nTest: number;
  /** Treatment siRNAs of the training wells. */
  nClasses: number;
  /** Cell types of the held-out experiments, sorted. */
  cellTypes: string[];
  inputRows: number;
  wells: number;
  features: number;
}

type PerMethod = <T>(get: (e: MethodEvaluation) => T) => Record<string, T>;

export function metricsJson(
  evaluations: MethodEvaluation[],
  facts: RunFacts,
  resolved: ResolvedOptions,
  options: EvaluateOptions,
  selection: SelectionResult,
): EvaluationMetrics {
  const perMethod: PerMethod = (get) => Object.fromEntries(evaluations.map((e) => [e.method, get(e)]));
  const errors = Object.fromEntries(evaluations.filter((e) => e.error).map((e) => [e.method, e.error!]));
  const { split } = facts;
  const metrics: EvaluationMetrics = {
    schema_version: 1,
    methods: facts.methods,
    selected_method: selection.selected.method,
    selection: selectionJson(selection),
    chance_accuracy: facts.nClasses > 0 ? 1 / facts.nClasses : null,
    n_train_wells: facts.nTrain,
    n_test_wells: facts.nTest,
    n_classes: facts.nClasses,
    ...accuracyMetrics(perMethod, facts, resolved),
    ...profilingMetrics(perMethod),
    split: {
      kind: split.kind,
      train_experiments: split.trainExperiments,
      test_experiments: split.testExperiments,
      description: split.description,
    },
    parameters: parameters(perMethod, facts, resolved, options),
  };
  if (resolved.truth)
    metrics.ground_truth = perMethod((e) => ({
      rank_correlation: finite(e.groundTruth?.rankCorrelation),
      fraction_detected: finite(e.groundTruth?.fractionDetected),
    }));
  if (Object.keys(errors).length) metrics.errors = errors;
  return metrics;
}

/** An interval with finite ends, rounded to 4 decimals (a bootstrap percentile carries no more), or null. */
const finiteInterval = (v: Interval | null | undefined): Interval | null =>
  v && Number.isFinite(v[0]) && Number.isFinite(v[1]) ? [round4(v[0]), round4(v[1])] : null;
const round4 = (x: number) => Math.round(x * 1e4) / 1e4;

/** The classification and k-shot accuracies, and their bootstrap intervals. */
function accuracyMetrics(perMethod: PerMethod, facts: RunFacts, resolved: ResolvedOptions) {
  const shots = (get: (e: MethodEvaluation) => Record<string, number>) =>
    perMethod((e) => Object.fromEntries(resolved.kShots.map((k) => [String(k), finite(get(e)[String(k)])])));
  const shotIntervals = (get: (e: MethodEvaluation) => Record<string, Interval | null>) =>
    perMethod((e) => Object.fromEntries(resolved.kShots.map((k) => [String(k), finiteInterval(get(e)[String(k)])])));
  return {
    heldout_accuracy: perMethod((e) => finite(e.heldoutAccuracy)),
    heldout_accuracy_ci: perMethod((e) => finiteInterval(e.heldoutAccuracyCi)),
    heldout_accuracy_plate_constrained: perMethod((e) => finite(e.plateConstrainedAccuracy)),
    heldout_accuracy_plate_constrained_ci: perMethod((e) => finiteInterval(e.plateConstrainedAccuracyCi)),
    heldout_accuracy_by_cell_type: perMethod((e) =>
      Object.fromEntries(facts.cellTypes.map((t) => [t, finite(e.accuracyByCellType[t])])),
    ),
    heldout_accuracy_by_experiment: perMethod((e) =>
      Object.fromEntries(facts.split.testExperiments.map((x) => [x, finite(e.accuracyByExperiment[x])])),
    ),
    plate_group_accuracy: perMethod((e) => finite(e.plateGroupAccuracy)),
    knn_accuracy: perMethod((e) => finite(e.knnAccuracy)),
    knn_accuracy_ci: perMethod((e) => finiteInterval(e.knnAccuracyCi)),
    kshot_accuracy: shots((e) => e.kshotAccuracy),
    kshot_accuracy_ci: shotIntervals((e) => e.kshotAccuracyCi),
    ...(resolved.novelSirnas
      ? {
          kshot_novel_accuracy: shots((e) => e.kshotNovelAccuracy),
          kshot_novel_accuracy_ci: shotIntervals((e) => e.kshotNovelAccuracyCi),
          kshot_novel_chance: 1 / resolved.novelSirnas.size,
        }
      : {}),
  };
}

/** metrics.json's `selection`: scores rounded to 4 decimals (fold accuracies are ratios of small counts). */
function selectionJson(selection: SelectionResult): SelectionJson {
  const errors = Object.entries(selection.scores).filter(([, s]) => s.error);
  return {
    protocol: selection.protocol,
    batch: selection.selected.batch,
    controls: selection.selected.controls,
    method: selection.selected.method,
    cv_scores: Object.fromEntries(
      Object.entries(selection.scores).map(([key, s]) => [
        key,
        { mean: s.mean === null ? null : round4(s.mean), folds: s.folds.map(round4) },
      ]),
    ),
    candidates: selection.candidates,
    fold_experiments: selection.foldExperiments,
    per_method: Object.fromEntries(
      Object.entries(selection.perMethod).map(([method, s]) => [
        method,
        { batch: s.batch, controls: s.controls, candidate: s.candidate, mean: s.mean === null ? null : round4(s.mean) },
      ]),
    ),
    ...(errors.length ? { errors: Object.fromEntries(errors.map(([key, s]) => [key, s.error!])) } : {}),
  };
}

/** Retrieval, activity and batch-mixing metrics. */
function profilingMetrics(perMethod: PerMethod) {
  return {
    map: perMethod((e) => finite(e.retrieval?.meanMap)),
    fraction_retrieved: perMethod((e) => finite(e.retrieval?.fractionSignificant)),
    activity_map: perMethod((e) => finite(e.activity?.meanMap)),
    fraction_active: perMethod((e) => finite(e.activity?.fractionSignificant)),
    silhouette_batch: perMethod((e) => finite(e.silhouetteBatch)),
    silhouette_sirna: perMethod((e) => finite(e.silhouetteSirna)),
    ilisi: perMethod((e) => finite(e.ilisi)),
    clisi: perMethod((e) => finite(e.clisi)),
    graph_connectivity: perMethod((e) => finite(e.graphConnectivity)),
  };
}

/** Run parameters, input sizes, seconds per step and the logistic fit of each method. */
function parameters(
  perMethod: PerMethod,
  facts: RunFacts,
  resolved: ResolvedOptions,
  options: EvaluateOptions,
): Record<string, unknown> {
  return {
    batch: resolved.batch,
    controls: options.controls ?? null,
    correct_at: options.correctAt ?? 'well',
    seed: resolved.seed,
    logistic: {
      l2: resolved.logistic.l2 ?? 1e-3,
      max_iterations: resolved.logistic.maxIterations ?? 200,
      tolerance: resolved.logistic.tolerance ?? 1e-5,
    },
    knn_k: resolved.knnK,
    kshots: resolved.kShots,
    novel_sirnas: options.novelSirnas ?? null,
    null_size: resolved.nullSize,
    max_retrieval_wells: resolved.maxRetrievalWells,
    max_mixing_wells: resolved.maxMixingWells,
    mixing_components: resolved.mixingComponents,
    input_rows: facts.inputRows,
    wells: facts.wells,
    features: facts.features,
    seconds: perMethod((e) => e.seconds),
    logistic_fit: perMethod((e) => e.logistic),
  };
}
