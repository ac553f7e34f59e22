/**
 * Deep representations: CNNs trained here on six-channel sites (TensorFlow.js on the wasm backend, or webgpu
 * where a GPU exists) and imported ONNX models (onnxruntime-node), both embedding sites into ProfileTables.
 */
export {
  initEngine,
  type EngineInfo,
  type EngineOptions,
  type BackendChoice,
  type BackendName,
} from './engine/index.js';
export { TrainConfigSchema, parseTrainConfig, readTrainConfig, type TrainConfig } from './config.js';
export {
  trainModel,
  splitExperiments,
  holdoutSirnas,
  type TrainOptions,
  type TrainProgress,
  type TrainResult,
} from './train.js';
export { embedDataset, EMBEDDING_PREFIX, type EmbedOptions, type EmbedProgress, type EmbedResult } from './embed.js';
export { BACKBONES, createModel, type BackboneName, type Model, type ModelShape } from './model.js';
export { readManifest, type ModelManifest, type EpochRecord } from './store.js';
export { OnnxSidecarSchema, locateOnnx, type OnnxSidecar } from './onnx.js';
export { writeOnnxModel, exportModelToOnnx, encodeOnnx, type OnnxGraph } from './onnxWriter.js';
export { DataParallel } from './parallel.js';
