/**
 * Large float64 products on onnxruntime's CPU kernels: one ONNX node per layout, out = A·Bᵀ (Gemm with transB = 1)
 * or out = A·B (MatMul), executed by MLAS, onnxruntime's own BLAS, whose DGEMM micro-kernels use AVX2 / AVX-512
 * FMA and accumulate in float64. Why this engine and the figures against the alternatives: README.md ("GEMM").
 *
 * The session is run through onnxruntime-node's synchronous binding: the call that its public
 * `InferenceSession.run` wraps in a promise (dist/backend.js), used directly because the products are called from
 * synchronous corrections. That interface is fixed by the exact onnxruntime-node version in package.json.
 * Inputs are read in place and the output is written into the caller's buffer, so nothing is copied either way.
 */
import { createRequire } from 'node:module';
import type { Tensor as OrtTensor } from 'onnxruntime-node';
import { encodeOnnx } from '../codec/onnx.js';

/** The part of onnxruntime-node's native session (dist/binding.d.ts) used here. */
interface NativeSession {
  loadModel(buffer: ArrayBuffer, byteOffset: number, byteLength: number, options: Record<string, unknown>): void;
  run(feeds: Record<string, OrtTensor>, fetches: Record<string, OrtTensor>, options: Record<string, unknown>): unknown;
}

interface Engine {
  Tensor: typeof OrtTensor;
  InferenceSession: new () => NativeSession;
}

let engine: Engine | null = null;
/** `B` given as n x k (the product takes its transpose) or as k x n. */
export type Layout = 'NT' | 'NN';

/** One session per layout and thread count (onnxruntime's intra-op threads are fixed when a session is created). */
const sessions = new Map<string, NativeSession>();
let threads = 1;

/** Loads onnxruntime on first use, so that importing numerics costs nothing when no large product runs. */
function loadEngine(): Engine {
  if (!engine) {
    const require = createRequire(import.meta.url);
    const native = require('onnxruntime-node/dist/binding.js') as {
      binding: { InferenceSession: new () => NativeSession };
      initOrt: () => void;
    };
    native.initOrt();
    const { Tensor } = require('onnxruntime-node') as { Tensor: typeof OrtTensor };
    engine = { Tensor, InferenceSession: native.binding.InferenceSession };
  }
  return engine;
}

/** The product model: A (m x k) and B (n x k, or k x n for NN) in, Y (m x n) out, float64, symbolic shapes. */
function productModel(layout: Layout): Uint8Array {
  return encodeOnnx({
    name: `numerics_gemm_${layout.toLowerCase()}`,
    nodes: [
      layout === 'NT'
        ? { op: 'Gemm', inputs: ['A', 'B'], outputs: ['Y'], attributes: { transB: 1 } }
        : { op: 'MatMul', inputs: ['A', 'B'], outputs: ['Y'] },
    ],
    initializers: [],
    inputs: [
      { name: 'A', dims: ['m', 'k'], type: 'float64' },
      { name: 'B', dims: layout === 'NT' ? ['n', 'k'] : ['k', 'n'], type: 'float64' },
    ],
    outputs: [{ name: 'Y', dims: ['m', 'n'], type: 'float64' }],
  });
}

function session(layout: Layout): NativeSession {
  const key = `${layout}:${threads}`;
  let found = sessions.get(key);
  if (!found) {
    const bytes = productModel(layout);
    found = new (loadEngine().InferenceSession)();
    found.loadModel(bytes.buffer as ArrayBuffer, bytes.byteOffset, bytes.byteLength, {
      intraOpNumThreads: threads,
      interOpNumThreads: 1,
      executionMode: 'sequential',
      graphOptimizationLevel: 'all',
      // Pool threads sleep between products instead of spinning: the caller's JavaScript runs between them.
      extra: { session: { intra_op: { allow_spinning: '0' } } },
    });
    sessions.set(key, found);
  }
  return found;
}

/**
 * Threads the large products use (default 1: corrections run inside worker pools too, and one thread per
 * product never oversubscribes the cores). Results do not depend on it: MLAS splits the output, not the sums.
 */
export function setGemmThreads(count: number): void {
  if (!Number.isInteger(count) || count < 1) throw new Error(`setGemmThreads: expected an integer >= 1, got ${count}`);
  threads = count;
}

export function gemmThreads(): number {
  return threads;
}

/**
 * out (m x n) = A (m x k) · Bᵀ with B n x k ('NT'), or A · B with B k x n ('NN'), on row-major float64 arrays
 * (views of larger buffers are fine).
 */
export function engineProduct(
  layout: Layout,
  m: number,
  n: number,
  k: number,
  A: Float64Array,
  B: Float64Array,
  out: Float64Array,
): void {
  const { Tensor } = loadEngine();
  session(layout).run(
    {
      A: new Tensor('float64', A.subarray(0, m * k), [m, k]),
      B: new Tensor('float64', B.subarray(0, n * k), layout === 'NT' ? [n, k] : [k, n]),
    },
    { Y: new Tensor('float64', out.subarray(0, m * n), [m, n]) },
    {},
  );
}
