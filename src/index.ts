/**
 * phenomap's library API: what the CLI and the server are built from. Each area also has its own entry point with
 * its whole surface (package.json `exports`): phenomap/features, phenomap/embed, phenomap/correct,
 * phenomap/evaluate, phenomap/competition, phenomap/api, phenomap/rxrx1.
 */

/** RxRx1's constants, ids, plate geometry and palettes (counts, channels, stains, rxrx1-utils colours). */
export * from './rxrx1/index.js';
/** A site record (one row of metadata.csv) and the paths of its channel images. */
export * from './data/site.js';
/** Which of RxRx1's two layouts (rxrx.ai, Kaggle) a dataset folder holds, and where its files are. */
export { detectLayout, DatasetError, type DatasetLayout } from './data/layout.js';
/** The site records of a dataset's metadata, with every row it had to drop and why. */
export { readSites, OFFICIAL_COLUMNS, type MetadataProblem, type MetadataResult } from './data/metadata.js';
/** Validation of a dataset (missing, extra, malformed or undecodable images; bad metadata rows). */
export {
  checkDataset,
  PROBLEM_KINDS,
  type CheckReport,
  type CheckOptions,
  type ProblemKind,
} from './data/check.js';
/** The Parquet site index: build it once, query sites by experiment, plate, well, cell type... */
export {
  ensureSiteIndex,
  querySiteIndex,
  findSite,
  writeSiteIndex,
  defaultIndexPath,
  type SiteFilter,
} from './data/siteIndex.js';
/** RxRx1-shaped simulated datasets with known ground truth (tiny, small and medium presets). */
export {
  simulate,
  PRESETS,
  type PresetName,
  type SimulateOptions,
  type SimulateSummary,
} from './data/simulate/index.js';
/** A site's six channels as one channel-major 6x512x512 tensor. */
export { loadSite, SiteLoadError, type SiteLocation } from './image/site.js';
/** Many sites loaded in parallel on worker threads. */
export { SiteLoaderPool, loadSites } from './image/pool.js';
/** The RGB composite of a site, byte-identical to rxrx1-utils' convert_tensor_to_rgb. */
export { compositeRgb, type CompositeOptions } from './image/rgb.js';
/** Per-channel pixel statistics (mean, std, min, max, percentiles) of a site. */
export { channelStats, type ChannelStats } from './image/stats.js';
/** The PNG codec of the channel images (8-bit grayscale fast path). */
export { decodeGray8, encodePng, readPngHeader } from './codec/png.js';
/** Featurization of one site: nuclei and cell segmentation, then CellProfiler-style measurements. */
export {
  featurizeSite,
  featurizeParameters,
  DEFAULT_FEATURIZE,
  FeaturizeWorkspace,
  type FeaturizeParameters,
  type SiteFeatures,
} from './features/index.js';
/** Profile tables (Metadata_* columns, then float32 features) in Parquet, one part per plate. */
export * from './store/profiles.js';
/** Site-level rows averaged into wells. */
export { aggregateToWells } from './store/wells.js';
/** A whole dataset featurized plate by plate on worker threads, resumable. */
export { featurizeDataset, type FeaturizeOptions, type FeaturizeSummary } from './jobs/featurize.js';
/** featurize -> select -> impute -> normalize -> correct -> evaluate, resumable. */
export { runPipeline, PIPELINE_DEFAULTS, type PipelineOptions, type PipelineSummary } from './jobs/pipeline.js';
/** What `phenomap demo` runs: simulate, check, index, composite, featurize, correct, evaluate. */
export { runDemo, type DemoOptions } from './jobs/demo.js';
/** Normalization, feature selection and batch correction of profile tables. */
export {
  correctProfiles,
  normalizeProfiles,
  selectFeatures,
  CORRECTION_METHODS,
  FIT_ON,
  type CorrectionMethod,
  type CorrectOptions,
  type FitOn,
} from './correct/index.js';
/** Evaluation of a representation: held-out siRNA accuracy, k-shot, mAP, batch mixing, report.html. */
export {
  evaluateProfiles,
  parseSplit,
  writeReport,
  type EvaluateOptions,
  type EvaluationResult,
  type SplitSpec,
} from './evaluate/index.js';
/** Side-by-side comparison of representations evaluated on the same held-out experiments. */
export { compareRuns, writeComparison, type ComparedRun, type Comparison } from './evaluate/compare.js';
/** CNNs trained on six-channel sites and imported ONNX models, embedding sites into profile tables. */
export {
  trainModel,
  embedDataset,
  readTrainConfig,
  parseTrainConfig,
  readManifest,
  type TrainConfig,
  type TrainOptions,
  type TrainResult,
  type EmbedOptions,
  type EmbedResult,
  type ModelManifest,
} from './embed/index.js';
/** Competition solution keys: the demo key of a labelled dataset, and the key CSV format. */
export { demoKey, formatKey, parseKey, type SolutionKey } from './competition/key.js';
/** A submission CSV validated and scored against a key (public/private accuracy), as the server does. */
export { scoreSubmission, SUBMISSION_HEADER, type ScoredSubmission } from './competition/submission.js';
/** The HTTP server: the API (src/server/API.md), the web app and the competition. */
export { createServer, type ServerOptions } from './server/index.js';
