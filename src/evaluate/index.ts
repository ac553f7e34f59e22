/**
 * evaluate/: how good is a profile table, before and after each batch correction? `evaluateProfiles` runs the
 * RxRx1 competition protocol and the profiling metrics on the well-level profiles of every requested
 * correction method; `writeReport` writes metrics.json and a self-contained report.html. Metric definitions
 * are in src/evaluate/METRICS.md and in the doc comment of each metric's function.
 *
 * Pipeline, per method:
 *  1. Site rows are averaged into wells (aggregateToWells); the well table is batch-corrected (method 'none'
 *     is the identity) by src/correct, with the controls it needs still in the table (or, with
 *     correctAt 'site', the site table is corrected and then averaged).
 *  2. Evaluation space: the corrected well features, each z-scored over all wells of the table (a global
 *     per-feature affine map that leaves batch structure alone; constant features become 0).
 *  3. Classification (treatment siRNAs only): train on the training experiments' treatment wells, predict the
 *     held-out experiments' treatment wells whose siRNA was seen in training; logistic regression (with and
 *     without the plate constraint), cosine kNN, and k-shot nearest class mean.
 *  4. Retrieval and activity mAP (copairs definitions), batch mixing (silhouette, LISI, graph connectivity),
 *     ground-truth scores when a ground truth is given, and the data for the report's plots.
 */
import { UMAP } from 'umap-js';
import { FIRST_POSITIVE_CONTROL, NEGATIVE_CONTROL_SIRNA } from '../rxrx1/index.js';
import { META, type ProfileTable, toRowMajor, selectRows } from '../store/profiles.js';
import { accuracy, accuracyByGroup, knnPredict, nearestClassMean, sampleShots } from './classify.js';
import { classGroups, plateConstrainedPredictions } from './assignment.js';
import { checkMethods, defaultCorrect, type CorrectFn, type CorrectionMethod } from './correction.js';
import type { FitOn } from '../correct/index.js';
import { distanceRankCorrelation, fractionDetected, readGroundTruth, type GroundTruth } from './groundTruth.js';
import { pca, standardize, takeRows } from './linalg.js';
import { argmaxRows, logisticLogProba, trainLogistic, type LogisticOptions } from './logistic.js';
import { graphConnectivity, lisi, median, silhouetteScore } from './mixing.js';
import { rngFor } from '../util/random.js';
import { meanAveragePrecision, phenotypicActivity, replicateRetrieval, type MapSummary } from './retrieval.js';
import { aggregateToWells } from '../store/wells.js';

export { aggregateToWells } from '../store/wells.js';
export {
  CORRECTION_METHODS,
  defaultCorrect,
  type CorrectFn,
  type CorrectionMethod,
  type CorrectionRequest,
} from './correction.js';
export { writeReport, renderReportHtml } from './report.js';
export type { GroundTruth, SirnaGroundTruth } from './groundTruth.js';
export {
  parseGroundTruth,
  readGroundTruth,
  spearman,
  rankData,
  distanceRankCorrelation,
  fractionDetected,
} from './groundTruth.js';
export { linearAssignment, classGroups, plateConstrainedPredictions } from './assignment.js';
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
export { silhouetteScore, silhouetteSamples, lisi, graphConnectivity, median } from './mixing.js';
export { pca, standardize, nearestNeighbours } from './linalg.js';

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
  /** Logistic regression, each held-out plate assigned one-to-one within its inferred siRNA group (Hungarian). */
  heldout_accuracy_plate_constrained: Record<string, number | null>;
  /** method -> cell type -> held-out accuracy (no plate constraint). */
  heldout_accuracy_by_cell_type: Record<string, Record<string, number | null>>;
  /** method -> held-out experiment -> accuracy (no plate constraint). */
  heldout_accuracy_by_experiment: Record<string, Record<string, number | null>>;
  /** Fraction of held-out plates whose siRNA group was inferred right. */
  plate_group_accuracy: Record<string, number | null>;
  /** Cosine kNN (k = 5, similarity-weighted votes), held-out accuracy. */
  knn_accuracy: Record<string, number | null>;
  /** method -> k ("1", "5", "10") -> nearest-class-mean accuracy from k training wells per siRNA. */
  kshot_accuracy: Record<string, Record<string, number | null>>;
  /** The same among the siRNAs held out from a model's training only (`novelSirnas`; absent otherwise). */
  kshot_novel_accuracy?: Record<string, Record<string, number | null>>;
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

export interface EvaluationResult {
  metrics: EvaluationMetrics;
  methods: MethodEvaluation[];
  split: SplitInfo;
}

/** The per-well facts every metric needs, read from a (corrected) well table. */
interface WellView {
  n: number;
  p: number;
  /** Evaluation space: n x p, each feature z-scored over all wells. */
  X: Float32Array;
  features: string[];
  raw: ProfileTable;
  experiment: string[];
  plateKey: string[];
  well: string[];
  cellType: string[];
  sirna: Int32Array;
  isTreatment: Uint8Array;
  isNegative: Uint8Array;
  wellType: string[];
  wellId: string[];
}

function column(table: ProfileTable, name: string, required: boolean): (string | number | null)[] | null {
  const values = table.metadata[name];
  if (!values && required)
    throw new Error(
      `evaluate: the profile table has no ${name} column (columns: ${Object.keys(table.metadata).join(', ')})`,
    );
  return values ?? null;
}

function viewOf(table: ProfileTable): WellView {
  const n = table.rows;
  const p = table.features.length;
  if (p === 0) throw new Error('evaluate: the profile table has no feature columns');
  const experiment = column(table, META.experiment, true)!.map((v) => String(v));
  const plate = column(table, META.plate, true)!;
  const well = column(table, META.well, false);
  const cellTypeColumn = column(table, META.cellType, false);
  const sirnaColumn = column(table, META.sirnaId, true)!;
  const wellTypeColumn = column(table, META.wellType, false);
  const wellIdColumn = column(table, META.wellId, false);
  const sirna = new Int32Array(n);
  const isTreatment = new Uint8Array(n);
  const isNegative = new Uint8Array(n);
  const wellType: string[] = [];
  for (let i = 0; i < n; i++) {
    const id = sirnaColumn[i];
    sirna[i] =
      typeof id === 'number' && Number.isInteger(id)
        ? id
        : id !== null && id !== '' && Number.isInteger(Number(id))
          ? Number(id)
          : -1;
    const type =
      wellTypeColumn && wellTypeColumn[i] !== null
        ? String(wellTypeColumn[i])
        : sirna[i] === NEGATIVE_CONTROL_SIRNA
          ? 'negative_control'
          : sirna[i] >= FIRST_POSITIVE_CONTROL
            ? 'positive_control'
            : 'treatment';
    wellType.push(type);
    isTreatment[i] = type === 'treatment' && sirna[i] >= 0 && sirna[i] < FIRST_POSITIVE_CONTROL ? 1 : 0;
    isNegative[i] = type === 'negative_control' ? 1 : 0;
  }
  return {
    n,
    p,
    X: standardize(toRowMajor(table), n, p),
    features: table.features,
    raw: table,
    experiment,
    plateKey: experiment.map((e, i) => `${e}_${plate[i]}`),
    well: well ? well.map((v) => String(v)) : new Array<string>(n).fill(''),
    cellType: experiment.map((e, i) =>
      cellTypeColumn && cellTypeColumn[i] !== null ? String(cellTypeColumn[i]) : e.split('-')[0],
    ),
    sirna,
    isTreatment,
    isNegative,
    wellType,
    wellId: wellIdColumn
      ? wellIdColumn.map((v) => String(v))
      : experiment.map((e, i) => `${e}_${plate[i]}_${well ? well[i] : i}`),
  };
}

/**
 * Training and held-out experiments.
 * - 'rxrx1': the competition's split, Metadata_dataset train vs test, when some test treatment wells carry
 *   siRNA labels (simulated data does; the real RxRx1 test set does not). Otherwise, and when the table has no
 *   Metadata_dataset, a leave-experiments-out split of the labelled experiments: for each cell type with at
 *   least two labelled experiments, its last experiment in name order is held out.
 * - { leaveOut }: those experiments are held out; all other labelled experiments train.
 * Experiments without any labelled treatment well never train or test (they still go through correction).
 */
export function resolveSplit(table: ProfileTable, spec: SplitSpec = 'rxrx1'): SplitInfo {
  const experiments = column(table, META.experiment, true)!.map(String);
  const dataset = column(table, META.dataset, false);
  const sirna = column(table, META.sirnaId, true)!;
  const cellType = column(table, META.cellType, false);
  const labelled = new Set<string>();
  const all = new Set<string>();
  const datasetOf = new Map<string, string>();
  const cellTypeOf = new Map<string, string>();
  for (let i = 0; i < table.rows; i++) {
    all.add(experiments[i]);
    if (dataset && dataset[i] !== null) datasetOf.set(experiments[i], String(dataset[i]));
    cellTypeOf.set(
      experiments[i],
      cellType && cellType[i] !== null ? String(cellType[i]) : experiments[i].split('-')[0],
    );
    const id = Number(sirna[i]);
    if (sirna[i] !== null && Number.isInteger(id) && id >= 0 && id < FIRST_POSITIVE_CONTROL)
      labelled.add(experiments[i]);
  }
  const sorted = (s: Iterable<string>) => [...s].sort();
  if (typeof spec === 'object') {
    const unknown = spec.leaveOut.filter((e) => !all.has(e));
    if (unknown.length)
      throw new Error(
        `split leave-out: unknown experiment(s) ${unknown.join(', ')}; the table has ${sorted(all).join(', ')}`,
      );
    const held = new Set(spec.leaveOut);
    return {
      kind: 'leave-out',
      trainExperiments: sorted(labelled).filter((e) => !held.has(e)),
      testExperiments: sorted(spec.leaveOut).filter((e) => labelled.has(e)),
      description: `leave-out: held out ${sorted(spec.leaveOut).join(', ')} (given); all other labelled experiments train`,
    };
  }
  const trainSet = sorted(labelled).filter((e) => datasetOf.get(e) === 'train');
  const testSet = sorted(labelled).filter((e) => datasetOf.get(e) === 'test');
  if (testSet.length > 0 && trainSet.length > 0) {
    return {
      kind: 'rxrx1',
      trainExperiments: trainSet,
      testExperiments: testSet,
      description:
        'rxrx1: Metadata_dataset train experiments train, labelled test experiments are held out (the competition split)',
    };
  }
  const byCellType = new Map<string, string[]>();
  for (const e of sorted(labelled)) {
    const list = byCellType.get(cellTypeOf.get(e)!) ?? [];
    list.push(e);
    byCellType.set(cellTypeOf.get(e)!, list);
  }
  const held = [...byCellType.values()].filter((list) => list.length >= 2).map((list) => list[list.length - 1]);
  const reason = !dataset ? 'the table has no Metadata_dataset' : 'no test experiment has siRNA labels';
  return {
    kind: 'leave-out',
    trainExperiments: sorted(labelled).filter((e) => !held.includes(e)),
    testExperiments: held.sort(),
    description: `leave-out (fallback, ${reason}): the last labelled experiment of each cell type with at least two is held out`,
  };
}

/** Parses the CLI's --split value: "rxrx1" or "leave-out:EXP1,EXP2". */
export function parseSplit(value: string): SplitSpec {
  if (value === 'rxrx1') return 'rxrx1';
  const match = /^leave-out:(.+)$/.exec(value);
  if (match) {
    const list = match[1]
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    if (list.length) return { leaveOut: list };
  }
  throw new Error(`split: expected "rxrx1" or "leave-out:EXP1,EXP2", got "${value}"`);
}

/** siRNAs (in seeded random order) taken whole until adding the next would exceed `maxWells` wells. */
function sirnaSubset(view: WellView, rows: number[], maxWells: number, seed: number, name: string): number[] {
  if (rows.length <= maxWells) return rows;
  const bySirna = new Map<number, number[]>();
  for (const i of rows) {
    const list = bySirna.get(view.sirna[i]);
    if (list) list.push(i);
    else bySirna.set(view.sirna[i], [i]);
  }
  const order = rngFor(seed, name).shuffle([...bySirna.keys()].sort((a, b) => a - b));
  const out: number[] = [];
  for (const id of order) {
    const members = bySirna.get(id)!;
    if (out.length + members.length > maxWells) continue;
    out.push(...members);
  }
  return out.sort((a, b) => a - b);
}

function emptyEvaluation(method: string, error?: string): MethodEvaluation {
  return {
    method,
    error,
    heldoutAccuracy: NaN,
    plateConstrainedAccuracy: NaN,
    plateGroupAccuracy: NaN,
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

interface Resolved {
  seed: number;
  batch: 'experiment' | 'plate';
  knnK: number;
  kShots: number[];
  novelSirnas: Set<number> | null;
  nullSize: number;
  maxRetrievalWells: number;
  maxMixingWells: number;
  mixingComponents: number;
  plots: boolean;
  umap: boolean;
  maxPlotWells: number;
  highlightSirnas: number;
  heatmapFeature?: string;
  heatmapPlates: number;
  logistic: LogisticOptions;
  truth: GroundTruth | null;
  progress: (message: string) => void;
}

function timer(seconds: Record<string, number>) {
  return <T>(name: string, work: () => T): T => {
    const start = performance.now();
    try {
      return work();
    } finally {
      seconds[name] = Number(((performance.now() - start) / 1000).toFixed(3));
    }
  };
}

/** Evaluates one (corrected) well table. */
function evaluateMethod(method: string, table: ProfileTable, split: SplitInfo, options: Resolved): MethodEvaluation {
  const result = emptyEvaluation(method);
  const time = timer(result.seconds);
  const view = time('prepare', () => viewOf(table));
  const { X, p } = view;
  const say = (m: string) => options.progress(`${method}: ${m}`);
  const trainExperiments = new Set(split.trainExperiments);
  const testExperiments = new Set(split.testExperiments);

  // Classification targets: treatment siRNAs seen in training.
  const trainRows: number[] = [];
  for (let i = 0; i < view.n; i++)
    if (view.isTreatment[i] && trainExperiments.has(view.experiment[i])) trainRows.push(i);
  const classIds = [...new Set(trainRows.map((i) => view.sirna[i]))].sort((a, b) => a - b);
  const classOf = new Map(classIds.map((id, c) => [id, c]));
  const testRows: number[] = [];
  for (let i = 0; i < view.n; i++)
    if (view.isTreatment[i] && testExperiments.has(view.experiment[i]) && classOf.has(view.sirna[i])) testRows.push(i);
  const C = classIds.length;
  const yTrain = Int32Array.from(trainRows, (i) => classOf.get(view.sirna[i])!);
  const yTest = Int32Array.from(testRows, (i) => classOf.get(view.sirna[i])!);

  if (C >= 2 && testRows.length > 0) {
    const Xtrain = takeRows(X, p, trainRows);
    const Xtest = takeRows(X, p, testRows);
    say(`logistic regression: ${trainRows.length} training wells, ${C} classes, ${p} features`);
    const model = time('logistic', () => trainLogistic(Xtrain, yTrain, trainRows.length, p, C, options.logistic));
    result.logistic = { iterations: model.iterations, converged: model.converged, loss: model.loss };
    const logProba = logisticLogProba(model, Xtest, testRows.length);
    const predicted = argmaxRows(logProba, testRows.length, C);
    result.heldoutAccuracy = accuracy(predicted, yTest);
    result.accuracyByCellType = accuracyByGroup(
      predicted,
      yTest,
      testRows.map((i) => view.cellType[i]),
    );
    result.accuracyByExperiment = accuracyByGroup(
      predicted,
      yTest,
      testRows.map((i) => view.experiment[i]),
    );

    time('plate_constrained', () => {
      const plateClasses = new Map<string, Set<number>>();
      trainRows.forEach((i, r) => {
        const set = plateClasses.get(view.plateKey[i]) ?? new Set<number>();
        set.add(yTrain[r]);
        plateClasses.set(view.plateKey[i], set);
      });
      const { groupOf, groups } = classGroups(
        [...plateClasses.values()].map((s) => [...s]),
        C,
      );
      const testPlates = testRows.map((i) => view.plateKey[i]);
      const constrained = plateConstrainedPredictions(logProba, C, testPlates, groups);
      result.plateConstrainedAccuracy = accuracy(constrained.predictions, yTest);
      // Was each plate's group right? The true group holds most of the plate's true labels.
      let right = 0;
      for (const [plate, g] of constrained.plateGroup) {
        const votes = new Map<number, number>();
        testRows.forEach((_, r) => {
          if (testPlates[r] === plate) votes.set(groupOf[yTest[r]], (votes.get(groupOf[yTest[r]]) ?? 0) + 1);
        });
        const truthGroup = [...votes.entries()].sort((a, b) => b[1] - a[1] || a[0] - b[0])[0][0];
        if (truthGroup === g) right++;
      }
      result.plateGroupAccuracy = constrained.plateGroup.size ? right / constrained.plateGroup.size : NaN;
    });

    say(`kNN (k=${options.knnK}) on ${testRows.length} held-out wells`);
    result.knnAccuracy = time('knn', () =>
      accuracy(knnPredict(Xtrain, yTrain, trainRows.length, Xtest, testRows.length, p, C, options.knnK), yTest),
    );

    time('kshot', () => {
      const members: number[][] = classIds.map(() => []);
      trainRows.forEach((i, r) => {
        members[yTrain[r]].push(i);
      });
      for (const k of options.kShots) {
        const shots = sampleShots(members, k, options.seed);
        const predictedClass = nearestClassMean(X, p, shots, testRows);
        result.kshotAccuracy[String(k)] = accuracy(predictedClass, yTest);
      }
      const novel = options.novelSirnas;
      if (novel) {
        // Only the novel siRNAs are candidates (the others' prototypes are left empty) and queries.
        const novelMembers = members.map((rows, c) => (novel.has(classIds[c]) ? rows : []));
        const queries = testRows.filter((i) => novel.has(view.sirna[i]));
        const truth = Int32Array.from(queries, (i) => classOf.get(view.sirna[i])!);
        for (const k of options.kShots)
          result.kshotNovelAccuracy[String(k)] = accuracy(
            nearestClassMean(X, p, sampleShots(novelMembers, k, options.seed), queries),
            truth,
          );
      }
    });
  } else {
    say(`no classification: ${C} training classes, ${testRows.length} held-out wells`);
  }

  // Retrieval: all labelled treatment wells (train and test), a subset of whole siRNAs when large.
  const treatmentRows: number[] = [];
  for (let i = 0; i < view.n; i++) if (view.isTreatment[i]) treatmentRows.push(i);
  const retrievalRows = sirnaSubset(view, treatmentRows, options.maxRetrievalWells, options.seed, 'retrieval-subset');
  if (retrievalRows.length > 1) {
    say(`replicate retrieval mAP on ${retrievalRows.length} wells`);
    result.retrieval = time('retrieval_map', () => {
      const queries = replicateRetrieval(
        takeRows(X, p, retrievalRows),
        retrievalRows.length,
        p,
        retrievalRows.map((i) => view.sirna[i]),
        retrievalRows.map((i) => view.plateKey[i]),
      );
      return meanAveragePrecision(queries, { nullSize: options.nullSize, seed: options.seed });
    });
  }
  if (view.isNegative.some((v) => v === 1) && treatmentRows.length > 1) {
    say('phenotypic activity mAP');
    result.activity = time('activity_map', () => {
      const labels = Int32Array.from(view.sirna, (s, i) => (view.isTreatment[i] ? s : -1));
      return meanAveragePrecision(phenotypicActivity(X, view.n, p, labels, view.isTreatment, view.isNegative), {
        nullSize: options.nullSize,
        seed: options.seed,
      });
    });
  }

  // Mixing metrics on the top principal components of a subset of whole siRNAs.
  const mixingRows = sirnaSubset(view, treatmentRows, options.maxMixingWells, options.seed, 'mixing-subset');
  if (mixingRows.length >= 3) {
    say(`batch mixing on ${mixingRows.length} wells`);
    time('mixing', () => {
      const sub = takeRows(X, p, mixingRows);
      const k = Math.min(options.mixingComponents, p, mixingRows.length);
      const scores = pca(sub, mixingRows.length, p, k, options.seed).scores;
      const m = mixingRows.length;
      const batchLabels = mixingRows.map((i) => (options.batch === 'plate' ? view.plateKey[i] : view.experiment[i]));
      const sirnaLabels = mixingRows.map((i) => view.sirna[i]);
      result.silhouetteBatch = silhouetteScore(scores, m, k, batchLabels, 'euclidean');
      result.silhouetteSirna = silhouetteScore(scores, m, k, sirnaLabels, 'euclidean');
      result.ilisi = median(lisi(scores, m, k, batchLabels));
      result.clisi = median(lisi(scores, m, k, sirnaLabels));
      result.graphConnectivity = graphConnectivity(
        scores,
        m,
        k,
        mixingRows.map((i) => view.cellType[i]),
      );
    });
  }

  if (options.truth) {
    const truth = options.truth;
    result.groundTruth = time('ground_truth', () => {
      const ids = [...new Set(treatmentRows.map((i) => view.sirna[i]))].sort((a, b) => a - b);
      const index = new Map(ids.map((id, r) => [id, r]));
      const means = new Float32Array(ids.length * p);
      const counts = new Float64Array(ids.length);
      for (const i of treatmentRows) {
        const r = index.get(view.sirna[i])!;
        counts[r]++;
        for (let j = 0; j < p; j++) means[r * p + j] += X[i * p + j];
      }
      for (let r = 0; r < ids.length; r++) for (let j = 0; j < p; j++) means[r * p + j] /= counts[r];
      const q = new Map((result.activity?.groups ?? []).map((g) => [g.label, g.qValue]));
      return {
        rankCorrelation: distanceRankCorrelation(means, p, ids, truth),
        fractionDetected: result.activity ? fractionDetected(q, truth) : NaN,
      };
    });
  }

  if (options.plots) result.plots = time('plots', () => plotData(view, result, options, say));
  return result;
}

function plotData(view: WellView, result: MethodEvaluation, options: Resolved, say: (m: string) => void): MethodPlots {
  const { X, p } = view;
  const highlighted = (result.activity?.groups ?? [])
    .slice()
    .sort((a, b) => b.map - a.map || a.label - b.label)
    .slice(0, options.highlightSirnas)
    .map((g) => g.label);
  const highlightSet = new Set(highlighted);
  // A seeded subset keyed by well id (the same wells under every method), plus all highlighted wells.
  const order = rngFor(options.seed, 'plot-subset').shuffle([...view.wellId].sort());
  const chosen = new Set(order.slice(0, options.maxPlotWells));
  const rows: number[] = [];
  for (let i = 0; i < view.n; i++)
    if (chosen.has(view.wellId[i]) || (view.isTreatment[i] && highlightSet.has(view.sirna[i]))) rows.push(i);
  const n = rows.length;
  const plots: MethodPlots = {
    experiment: rows.map((i) => view.experiment[i]),
    cellType: rows.map((i) => view.cellType[i]),
    sirna: rows.map((i) => view.sirna[i]),
    wellType: rows.map((i) => view.wellType[i]),
    highlighted,
    pca: null,
    pcaVariance: [],
    umap: null,
    heatmaps: [],
  };
  if (n >= 3) {
    const sub = takeRows(X, p, rows);
    const k = Math.min(options.mixingComponents, p, n);
    const components = pca(sub, n, p, k, options.seed);
    plots.pca = new Float32Array(n * 2);
    for (let i = 0; i < n; i++) {
      plots.pca[i * 2] = components.scores[i * k];
      plots.pca[i * 2 + 1] = k > 1 ? components.scores[i * k + 1] : 0;
    }
    plots.pcaVariance = Array.from(components.explainedVariance.slice(0, 2));
    if (options.umap && n >= 5) {
      say(`UMAP of ${n} wells`);
      const rng = rngFor(options.seed, 'umap');
      const umap = new UMAP({
        nComponents: 2,
        nNeighbors: Math.min(15, n - 1),
        minDist: 0.1,
        random: () => rng.next(),
      });
      const data = Array.from({ length: n }, (_, i) => Array.from(components.scores.subarray(i * k, (i + 1) * k)));
      const embedding = umap.fit(data);
      plots.umap = Float32Array.from(embedding.flat());
    }
  }
  // Plate heatmaps of one feature (corrected values, before z-scoring).
  const featureIndex = options.heatmapFeature ? view.features.indexOf(options.heatmapFeature) : 0;
  if (featureIndex >= 0) {
    const values = view.raw.columns[featureIndex];
    const plates = [...new Set(view.plateKey)].sort().slice(0, options.heatmapPlates);
    for (const plate of plates) {
      const grid = new Float32Array(16 * 24).fill(NaN);
      for (let i = 0; i < view.n; i++) {
        if (view.plateKey[i] !== plate) continue;
        const match = /^([A-P])(\d{2})$/.exec(view.well[i]);
        if (!match) continue;
        const r = match[1].charCodeAt(0) - 65;
        const c = Number(match[2]) - 1;
        if (c >= 0 && c < 24) grid[r * 24 + c] = values[i];
      }
      plots.heatmaps.push({ plate, feature: view.features[featureIndex], grid });
    }
  }
  return plots;
}

const finite = (v: number | undefined): number | null => (v !== undefined && Number.isFinite(v) ? v : null);

/**
 * Runs the evaluation (see the module comment) for every method in `options.methods` and gathers metrics.json.
 * A method whose correction throws is recorded under `errors` (its metrics are null) and the others go on.
 */
export async function evaluateProfiles(table: ProfileTable, options: EvaluateOptions = {}): Promise<EvaluationResult> {
  const methods = checkMethods(options.methods?.length ? [...new Set(options.methods)] : ['none']);
  const progress = options.onProgress ?? (() => {});
  const truth =
    typeof options.groundTruth === 'string' ? readGroundTruth(options.groundTruth) : (options.groundTruth ?? null);
  const resolved: Resolved = {
    seed: options.seed ?? 0,
    batch: options.batch ?? 'experiment',
    knnK: options.knnK ?? 5,
    kShots: options.kShots ?? [1, 5, 10],
    novelSirnas: options.novelSirnas ? new Set(options.novelSirnas) : null,
    nullSize: options.nullSize ?? 10000,
    maxRetrievalWells: options.maxRetrievalWells ?? 4000,
    maxMixingWells: options.maxMixingWells ?? 3000,
    mixingComponents: options.mixingComponents ?? 50,
    plots: options.plots ?? true,
    umap: options.umap ?? true,
    maxPlotWells: options.maxPlotWells ?? 2000,
    highlightSirnas: options.highlightSirnas ?? 6,
    heatmapFeature: options.heatmapFeature,
    heatmapPlates: options.heatmapPlates ?? 8,
    logistic: options.logistic ?? {},
    truth,
    progress,
  };
  if (options.heatmapFeature && !table.features.includes(options.heatmapFeature))
    throw new Error(`evaluate: heatmap feature "${options.heatmapFeature}" is not a feature column`);
  progress(`aggregating ${table.rows} rows to wells`);
  const wells = aggregateToWells(table);
  const split = resolveSplit(wells, options.split ?? 'rxrx1');
  progress(
    `split: ${split.description}; train ${split.trainExperiments.length} experiments, test ${split.testExperiments.length}`,
  );

  // Counts of the classification problem, from the uncorrected wells.
  const base = viewOf(wells);
  const train = new Set(split.trainExperiments);
  const test = new Set(split.testExperiments);
  const classes = new Set<number>();
  let nTrain = 0;
  for (let i = 0; i < base.n; i++)
    if (base.isTreatment[i] && train.has(base.experiment[i])) {
      nTrain++;
      classes.add(base.sirna[i]);
    }
  let nTest = 0;
  for (let i = 0; i < base.n; i++)
    if (base.isTreatment[i] && test.has(base.experiment[i]) && classes.has(base.sirna[i])) nTest++;

  const correct = options.correct ?? defaultCorrect;
  const evaluations: MethodEvaluation[] = [];
  for (const method of methods) {
    let corrected: ProfileTable;
    const start = performance.now();
    try {
      if (method === 'none') corrected = wells;
      else {
        progress(`${method}: correcting (batch ${resolved.batch})`);
        const request = { method, batch: resolved.batch, ...(options.controls ? { controls: options.controls } : {}) };
        const input = options.correctAt === 'site' ? table : wells;
        // A copy, so a correction that writes in place cannot touch the tables later methods start from.
        const output = await correct(
          selectRows(
            input,
            Array.from({ length: input.rows }, (_, i) => i),
          ),
          request,
        );
        corrected = options.correctAt === 'site' ? aggregateToWells(output) : output;
      }
    } catch (error) {
      progress(`${method}: correction failed: ${(error as Error).message}`);
      evaluations.push(emptyEvaluation(method, `correction failed: ${(error as Error).message}`));
      continue;
    }
    const correctionSeconds = Number(((performance.now() - start) / 1000).toFixed(3));
    try {
      const evaluation = evaluateMethod(method, corrected, split, resolved);
      evaluation.seconds = { correction: correctionSeconds, ...evaluation.seconds };
      evaluations.push(evaluation);
    } catch (error) {
      progress(`${method}: evaluation failed: ${(error as Error).message}`);
      evaluations.push(emptyEvaluation(method, `evaluation failed: ${(error as Error).message}`));
    }
  }

  const perMethod = <T>(get: (e: MethodEvaluation) => T): Record<string, T> =>
    Object.fromEntries(evaluations.map((e) => [e.method, get(e)]));
  const errors = Object.fromEntries(evaluations.filter((e) => e.error).map((e) => [e.method, e.error!]));
  const cellTypes = [...new Set(split.testExperiments.map((e) => base.cellType[base.experiment.indexOf(e)]))].sort();
  const metrics: EvaluationMetrics = {
    schema_version: 1,
    methods,
    chance_accuracy: classes.size > 0 ? 1 / classes.size : null,
    n_train_wells: nTrain,
    n_test_wells: nTest,
    n_classes: classes.size,
    heldout_accuracy: perMethod((e) => finite(e.heldoutAccuracy)),
    heldout_accuracy_plate_constrained: perMethod((e) => finite(e.plateConstrainedAccuracy)),
    heldout_accuracy_by_cell_type: perMethod((e) =>
      Object.fromEntries(cellTypes.map((t) => [t, finite(e.accuracyByCellType[t])])),
    ),
    heldout_accuracy_by_experiment: perMethod((e) =>
      Object.fromEntries(split.testExperiments.map((x) => [x, finite(e.accuracyByExperiment[x])])),
    ),
    plate_group_accuracy: perMethod((e) => finite(e.plateGroupAccuracy)),
    knn_accuracy: perMethod((e) => finite(e.knnAccuracy)),
    kshot_accuracy: perMethod((e) =>
      Object.fromEntries(resolved.kShots.map((k) => [String(k), finite(e.kshotAccuracy[String(k)])])),
    ),
    ...(resolved.novelSirnas
      ? {
          kshot_novel_accuracy: perMethod((e) =>
            Object.fromEntries(resolved.kShots.map((k) => [String(k), finite(e.kshotNovelAccuracy[String(k)])])),
          ),
        }
      : {}),
    map: perMethod((e) => finite(e.retrieval?.meanMap)),
    fraction_retrieved: perMethod((e) => finite(e.retrieval?.fractionSignificant)),
    activity_map: perMethod((e) => finite(e.activity?.meanMap)),
    fraction_active: perMethod((e) => finite(e.activity?.fractionSignificant)),
    silhouette_batch: perMethod((e) => finite(e.silhouetteBatch)),
    silhouette_sirna: perMethod((e) => finite(e.silhouetteSirna)),
    ilisi: perMethod((e) => finite(e.ilisi)),
    clisi: perMethod((e) => finite(e.clisi)),
    graph_connectivity: perMethod((e) => finite(e.graphConnectivity)),
    split: {
      kind: split.kind,
      train_experiments: split.trainExperiments,
      test_experiments: split.testExperiments,
      description: split.description,
    },
    parameters: {
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
      input_rows: table.rows,
      wells: wells.rows,
      features: table.features.length,
      seconds: perMethod((e) => e.seconds),
      logistic_fit: perMethod((e) => e.logistic),
    },
  };
  if (truth)
    metrics.ground_truth = perMethod((e) => ({
      rank_correlation: finite(e.groundTruth?.rankCorrelation),
      fraction_detected: finite(e.groundTruth?.fractionDetected),
    }));
  if (Object.keys(errors).length) metrics.errors = errors;
  return { metrics, methods: evaluations, split };
}
