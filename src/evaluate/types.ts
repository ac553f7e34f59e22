/**
 * The types of an evaluation: its options, the split, what is measured per correction method, and metrics.json
 * (schema_version 1, defined in src/evaluate/METRICS.md).
 */
import type { BatchBy, FitOn } from '../correct/index.js';
import type { ProfileTable } from '../store/profiles.js';
import type { CorrectFn, CorrectionMethod } from './correction.js';
import type { GroundTruth } from './groundTruth.js';
import type { LogisticOptions } from './logistic.js';
import type { Interval } from './bootstrap.js';
import type { MapSummary } from './retrieval.js';

/** How training and held-out experiments are chosen. */
export type SplitSpec = 'rxrx1' | { leaveOut: string[] };

export interface EvaluateOptions {
  /** Correction methods to compare; 'none' is the uncorrected table. Default ['none']. */
  methods?: CorrectionMethod[];
  /** Batch unit for correction and for the batch-mixing metrics. Default 'experiment'. */
  batch?: 'experiment' | 'plate';
  /**
   * Rows a correction fits on (passed to src/correct: 'negative' controls, or 'all' rows; its default when omitted).
   */
  controls?: FitOn;
  /**
   * Where correction applies: 'well' (default: site rows are averaged into wells first) or 'site' (the input
   * table is corrected, then averaged into wells: twice the control rows per batch, which per-batch fits on
   * control wells need when a batch holds a single negative-control well).
   */
  correctAt?: 'well' | 'site';
  /** Default 'rxrx1' (see resolveSplit). */
  split?: SplitSpec;
  /** The correction step; default src/correct's correctProfiles. */
  correct?: CorrectFn;
  /** ground_truth.json path, or parsed ground truth (simulated data). */
  groundTruth?: string | GroundTruth;
  /** Seed of every random draw (subsets, k-shot draws, nulls, UMAP). Default 0. */
  seed?: number;
  logistic?: LogisticOptions;
  /** Neighbours voting in the kNN classifier. Default 5. */
  knnK?: number;
  /** k of the k-shot protocol. Default [1, 5, 10]. */
  kShots?: number[];
  /**
   * siRNA ids held out from a model's training (e.g. a CNN's `heldOutSirnas`): adds `kshot_novel_accuracy`, the
   * k-shot protocol among these siRNAs only.
   */
  novelSirnas?: number[];
  /** Permutation null size for mAP p-values. Default 10000. */
  nullSize?: number;
  /** Retrieval mAP is computed on a seeded subset of whole siRNAs with at most this many wells. Default 4000. */
  maxRetrievalWells?: number;
  /** Mixing metrics likewise (subset of whole siRNAs). Default 3000. */
  maxMixingWells?: number;
  /** Principal components the mixing metrics and UMAP work on. Default 50. */
  mixingComponents?: number;
  /** Draw plots (PCA, UMAP, heatmaps). Default true. */
  plots?: boolean;
  /** Run UMAP for the plots (the slowest plot). Default true. */
  umap?: boolean;
  /** Wells drawn in the scatter plots (a seeded subset, plus all wells of the highlighted siRNAs). Default 2000. */
  maxPlotWells?: number;
  /** siRNAs highlighted in the plots coloured by siRNA (highest activity mAP). Default 6. */
  highlightSirnas?: number;
  /** Feature shown in plate heatmaps; default the first feature. */
  heatmapFeature?: string;
  /** Plates shown as heatmaps per method (the first in experiment/plate order). Default 8. */
  heatmapPlates?: number;
  /** Progress messages. */
  onProgress?: (message: string) => void;
}

export interface SplitInfo {
  kind: 'rxrx1' | 'leave-out';
  trainExperiments: string[];
  testExperiments: string[];
  /** How the split was chosen, in words. */
  description: string;
}

/** One plate heatmap of the report: a feature over the 16 x 24 plate grid. */
export interface PlateHeatmap {
  plate: string;
  feature: string;
  /** 16 x 24 values (rows A..P, columns 01..24), NaN where the plate has no well. */
  grid: Float32Array;
}

export interface MethodPlots {
  experiment: string[];
  cellType: string[];
  /** siRNA id of each plotted well (-1 unknown). */
  sirna: number[];
  wellType: string[];
  /** The highlighted siRNAs (highest activity mAP under this method). */
  highlighted: number[];
  /** n x 2 PCA scores, row-major. */
  pca: Float32Array | null;
  pcaVariance: number[];
  /** n x 2 UMAP coordinates, row-major. */
  umap: Float32Array | null;
  heatmaps: PlateHeatmap[];
}

export interface GroundTruthScores {
  rankCorrelation: number;
  fractionDetected: number;
}

export interface MethodEvaluation {
  method: string;
  /** Set when the correction (or evaluation) of this method failed; the other fields are then NaN/empty. */
  error?: string;
  heldoutAccuracy: number;
  plateConstrainedAccuracy: number;
  /** Fraction of held-out plates whose inferred siRNA group is the group holding most of their true labels. */
  plateGroupAccuracy: number;
  /** 95% percentile-bootstrap intervals over the held-out wells (bootstrap.ts); null without held-out wells. */
  heldoutAccuracyCi: Interval | null;
  plateConstrainedAccuracyCi: Interval | null;
  knnAccuracyCi: Interval | null;
  kshotAccuracyCi: Record<string, Interval | null>;
  kshotNovelAccuracyCi: Record<string, Interval | null>;
  accuracyByCellType: Record<string, number>;
  accuracyByExperiment: Record<string, number>;
  knnAccuracy: number;
  kshotAccuracy: Record<string, number>;
  /** k-shot accuracy among the novel siRNAs (when given). */
  kshotNovelAccuracy: Record<string, number>;
  logistic: { iterations: number; converged: boolean; loss: number } | null;
  retrieval: MapSummary | null;
  activity: MapSummary | null;
  silhouetteBatch: number;
  silhouetteSirna: number;
  ilisi: number;
  clisi: number;
  graphConnectivity: number;
  groundTruth: GroundTruthScores | null;
  plots: MethodPlots | null;
  /** Seconds spent per step. */
  seconds: Record<string, number>;
}

/**
 * metrics.json (schema_version 1; full definitions in src/evaluate/METRICS.md). Every value is a number, or null
 * when it cannot be computed; per-method metrics are keyed by method ('none' = uncorrected).
 */
export interface EvaluationMetrics {
  schema_version: 1;
  methods: string[];
  /** The method chosen by cross-validation inside the training experiments (a key of heldout_accuracy). */
  selected_method: string;
  /** How it was chosen: the protocol, the selected setting, every candidate's cross-validation scores. */
  selection: SelectionJson;
  /** 1 / n_classes. */
  chance_accuracy: number | null;
  /** Treatment wells of the training experiments. */
  n_train_wells: number;
  /** Held-out treatment wells whose siRNA was seen in training (the scored wells). */
  n_test_wells: number;
  /** Treatment siRNAs of the training wells. */
  n_classes: number;
  /** Logistic regression, held-out accuracy, no plate constraint. */
  heldout_accuracy: Record<string, number | null>;
  /** 95% percentile-bootstrap interval of heldout_accuracy over the held-out wells ([lower, upper] or null). */
  heldout_accuracy_ci: Record<string, Interval | null>;
  /** Logistic regression, each held-out plate assigned one-to-one within its inferred siRNA group (Hungarian). */
  heldout_accuracy_plate_constrained: Record<string, number | null>;
  heldout_accuracy_plate_constrained_ci: Record<string, Interval | null>;
  /** method -> cell type -> held-out accuracy (no plate constraint). */
  heldout_accuracy_by_cell_type: Record<string, Record<string, number | null>>;
  /** method -> held-out experiment -> accuracy (no plate constraint). */
  heldout_accuracy_by_experiment: Record<string, Record<string, number | null>>;
  /** Fraction of held-out plates whose siRNA group was inferred right. */
  plate_group_accuracy: Record<string, number | null>;
  /** Cosine kNN (k = 5, similarity-weighted votes), held-out accuracy. */
  knn_accuracy: Record<string, number | null>;
  knn_accuracy_ci: Record<string, Interval | null>;
  /** method -> k ("1", "5", "10") -> nearest-class-mean accuracy from k training wells per siRNA. */
  kshot_accuracy: Record<string, Record<string, number | null>>;
  kshot_accuracy_ci: Record<string, Record<string, Interval | null>>;
  /** The same among the siRNAs held out from a model's training only (`novelSirnas`; absent otherwise). */
  kshot_novel_accuracy?: Record<string, Record<string, number | null>>;
  kshot_novel_accuracy_ci?: Record<string, Record<string, Interval | null>>;
  /** Chance level of kshot_novel_accuracy: 1 / the number of novel siRNAs. */
  kshot_novel_chance?: number;
  /** Replicate retrieval mAP (copairs; same siRNA on another plate vs other siRNAs), mean over siRNAs. */
  map: Record<string, number | null>;
  /** Fraction of siRNAs with retrieval BH q < 0.05. */
  fraction_retrieved: Record<string, number | null>;
  /** Phenotypic activity mAP (copairs; replicates vs negative controls), mean over siRNAs. */
  activity_map: Record<string, number | null>;
  /** Fraction of siRNAs with activity BH q < 0.05. */
  fraction_active: Record<string, number | null>;
  /** Mean silhouette (Euclidean, top PCs) by batch label: lower is better mixed. */
  silhouette_batch: Record<string, number | null>;
  /** Mean silhouette by siRNA label: higher is better separated. */
  silhouette_sirna: Record<string, number | null>;
  /** Median LISI of batch labels (harmony compute_lisi, perplexity 30): higher is better mixed. */
  ilisi: Record<string, number | null>;
  /** Median LISI of siRNA labels: lower keeps siRNAs apart. */
  clisi: Record<string, number | null>;
  /** scIB graph connectivity over cell-type labels (15-NN graph). */
  graph_connectivity: Record<string, number | null>;
  /** Simulated data with a ground truth: Spearman of siRNA distances, fraction of true-effect siRNAs active. */
  ground_truth?: Record<string, { rank_correlation: number | null; fraction_detected: number | null }>;
  split: { kind: string; train_experiments: string[]; test_experiments: string[]; description: string };
  /** Run parameters, input sizes, seconds per step and logistic fit per method. */
  parameters: Record<string, unknown>;
  /** method -> error message, only when some method failed. */
  errors?: Record<string, string>;
}

/** metrics.json's `selection` (METRICS.md, "Model selection"). */
export interface SelectionJson {
  protocol: string;
  batch: BatchBy;
  controls: FitOn;
  method: string;
  /** candidate ("none" or "method:batch:controls") -> mean over folds and the fold accuracies. */
  cv_scores: Record<string, { mean: number | null; folds: number[] }>;
  candidates: string[];
  /** The training experiments held out in turn (the folds' order). */
  fold_experiments: string[];
  /** method -> the setting it was evaluated with (its best candidate) and that candidate's mean. */
  per_method: Record<string, { batch: BatchBy; controls: FitOn; candidate: string; mean: number | null }>;
  /** candidate -> why its correction failed (only candidates that failed). */
  errors?: Record<string, string>;
}

export interface EvaluationResult {
  metrics: EvaluationMetrics;
  methods: MethodEvaluation[];
  split: SplitInfo;
  /** The selected correction setting and its corrected well table (null when that correction failed). */
  selected: { method: CorrectionMethod; batch: BatchBy; controls: FitOn; profiles: ProfileTable | null };
}
