/**
 * The tensor engine for training and embedding: TensorFlow.js (tfjs-core) on one of its backends.
 *
 * - `wasm` (default on CPUs): @tensorflow/tfjs-backend-wasm (XNNPACK, SIMD) plus the convolution gradient
 *   kernels of ./wasmKernels.ts, which that backend lacks or has only as slow loops. See ENGINE.md.
 * - `webgpu` (picked by `auto` when a GPU adapter exists): @tensorflow/tfjs-backend-webgpu on the `webgpu`
 *   npm package (Google's Dawn for Node). Both are optional: when either is not installed, or Dawn finds no
 *   adapter (every CPU-only machine), `auto` falls back to wasm.
 * - `cpu`: @tensorflow/tfjs-backend-cpu, pure JavaScript; correct everywhere, two orders of magnitude slower.
 */
import * as tf from '@tensorflow/tfjs-core';
// tfjs-core's Node build registers no gradients; tfjs-layers' Node build registers all of core's (as @tensorflow/tfjs
// does).
import '@tensorflow/tfjs-layers';
import { registerWasmConvGradients } from './wasmKernels.js';

export type BackendName = 'wasm' | 'webgpu' | 'cpu';
export type BackendChoice = BackendName | 'auto';

export interface EngineOptions {
  /**
   * Backend to use (default 'auto': webgpu when a GPU adapter exists, else wasm). Env PHENOMAP_BACKEND overrides the
   * default.
   */
  backend?: BackendChoice;
  /** Threads for the wasm backend (only where Node gives it multithreading; it runs single-threaded otherwise). */
  threads?: number;
}

export interface EngineInfo {
  backend: BackendName;
  /** Why `auto` did not pick webgpu (absent when it did, or when a backend was named). */
  fallbackReason?: string;
  versions: Record<string, string>;
  wasmSimd?: boolean;
  wasmThreads?: number;
  gpuAdapter?: string;
}

let current: EngineInfo | undefined;

// Optional packages are imported by a computed name so that the type checker does not require them.
async function optionalImport(name: string): Promise<any> {
  return import(name);
}

/** Finds a WebGPU adapter through Dawn (`webgpu` package); returns its description or throws why not. */
async function setUpWebGpu(): Promise<string> {
  const g = globalThis as any;
  if (!g.navigator?.gpu) {
    let dawn: any;
    try {
      dawn = await optionalImport('webgpu');
    } catch {
      throw new Error('the optional package "webgpu" (Dawn for Node) is not installed');
    }
    Object.assign(g, dawn.globals);
    if (!g.navigator) Object.defineProperty(g, 'navigator', { value: {}, configurable: true, writable: true });
    g.navigator.gpu = dawn.create([]);
  }
  const adapter = await g.navigator.gpu.requestAdapter();
  if (!adapter) throw new Error('Dawn found no GPU adapter');
  const info = adapter.info ?? {};
  return [info.vendor, info.architecture, info.device, info.description].filter(Boolean).join(' ') || 'unknown adapter';
}

async function useWasm(threads?: number): Promise<Partial<EngineInfo>> {
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  registerWasmConvGradients();
  if (threads !== undefined) wasm.setThreadsCount(threads);
  if (!(await tf.setBackend('wasm'))) throw new Error('the tfjs wasm backend failed to initialise');
  await tf.ready();
  return {
    wasmSimd: Boolean(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')),
    wasmThreads: wasm.getThreadsCount(),
    versions: { 'tfjs-backend-wasm': wasm.version_wasm },
  };
}

/** Initialises the engine once per process (later calls return the first result unless the backend differs). */
export async function initEngine(options: EngineOptions = {}): Promise<EngineInfo> {
  const envChoice = process.env.PHENOMAP_BACKEND as BackendChoice | undefined;
  const choice: BackendChoice = options.backend ?? envChoice ?? 'auto';
  if (!['auto', 'wasm', 'webgpu', 'cpu'].includes(choice))
    throw new Error(`backend "${choice}": expected auto, wasm, webgpu or cpu`);
  if (current && (choice === 'auto' || choice === current.backend)) return current;
  const versions: Record<string, string> = { 'tfjs-core': tf.version_core };
  let info: EngineInfo;
  if (choice === 'cpu') {
    await import('@tensorflow/tfjs-backend-cpu');
    await tf.setBackend('cpu');
    info = { backend: 'cpu', versions };
  } else if (choice === 'wasm') {
    const extra = await useWasm(options.threads);
    info = { ...extra, backend: 'wasm', versions: { ...versions, ...extra.versions } };
  } else {
    try {
      const gpuAdapter = await setUpWebGpu();
      const webgpu = await optionalImport('@tensorflow/tfjs-backend-webgpu').catch(() => {
        throw new Error('the optional package "@tensorflow/tfjs-backend-webgpu" is not installed');
      });
      if (!(await tf.setBackend('webgpu'))) throw new Error('the tfjs webgpu backend failed to initialise');
      await tf.ready();
      info = {
        backend: 'webgpu',
        gpuAdapter,
        versions: { ...versions, 'tfjs-backend-webgpu': String(webgpu.version_webgpu ?? '') },
      };
    } catch (error) {
      if (choice === 'webgpu') throw new Error(`webgpu backend unavailable: ${(error as Error).message}`);
      const extra = await useWasm(options.threads);
      info = {
        ...extra,
        backend: 'wasm',
        fallbackReason: `no GPU: ${(error as Error).message}`,
        versions: { ...versions, ...extra.versions },
      };
    }
  }
  current = info;
  return info;
}

export { tf };
