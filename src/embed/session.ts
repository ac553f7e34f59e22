/**
 * onnxruntime-node sessions: the one engine that trains (trainGraph.ts), adapts batch norm (export.ts) and embeds
 * (models trained here and imported ONNX models), on the CPU execution provider or, with `device: 'cuda'`, on
 * onnxruntime's CUDA execution provider. onnxruntime-node ships its CPU binaries in the npm package; the CUDA
 * provider's libraries are downloaded by its install script, so they are there only where a user installed them
 * (ENGINE.md, "Running on a GPU"); asking for CUDA where they are not fails with those steps.
 */
import { encodeOnnx } from '../codec/onnx.js';

export type Device = 'cpu' | 'cuda';

type Ort = typeof import('onnxruntime-node');

export interface OrtSession {
  ort: Ort;
  session: import('onnxruntime-node').InferenceSession;
  device: Device;
}

export const CUDA_INSTALL_STEPS =
  "install onnxruntime-node's CUDA execution provider (Linux x64, NVIDIA driver + CUDA 12 and cuDNN 9 libraries on the library path): `npm rebuild onnxruntime-node --onnxruntime-node-install=cuda12` (it downloads Microsoft.ML.OnnxRuntime.Gpu.Linux from nuget.org into node_modules/onnxruntime-node/bin/napi-v6/linux/x64/)";

/** Options for every session phenomap creates. */
export interface SessionOptions {
  /** Intra-op threads (default: onnxruntime's, one per core). */
  threads?: number;
  device?: Device;
}

/** A session on the requested device; `model` is a file or the serialised model. */
export async function createOrtSession(model: string | Uint8Array, options: SessionOptions = {}): Promise<OrtSession> {
  const ort = await import('onnxruntime-node');
  const device = options.device ?? 'cpu';
  const sessionOptions = {
    executionProviders: [device],
    graphOptimizationLevel: 'all' as const,
    ...(options.threads ? { intraOpNumThreads: options.threads } : {}),
  };
  try {
    // Two calls because the overloads (path vs bytes) do not accept the union.
    const session =
      typeof model === 'string'
        ? await ort.InferenceSession.create(model, sessionOptions)
        : await ort.InferenceSession.create(model, sessionOptions);
    return { ort, session, device };
  } catch (error) {
    if (device === 'cuda')
      throw new Error(
        `--device cuda: onnxruntime-node could not start its CUDA execution provider (${(error as Error).message.split('\n')[0]}); ${CUDA_INSTALL_STEPS}`,
      );
    throw error;
  }
}

/** onnxruntime-node's version. */
export async function onnxruntimeVersion(): Promise<string> {
  const ort = await import('onnxruntime-node');
  return ort.env.versions.node ?? ort.env.versions.common;
}

let blockSize: Promise<number> | undefined;

/**
 * The channel block of onnxruntime's NCHWc CPU kernels on this machine (16 with AVX-512, 8 with AVX2), or 0 where
 * MLAS has none: probed once by reordering a 4-channel tensor, which pads its channels to one block.
 */
export function nchwcBlockSize(): Promise<number> {
  blockSize ??= (async () => {
    const ort = await import('onnxruntime-node');
    const graph = {
      name: 'nchwc-probe',
      nodes: [{ op: 'ReorderInput', domain: 'com.microsoft.nchwc', inputs: ['x'], outputs: ['y'] }],
      initializers: [],
      inputs: [{ name: 'x', dims: [1, 4, 1, 1] }],
      outputs: [{ name: 'y', dims: [1, 'C', 1, 1] }],
    };
    try {
      const session = await ort.InferenceSession.create(encodeOnnx(graph));
      const out = await session.run({ x: new ort.Tensor('float32', new Float32Array(4), [1, 4, 1, 1]) });
      await session.release();
      const block = out.y.dims[1];
      return block > 4 ? block : 0;
    } catch {
      return 0;
    }
  })();
  return blockSize;
}
