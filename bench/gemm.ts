/**
 * GEMM benchmark: the candidates for numerics' product kernel on the same matrices, in the shapes the corrections
 * use (a 256-row feature-major chunk through a p x p map, a Gram chunk: p x 256 times its transpose, a square
 * product), one thread each:
 * - `engine`: what numerics runs (gemmNT / syrkUpper, onnxruntime's MLAS DGEMM; the Gram case right of the
 *   diagonal only);
 * - `javascript`: the register-blocked JavaScript kernel numerics keeps for small products;
 * - `mlasFloat32`: the same onnxruntime Gemm in float32 (MLAS SGEMM, float32 accumulation), for its speed and
 *   for what it loses: its largest error against the float64 product, on centred data and on features with an
 *   offset of 1000 (a covariance accumulated before centring);
 * - numpy's `A @ B.T` in float64 (OpenBLAS, OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE removed from its environment so
 *   that it picks its kernel for this processor, reported through threadpoolctl).
 * Best of `repeats` wall and CPU times. Writes bench/results/gemm.json.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { encodeOnnx } from '../src/codec/onnx.js';
import { blockedNT } from '../src/numerics/gemm.js';
import { gemmNT, type Matrix64, matrix, syrkUpper } from '../src/numerics/index.js';
import { writeFileAtomic } from '../src/util/files.js';
import { REPO_ROOT } from './common.js';

interface Shape {
  name: string;
  m: number;
  n: number;
  k: number;
  /** Gram case: B is A and numerics computes the blocks right of the diagonal only. */
  symmetric: boolean;
}

const SHAPES: Shape[] = [
  { name: 'map x chunk (500 x 256 x 500)', m: 500, n: 256, k: 500, symmetric: false },
  { name: 'Gram chunk (500 x 500 x 256)', m: 500, n: 500, k: 256, symmetric: true },
  { name: 'square (1000 x 1000 x 1000)', m: 1000, n: 1000, k: 1000, symmetric: false },
];

/** Deterministic uniforms in [-1, 1) + offset (xorshift32). */
function filled(length: number, seed: number, offset = 0): Float64Array {
  let state = seed >>> 0 || 1;
  return Float64Array.from({ length }, () => {
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    return (state / 4294967296) * 2 - 1 + offset;
  });
}

interface Timing {
  seconds: number;
  cpuSeconds: number;
}

/** Best of `repeats` wall and process-CPU times of `work`. */
async function best(repeats: number, work: () => unknown): Promise<Timing> {
  let seconds = Infinity;
  let cpuSeconds = Infinity;
  for (let r = 0; r < repeats; r++) {
    const cpu = process.cpuUsage();
    const start = performance.now();
    await work();
    seconds = Math.min(seconds, (performance.now() - start) / 1000);
    const used = process.cpuUsage(cpu);
    cpuSeconds = Math.min(cpuSeconds, (used.user + used.system) / 1e6);
  }
  return { seconds, cpuSeconds };
}

const PYTHON_SCRIPT = `
import json, sys, time
import numpy as np
spec = json.load(sys.stdin)
try:
    from threadpoolctl import threadpool_info
    blas = [{k: i.get(k) for k in ('internal_api', 'version', 'architecture', 'num_threads')} for i in threadpool_info() if i.get('user_api') == 'blas']
except ImportError:
    blas = 'threadpoolctl not installed'
out = []
for s in spec['shapes']:
    A = np.fromfile(s['a'], dtype=np.float64).reshape(s['m'], s['k'])
    B = np.fromfile(s['b'], dtype=np.float64).reshape(s['n'], s['k'])
    ours = np.fromfile(s['c'], dtype=np.float64).reshape(s['m'], s['n'])
    walls, cpus = [], []
    for _ in range(spec['repeats']):
        t, c = time.perf_counter(), time.process_time()
        C = A @ B.T
        walls.append(time.perf_counter() - t); cpus.append(time.process_time() - c)
    diff = np.triu(ours - C) if s['symmetric'] else ours - C
    out.append({'seconds': min(walls), 'cpuSeconds': min(cpus), 'maxAbsDiff': float(np.abs(diff).max())})
print(json.dumps({'numpy': np.__version__, 'blas': blas, 'shapes': out}))
`;

type Float32Product = (shape: Shape, A: Float32Array, B: Float32Array) => Promise<Float32Array<ArrayBufferLike>>;

/** onnxruntime's float32 Gemm (transB) through its public async API: the float32 candidate. */
async function float32Gemm(): Promise<Float32Product> {
  const ort = await import('onnxruntime-node');
  const model = encodeOnnx({
    name: 'gemm_f32',
    nodes: [{ op: 'Gemm', inputs: ['A', 'B'], outputs: ['Y'], attributes: { transB: 1 } }],
    initializers: [],
    inputs: [
      { name: 'A', dims: ['m', 'k'] },
      { name: 'B', dims: ['n', 'k'] },
    ],
    outputs: [{ name: 'Y', dims: ['m', 'n'] }],
  });
  const session = await ort.InferenceSession.create(model, { intraOpNumThreads: 1, interOpNumThreads: 1 });
  return async (shape, A, B) => {
    const result = await session.run({
      A: new ort.Tensor('float32', A, [shape.m, shape.k]),
      B: new ort.Tensor('float32', B, [shape.n, shape.k]),
    });
    return result.Y.data as Float32Array;
  };
}

/** Largest |float32 product - float64 product| relative to the largest |float64 entry|. */
function relativeError(single: Float32Array, double: Float64Array): number {
  let error = 0;
  let scale = 0;
  for (let i = 0; i < double.length; i++) {
    error = Math.max(error, Math.abs(single[i] - double[i]));
    scale = Math.max(scale, Math.abs(double[i]));
  }
  return error / scale;
}

async function measureShape(shape: Shape, s: number, repeats: number, dir: string, f32: Float32Product) {
  const A = matrix(filled(shape.m * shape.k, 2 * s + 1), shape.m, shape.k);
  const B = shape.symmetric ? A : matrix(filled(shape.n * shape.k, 2 * s + 2), shape.n, shape.k);
  const C = matrix(new Float64Array(shape.m * shape.n), shape.m, shape.n);
  const engine = await best(repeats, () => {
    C.data.fill(0);
    if (shape.symmetric) syrkUpper(A, C);
    else gemmNT(A, B, C);
  });
  const full: Matrix64 = matrix(new Float64Array(shape.m * shape.n), shape.m, shape.n);
  const javascript = await best(repeats, () => {
    full.data.fill(0);
    blockedNT(shape.m, shape.n, shape.k, A.data, B.data, full.data, shape.symmetric);
  });
  // The float64 product in full (gemmNT, also for the Gram case) that the float32 one is checked against.
  const exact = matrix(new Float64Array(shape.m * shape.n), shape.m, shape.n);
  gemmNT(A, B, exact);
  const [A32, B32] = [Float32Array.from(A.data), Float32Array.from(B.data)];
  let single: Float32Array = new Float32Array(0);
  const mlasFloat32 = await best(repeats, async () => {
    single = await f32(shape, A32, B32);
  });
  // The same product on features offset by 1000, against float64.
  const offsetA = filled(shape.m * shape.k, 2 * s + 1, 1000);
  const offsetB = shape.symmetric ? offsetA : filled(shape.n * shape.k, 2 * s + 2, 1000);
  const offsetC = matrix(new Float64Array(shape.m * shape.n), shape.m, shape.n);
  gemmNT(matrix(offsetA, shape.m, shape.k), matrix(offsetB, shape.n, shape.k), offsetC);
  const offsetSingle = await f32(shape, Float32Array.from(offsetA), Float32Array.from(offsetB));
  const files = { a: path.join(dir, `${s}.a`), b: path.join(dir, `${s}.b`), c: path.join(dir, `${s}.c`) };
  fs.writeFileSync(files.a, new Uint8Array(A.data.buffer));
  fs.writeFileSync(files.b, new Uint8Array(B.data.buffer));
  fs.writeFileSync(files.c, new Uint8Array(C.data.buffer));
  return {
    shape,
    files,
    engine,
    javascript,
    mlasFloat32: {
      ...mlasFloat32,
      relativeError: relativeError(single, exact.data),
      relativeErrorOffset1000: relativeError(offsetSingle, offsetC.data),
    },
  };
}

function numpyReference(repeats: number, shapes: object[]) {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    OPENBLAS_NUM_THREADS: '1',
    OMP_NUM_THREADS: '1',
    MKL_NUM_THREADS: '1',
  };
  delete env.OPENBLAS_CORETYPE;
  delete env.OPENBLAS_L2_SIZE;
  const python = spawnSync('/usr/bin/python3', ['-c', PYTHON_SCRIPT], {
    input: JSON.stringify({ repeats, shapes }),
    encoding: 'utf8',
    env,
  });
  if (python.status !== 0) return { unavailable: python.stderr.trim().slice(-300) };
  return JSON.parse(python.stdout) as { numpy: string; blas: unknown; shapes: (Timing & { maxAbsDiff: number })[] };
}

export async function benchGemm(
  options: { repeats?: number; outFile?: string } = {},
): Promise<Record<string, unknown>> {
  const repeats = options.repeats ?? 5;
  const outFile = options.outFile ?? path.join(REPO_ROOT, 'bench', 'results', 'gemm.json');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'phenomap-bench-gemm-'));
  const loadBefore = os.loadavg()[0];
  try {
    const f32 = await float32Gemm();
    const measured = [];
    for (const [s, shape] of SHAPES.entries()) measured.push(await measureShape(shape, s, repeats, dir, f32));
    const reference = numpyReference(
      repeats,
      measured.map(({ shape, files }) => ({ ...shape, ...files })),
    );
    const round = (v: number, digits = 4) => Number(v.toFixed(digits));
    const comparison = measured.map(({ shape, engine, javascript, mlasFloat32 }, s) => {
      // Multiply-adds x 2 of the full product: the engine's Gram case does 5/8 of them, the JavaScript kernel's half.
      const flops = 2 * shape.m * shape.n * shape.k;
      const gflops = (t: Timing) => round(flops / t.cpuSeconds / 1e9, 1);
      const theirs = 'shapes' in reference ? reference.shapes[s] : undefined;
      return {
        shape: shape.name,
        engineSeconds: round(engine.seconds),
        engineCpuGflops: gflops(engine),
        javascriptSeconds: round(javascript.seconds),
        javascriptCpuGflops: gflops(javascript),
        mlasFloat32Seconds: round(mlasFloat32.seconds),
        mlasFloat32CpuGflops: gflops(mlasFloat32),
        mlasFloat32RelativeError: mlasFloat32.relativeError,
        mlasFloat32RelativeErrorOffset1000: mlasFloat32.relativeErrorOffset1000,
        numpySeconds: theirs ? round(theirs.seconds) : null,
        numpyCpuGflops: theirs ? gflops(theirs) : null,
        engineToNumpy: theirs ? Math.round((engine.seconds / theirs.seconds) * 100) / 100 : null,
        engineToNumpyCpu: theirs ? Math.round((engine.cpuSeconds / theirs.cpuSeconds) * 100) / 100 : null,
        maxAbsDiff: theirs?.maxAbsDiff ?? null,
      };
    });
    const results = {
      benchmark: "GEMM candidates for numerics' kernel (C += A·Bᵀ) vs numpy A @ B.T on the same matrices",
      date: new Date().toISOString(),
      machine: {
        cpuModel: os.cpus()[0]?.model ?? 'unknown',
        cores: os.availableParallelism(),
        node: process.version,
        loadAverage1m: { before: Math.round(loadBefore * 100) / 100, after: Math.round(os.loadavg()[0] * 100) / 100 },
      },
      note:
        `best of ${repeats} runs, one thread each; GFLOPS = 2·m·n·k of the full product per CPU second (the Gram ` +
        'case computes 5/8 of it on the engine, half in JavaScript, all of it in float32 and numpy); ' +
        'engineToNumpy = engine / numpy wall seconds (Cpu: CPU seconds); float32 errors relative to the largest entry',
      comparison,
      reference:
        'shapes' in reference
          ? { numpy: reference.numpy, blas: reference.blas }
          : { unavailable: reference.unavailable },
    };
    fs.mkdirSync(path.dirname(outFile), { recursive: true });
    writeFileAtomic(outFile, `${JSON.stringify(results, null, 2)}\n`);
    return results;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url))
  console.log(JSON.stringify(await benchGemm(), null, 2));
