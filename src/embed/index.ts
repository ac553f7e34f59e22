/**
 * Deep representations: CNNs trained here on six-channel sites and imported ONNX models, all run by
 * onnxruntime-node (training steps, AdaBN and inference), embedding sites into ProfileTables.
 */
export {
  TrainConfigSchema,
  parseTrainConfig,
  readTrainConfig,
  resolveTrainConfig,
  type TrainConfig,
  type TrainConfigInput,
} from './config.js';
export { trainModel, type TrainOptions, type TrainProgress, type TrainResult } from './train.js';
export { holdoutSirnas, splitExperiments } from './trainData.js';
export { embedDataset, EMBEDDING_PREFIX, type EmbedOptions, type EmbedProgress, type EmbedResult } from './embed.js';
export { BACKBONES, createModel, type BackboneName, type BackboneSpec, type Model, type ModelShape } from './model.js';
export { readManifest, type ModelManifest, type EpochRecord } from './store.js';
export { OnnxSidecarSchema, locateOnnx, type OnnxSidecar } from './onnx.js';
export { writeOnnxModel, encodeOnnx, type OnnxGraph } from '../codec/onnx.js';
export { exportModelToOnnx } from './export.js';
export { CUDA_INSTALL_STEPS, type Device } from './session.js';
