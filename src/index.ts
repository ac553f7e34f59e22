/** phenomap's library API: what the CLI and the server are built from. */
export * from './rxrx1/index.js';
export * from './data/site.js';
export { detectLayout, DatasetError, type DatasetLayout } from './data/layout.js';
export { readSites, type MetadataProblem, type MetadataResult } from './data/metadata.js';
export { checkDataset, type CheckReport, type CheckOptions, type ProblemKind } from './data/check.js';
export {
  ensureSiteIndex,
  querySiteIndex,
  findSite,
  writeSiteIndex,
  defaultIndexPath,
  type SiteFilter,
} from './data/siteIndex.js';
export {
  simulate,
  PRESETS,
  type PresetName,
  type SimulateOptions,
  type SimulateSummary,
} from './data/simulate/index.js';
export { loadSite, SiteLoadError, type SiteLocation } from './image/site.js';
export { SiteLoaderPool, loadSites } from './image/pool.js';
export { compositeRgb, type CompositeOptions } from './image/rgb.js';
export { channelStats, type ChannelStats } from './image/stats.js';
export { decodeGray8, encodePng, readPngHeader } from './codec/png.js';
export * from './store/profiles.js';
export { aggregateToWells } from './store/wells.js';
export { featurizeDataset, type FeaturizeOptions, type FeaturizeSummary } from './jobs/featurize.js';
export { runPipeline, type PipelineOptions } from './jobs/pipeline.js';
export {
  correctProfiles,
  normalizeProfiles,
  selectFeatures,
  CORRECTION_METHODS,
  type CorrectionMethod,
  type CorrectOptions,
} from './correct/index.js';
export { evaluateProfiles, writeReport, type EvaluateOptions, type EvaluationResult } from './evaluate/index.js';
export { createServer } from './server/index.js';
