/** The features module's public surface: segmentation, measurements, site featurization and aggregation. */
export { aggregateNames, aggregateObjects, aggregateValues, type AggregateOp } from './aggregate.js';
export { measureColocalization, objectPixels, type ColocalizationOptions } from './colocalization.js';
export { distanceTransformSquared } from './distance.js';
export { gaussianFilter, gaussianKernel, toFloat32, type GaussianOptions } from './gaussian.js';
export {
  DEFAULT_GRANULARITY,
  measureGranularity,
  type GranularityOptions,
  type GranularityResult,
} from './granularity.js';
export { INTENSITY_FEATURES, measureIntensity, objectEdges, type IntensityFeature } from './intensity.js';
export { countLabels, filterObjects, label, relabel, type Connectivity, type ObjectFilter } from './label.js';
export { hMaxima, regionalMaxima } from './maxima.js';
export {
  CHANNEL_NAMES,
  DEFAULT_MEASURE,
  measureObjects,
  measureSiteGranularity,
  MeasureWorkspace,
  type MeasureOptions,
  type ObjectFeatures,
} from './measure.js';
export { fillHoles, reconstructByDilation } from './morphology.js';
export {
  DEFAULT_FEATURIZE,
  featurizeParameters,
  featurizeSite,
  FeaturizeWorkspace,
  type FeaturizeParameters,
  type SiteFeatures,
} from './pipeline.js';
export {
  DEFAULT_CELLS,
  DEFAULT_NUCLEI,
  segmentCells,
  segmentNuclei,
  SegmentationWorkspace,
  type CellParameters,
  type CellsResult,
  type NucleiParameters,
  type NucleiResult,
} from './segment.js';
export { measureShape, SHAPE_FEATURES, type ShapeFeature } from './shape.js';
export { measureTexture, TEXTURE_FEATURES, type TextureFeature } from './texture.js';
export { histogram, threshold, thresholdLi, thresholdOtsu, type ThresholdMethod } from './threshold.js';
export { watershed, type WatershedOptions } from './watershed.js';
