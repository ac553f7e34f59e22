/**
 * metrics.json from the per-method evaluations: every value a number, or null when it could not be computed;
 * per-method metrics keyed by method. Key order is part of the format (METRICS.md lists it).
 */
import type { EvaluateOptions, EvaluationMetrics, MethodEvaluation, SplitInfo } from './types.js';
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
): EvaluationMetrics {
  const perMethod: PerMethod = (get) => Object.fromEntries(evaluations.map((e) => [e.method, get(e)]));
  const errors = Object.fromEntries(evaluations.filter((e) => e.error).map((e) => [e.method, e.error!]));
  const { split } = facts;
  const metrics: EvaluationMetrics = {
    schema_version: 1,
    methods: facts.methods,
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

/** The classification and k-shot accuracies. */
function accuracyMetrics(perMethod: PerMethod, facts: RunFacts, resolved: ResolvedOptions) {
  const shots = (get: (e: MethodEvaluation) => Record<string, number>) =>
    perMethod((e) => Object.fromEntries(resolved.kShots.map((k) => [String(k), finite(get(e)[String(k)])])));
  return {
    heldout_accuracy: perMethod((e) => finite(e.heldoutAccuracy)),
    heldout_accuracy_plate_constrained: perMethod((e) => finite(e.plateConstrainedAccuracy)),
    heldout_accuracy_by_cell_type: perMethod((e) =>
      Object.fromEntries(facts.cellTypes.map((t) => [t, finite(e.accuracyByCellType[t])])),
    ),
    heldout_accuracy_by_experiment: perMethod((e) =>
      Object.fromEntries(facts.split.testExperiments.map((x) => [x, finite(e.accuracyByExperiment[x])])),
    ),
    plate_group_accuracy: perMethod((e) => finite(e.plateGroupAccuracy)),
    knn_accuracy: perMethod((e) => finite(e.knnAccuracy)),
    kshot_accuracy: shots((e) => e.kshotAccuracy),
    ...(resolved.novelSirnas
      ? {
          kshot_novel_accuracy: shots((e) => e.kshotNovelAccuracy),
          kshot_novel_chance: 1 / resolved.novelSirnas.size,
        }
      : {}),
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
