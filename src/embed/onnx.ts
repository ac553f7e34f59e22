/**
 * Imported ONNX models as embedders, run by onnxruntime-node (session.ts: the CPU execution provider, or CUDA with
 * `--device cuda` where onnxruntime's CUDA provider is installed). What the model expects is declared in a small JSON
 * beside it (`model.onnx.json`, or `embed.json` in the model's folder):
 *
 * {
 *   "channels": [1, 2, 3, 4, 5, 6],      RxRx1 channel numbers (w1..w6) in the model's input-channel order
 *   "layout": "NCHW",                    or "NHWC"
 *   "imageScale": 0.5,                   sites are box-downscaled by this before cropping (default 1)
 *   "size": 224,                         input side in pixels (default: the whole downscaled site)
 *   "tiling": "center",                  "center" crop, "tiles" (mean over a grid of size x size tiles), "whole"
 *   "normalization": { "kind": "controls", "scope": "experiment" }
 *        or { "kind": "fixed", "mean": [..], "std": [..] }   per input channel, in 0..255 pixel units
 *        or { "kind": "site" }                               each site's own per-channel mean/std
 *   "input": "input", "output": "embedding",   names (default: the model's first input/output)
 *   "batchSize": 16                      sites per run (1 for models with a fixed batch of 1)
 * }
 */
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { createOrtSession, type SessionOptions } from './session.js';

export const OnnxSidecarSchema = z
  .object({
    channels: z.array(z.number().int().min(1).max(6)).min(1).max(6).default([1, 2, 3, 4, 5, 6]),
    layout: z.enum(['NCHW', 'NHWC']).default('NCHW'),
    imageScale: z.number().positive().max(1).default(1),
    size: z.number().int().min(1).max(512).optional(),
    tiling: z.enum(['center', 'tiles', 'whole']).default('center'),
    normalization: z
      .discriminatedUnion('kind', [
        z.object({ kind: z.literal('controls'), scope: z.enum(['experiment', 'plate']).default('experiment') }),
        z.object({ kind: z.literal('fixed'), mean: z.array(z.number()), std: z.array(z.number().positive()) }),
        z.object({ kind: z.literal('site') }),
      ])
      .default({ kind: 'controls', scope: 'experiment' }),
    input: z.string().optional(),
    output: z.string().optional(),
    batchSize: z.number().int().min(1).max(1024).default(16),
  })
  .strict();

export type OnnxSidecar = z.infer<typeof OnnxSidecarSchema>;

/** Finds the .onnx file and its sidecar for a MODEL argument (an .onnx file, or a folder holding one). */
export function locateOnnx(model: string): { file: string; sidecar: OnnxSidecar; sidecarFile: string } | null {
  let file = model;
  const stat = fs.statSync(model, { throwIfNoEntry: false });
  if (stat?.isDirectory()) {
    const onnx = fs.readdirSync(model).filter((n) => n.endsWith('.onnx'));
    if (onnx.length === 0) return null;
    if (onnx.length > 1) throw new Error(`${model}: holds ${onnx.length} .onnx files (${onnx.join(', ')}); name one`);
    file = path.join(model, onnx[0]);
  } else if (!model.endsWith('.onnx') || !stat) {
    return null;
  }
  const candidates = [`${file}.json`, path.join(path.dirname(file), 'embed.json')];
  const sidecarFile = candidates.find((c) => fs.existsSync(c));
  if (!sidecarFile)
    throw new Error(
      `${file}: no sidecar JSON (expected ${candidates.join(' or ')}) declaring channels, layout, size, tiling and normalization`,
    );
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(sidecarFile, 'utf8'));
  } catch (error) {
    throw new Error(`${sidecarFile}: not valid JSON (${(error as Error).message})`);
  }
  const parsed = OnnxSidecarSchema.safeParse(raw);
  if (!parsed.success)
    throw new Error(
      `${sidecarFile}: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`,
    );
  const sidecar = parsed.data;
  if (
    sidecar.normalization.kind === 'fixed' &&
    (sidecar.normalization.mean.length !== sidecar.channels.length ||
      sidecar.normalization.std.length !== sidecar.channels.length)
  ) {
    throw new Error(
      `${sidecarFile}: normalization.mean and .std need one value per input channel (${sidecar.channels.length})`,
    );
  }
  return { file, sidecar, sidecarFile };
}

/** The onnxruntime-node session wrapper used by the embedder. */
export class OnnxModel {
  private constructor(
    private readonly ort: typeof import('onnxruntime-node'),
    private readonly session: import('onnxruntime-node').InferenceSession,
    readonly inputName: string,
    readonly outputName: string,
    readonly executionProvider: string,
  ) {}

  static async open(file: string, sidecar: OnnxSidecar, options: SessionOptions = {}): Promise<OnnxModel> {
    return OnnxModel.load(file, { ...options, input: sidecar.input, output: sidecar.output });
  }

  /** A model from a file or from its bytes; input/output default to the model's first. */
  static async load(
    model: string | Uint8Array,
    options: SessionOptions & { input?: string; output?: string } = {},
  ): Promise<OnnxModel> {
    const where = typeof model === 'string' ? model : 'ONNX model';
    const {
      ort,
      session: s,
      device,
    } = await createOrtSession(model, options).catch((error: Error) => {
      throw new Error(`${where}: onnxruntime cannot load the model (${error.message})`);
    });
    const inputName = options.input ?? s.inputNames[0];
    const outputName = options.output ?? s.outputNames[0];
    if (!s.inputNames.includes(inputName))
      throw new Error(`${where}: no input "${inputName}" (inputs: ${s.inputNames.join(', ')})`);
    if (!s.outputNames.includes(outputName))
      throw new Error(`${where}: no output "${outputName}" (outputs: ${s.outputNames.join(', ')})`);
    return new OnnxModel(ort, s, inputName, outputName, device);
  }

  /** Runs a batch [n, ...dims]; returns the output flattened per row, and its width. */
  async run(data: Float32Array, dims: number[]): Promise<{ values: Float32Array; width: number }> {
    const feeds = { [this.inputName]: new this.ort.Tensor('float32', data, dims) };
    const out = (await this.session.run(feeds))[this.outputName];
    const values = Float32Array.from(out.data as Float32Array);
    return { values, width: values.length / dims[0] };
  }

  async close(): Promise<void> {
    await this.session.release();
  }
}

/**
 * Model inputs for downscaled channel-major sites (`size` x `size`), following the sidecar: channel selection
 * and order, normalisation (`norms[i]` gives mean/std per RxRx1 channel for site i), crop or tiles, layout.
 * Returns the batch and, per site, how many consecutive rows (tiles) belong to it.
 */
export function onnxInputs(
  images: readonly Uint8Array[],
  imageSize: number,
  sidecar: OnnxSidecar,
  norms: readonly { mean: number[]; std: number[] }[],
): { data: Float32Array; dims: number[]; tilesPerSite: number } {
  const side = sidecar.tiling === 'whole' ? imageSize : Math.min(sidecar.size ?? imageSize, imageSize);
  const origins: [number, number][] = [];
  if (sidecar.tiling === 'tiles') {
    const per = Math.floor(imageSize / side);
    const offset = Math.floor((imageSize - per * side) / 2);
    for (let ty = 0; ty < per; ty++)
      for (let tx = 0; tx < per; tx++) origins.push([offset + ty * side, offset + tx * side]);
  } else {
    const o = Math.floor((imageSize - side) / 2);
    origins.push([o, o]);
  }
  const channels = sidecar.channels;
  const C = channels.length;
  const tileSize = side * side * C;
  const data = new Float32Array(images.length * origins.length * tileSize);
  const plane = imageSize * imageSize;
  images.forEach((image, i) => {
    const n = norms[i];
    origins.forEach(([top, left], t) => {
      const base = (i * origins.length + t) * tileSize;
      channels.forEach((channel, k) => {
        const mean = n.mean[k];
        const inv = 1 / n.std[k];
        const src = (channel - 1) * plane;
        for (let y = 0; y < side; y++) {
          for (let x = 0; x < side; x++) {
            const v = (image[src + (top + y) * imageSize + left + x] - mean) * inv;
            const dst = sidecar.layout === 'NCHW' ? base + (k * side + y) * side + x : base + (y * side + x) * C + k;
            data[dst] = v;
          }
        }
      });
    });
  });
  const dims =
    sidecar.layout === 'NCHW'
      ? [images.length * origins.length, C, side, side]
      : [images.length * origins.length, side, side, C];
  return { data, dims, tilesPerSite: origins.length };
}

/** Per-site mean/std of the selected channels (normalization kind "site"). */
export function siteNorm(
  image: Uint8Array,
  imageSize: number,
  channels: readonly number[],
): { mean: number[]; std: number[] } {
  const plane = imageSize * imageSize;
  const mean: number[] = [];
  const std: number[] = [];
  for (const channel of channels) {
    let s = 0;
    let q = 0;
    for (let i = (channel - 1) * plane, end = i + plane; i < end; i++) {
      s += image[i];
      q += image[i] * image[i];
    }
    const m = s / plane;
    mean.push(m);
    std.push(Math.max(Math.sqrt(Math.max(q / plane - m * m, 0)), 1e-3));
  }
  return { mean, std };
}
