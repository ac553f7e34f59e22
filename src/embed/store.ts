/**
 * On-disk form of models and checkpoints. A tensor file is
 *   bytes 0..3  little-endian uint32 header length L
 *   bytes 4..   L bytes of UTF-8 JSON: [{ name, shape, offset, length }] (offset, length in float32 elements)
 *   then        the float32 values, little-endian, 4-byte aligned
 * A model folder holds model.json (what the model is and how to feed it) and weights.bin (a tensor file);
 * checkpoints/epoch-NNNN/ holds the same plus optimizer.bin and state.json (RNG state, history). Folders are
 * written under a temporary name and renamed, so a killed run never leaves a half-written checkpoint.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { ChannelNorm, NormalizationScope } from './data.js';
import type { ModelShape } from './model.js';
import type { TrainConfig } from './config.js';

/** A float32 tensor: its shape and its values in row-major order. */
export interface Tensor {
  shape: number[];
  data: Float32Array;
}

export type TensorMap = Map<string, Tensor>;

export function encodeTensors(tensors: TensorMap): Buffer {
  const entries: { name: string; shape: number[]; offset: number; length: number }[] = [];
  let offset = 0;
  for (const [name, t] of tensors) {
    entries.push({ name, shape: t.shape, offset, length: t.data.length });
    offset += t.data.length;
  }
  let header = Buffer.from(JSON.stringify(entries), 'utf8');
  const pad = (4 - ((4 + header.length) % 4)) % 4;
  header = Buffer.concat([header, Buffer.alloc(pad, 0x20)]);
  const out = Buffer.alloc(4 + header.length + offset * 4);
  out.writeUInt32LE(header.length, 0);
  header.copy(out, 4);
  const values = new Float32Array(out.buffer, out.byteOffset + 4 + header.length, offset);
  for (const [i, [, t]] of [...tensors].entries()) values.set(t.data, entries[i].offset);
  return out;
}

export function decodeTensors(bytes: Buffer, file = 'tensor file'): TensorMap {
  if (bytes.length < 4) throw new Error(`${file}: truncated (no header)`);
  const headerLength = bytes.readUInt32LE(0);
  if (4 + headerLength > bytes.length) throw new Error(`${file}: truncated header`);
  const entries = JSON.parse(bytes.subarray(4, 4 + headerLength).toString('utf8')) as {
    name: string;
    shape: number[];
    offset: number;
    length: number;
  }[];
  const start = 4 + headerLength;
  const count = (bytes.length - start) / 4;
  const aligned = new Float32Array(count);
  new Uint8Array(aligned.buffer).set(bytes.subarray(start));
  const out: TensorMap = new Map();
  for (const e of entries) {
    if (e.offset + e.length > count) throw new Error(`${file}: tensor "${e.name}" runs past the end of the file`);
    out.set(e.name, { shape: e.shape, data: aligned.slice(e.offset, e.offset + e.length) });
  }
  return out;
}

export const MODEL_FORMAT = 'phenomap-cnn';
/**
 * 2: onnxruntime-only models (conv weights OIHW, NCHW input, torchvision's padding). Version 1 (TensorFlow.js HWIO
 * weights, TensorFlow "same" padding) computes a different function and is refused with a clear message.
 */
export const MODEL_VERSION = 2;

/** model.json of a trained model: everything `embed` needs besides the weights. */
export interface ModelManifest {
  format: typeof MODEL_FORMAT;
  version: typeof MODEL_VERSION;
  shape: ModelShape;
  /** Input channels in tensor order, as 1-based RxRx1 channel numbers (always 1..6 for models trained here). */
  channels: number[];
  imageScale: number;
  crop: number;
  normalization: NormalizationScope;
  /** Statistics of the training groups (embedding recomputes them for the groups it sees). */
  trainNormalization: Record<string, ChannelNorm>;
  config: TrainConfig;
  trainExperiments: string[];
  validationExperiments: string[];
  /** Treatment siRNAs kept out of training (k-shot evaluation on siRNAs the model never saw). */
  heldOutSirnas: number[];
  epochs: number;
  versions: Record<string, string>;
}

export interface CheckpointState {
  epoch: number;
  /** Optimisation steps taken so far. */
  step: number;
  /** The training RNG's state (util/random.ts). */
  rng: number;
  history: EpochRecord[];
}

export interface EpochRecord {
  epoch: number;
  loss: number;
  lr: number;
  validationAccuracy: number | null;
  seconds: number;
  imagesPerSecond: number;
}

/** Writes files into `dir` atomically: a temporary sibling folder, then rename (replacing an older `dir`). */
export function writeFolderAtomically(dir: string, files: Record<string, Buffer | string>): void {
  const temporary = `${dir}.${process.pid}.tmp`;
  fs.rmSync(temporary, { recursive: true, force: true });
  fs.mkdirSync(temporary, { recursive: true });
  for (const [name, content] of Object.entries(files)) fs.writeFileSync(path.join(temporary, name), content);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.renameSync(temporary, dir);
}

export function writeModel(
  dir: string,
  manifest: ModelManifest,
  weights: TensorMap,
  extra: Record<string, Buffer | string> = {},
): void {
  writeFolderAtomically(dir, {
    'model.json': `${JSON.stringify(manifest, null, 2)}\n`,
    'weights.bin': encodeTensors(weights),
    ...extra,
  });
}

export function readManifest(dir: string): ModelManifest {
  const file = path.join(dir, 'model.json');
  let manifest: ModelManifest;
  try {
    manifest = JSON.parse(fs.readFileSync(file, 'utf8')) as ModelManifest;
  } catch (error) {
    throw new Error(
      `${file}: cannot be read (${(error as Error).message}); expected a model folder written by phenomap train`,
    );
  }
  if (manifest.format !== MODEL_FORMAT)
    throw new Error(`${file}: format "${manifest.format}", expected "${MODEL_FORMAT}"`);
  if (manifest.version !== MODEL_VERSION)
    throw new Error(
      `${file}: model format version ${manifest.version}, this phenomap reads version ${MODEL_VERSION} (version 1 models were trained on TensorFlow.js with another padding and weight layout; train again)`,
    );
  return manifest;
}

export function readWeights(dir: string, name = 'weights.bin'): TensorMap {
  const file = path.join(dir, name);
  return decodeTensors(fs.readFileSync(file), file);
}

/** Checkpoint folders of a model folder, oldest first. */
export function listCheckpoints(modelDir: string): string[] {
  const root = path.join(modelDir, 'checkpoints');
  if (!fs.existsSync(root)) return [];
  return fs
    .readdirSync(root)
    .filter((name) => /^epoch-\d{4}$/.test(name) && fs.existsSync(path.join(root, name, 'state.json')))
    .sort()
    .map((name) => path.join(root, name));
}
