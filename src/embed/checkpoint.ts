/**
 * Checkpoints of a training run and the finished model, in the model folder: `checkpoints/epoch-NNNN/` (the last
 * two kept) holds model.json, weights.bin, optimizer.bin (momentum buffers) and state.json (epoch, step, RNG state,
 * history); a finished run adds MODEL_DIR/model.json + weights.bin. Everything a resumed run needs to reach the
 * weights an uninterrupted run reaches, byte for byte, is in a checkpoint: the weights, batch-norm statistics,
 * momentum buffers, RNG state and step count (the images and normalisation are recomputed identically).
 */
import fs from 'node:fs';
import path from 'node:path';
import { type Model, loadModelArrays, modelArrays } from './model.js';
import {
  type CheckpointState,
  encodeTensors,
  listCheckpoints,
  MODEL_FORMAT,
  MODEL_VERSION,
  type ModelManifest,
  readManifest,
  readWeights,
  type TensorMap,
  writeFolderAtomically,
  writeModel,
} from './store.js';
import type { TrainData } from './trainData.js';

export function checkpointName(epoch: number): string {
  return `epoch-${String(epoch).padStart(4, '0')}`;
}

/** model.json of a model trained on `data` for `epochs` epochs. */
export function manifestOf(
  data: TrainData,
  model: Model,
  epochs: number,
  versions: Record<string, string>,
): ModelManifest {
  const { config } = data;
  return {
    format: MODEL_FORMAT,
    version: MODEL_VERSION,
    shape: model.shape,
    channels: [1, 2, 3, 4, 5, 6],
    imageScale: config.imageScale,
    crop: config.crop,
    normalization: config.normalization,
    trainNormalization: Object.fromEntries(data.norms),
    config,
    trainExperiments: data.split.train,
    validationExperiments: data.split.validation,
    heldOutSirnas: data.heldOutSirnas,
    epochs,
    versions,
  };
}

/** Writes the checkpoint of an epoch and drops all but the last two. */
export function writeCheckpoint(
  out: string,
  manifest: ModelManifest,
  model: Model,
  velocity: TensorMap,
  state: CheckpointState,
): void {
  writeFolderAtomically(path.join(out, 'checkpoints', checkpointName(state.epoch)), {
    'model.json': `${JSON.stringify(manifest, null, 2)}\n`,
    'weights.bin': encodeTensors(modelArrays(model)),
    'optimizer.bin': encodeTensors(velocity),
    'state.json': `${JSON.stringify(state, null, 2)}\n`,
  });
  for (const old of listCheckpoints(out).slice(0, -2)) fs.rmSync(old, { recursive: true, force: true });
}

/**
 * Restores the last checkpoint of `out` into `model` and `velocity` and returns its state, or null when there is
 * none; refuses one made with another configuration.
 */
export function resumeFrom(
  out: string,
  manifest: ModelManifest,
  model: Model,
  velocity: TensorMap,
): CheckpointState | null {
  const last = listCheckpoints(out).at(-1);
  if (!last) return null;
  const saved = readManifest(last);
  if (JSON.stringify(saved.config) !== JSON.stringify(manifest.config))
    throw new Error(
      `${last}: the checkpoint was made with a different configuration; resume with the same --config (or start afresh without --resume)`,
    );
  loadModelArrays(model, readWeights(last));
  velocity.clear();
  for (const [name, t] of readWeights(last, 'optimizer.bin')) velocity.set(name, t);
  return JSON.parse(fs.readFileSync(path.join(last, 'state.json'), 'utf8')) as CheckpointState;
}

/** The finished model: weights then manifest, each renamed into place, so a reader never sees a mismatched pair. */
export function writeFinalModel(out: string, manifest: ModelManifest, model: Model): void {
  const final = path.join(out, `.final.${process.pid}.tmp`);
  writeModel(final, manifest, modelArrays(model));
  fs.renameSync(path.join(final, 'weights.bin'), path.join(out, 'weights.bin'));
  fs.renameSync(path.join(final, 'model.json'), path.join(out, 'model.json'));
  fs.rmSync(final, { recursive: true, force: true });
}
