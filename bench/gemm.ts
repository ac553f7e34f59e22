/**
 * GEMM benchmark: numerics' one kernel (C += A·Bᵀ, float64, src/numerics/gemm.ts) against numpy's `A @ B.T` (its
 * BLAS pinned to one thread) on the same matrices, in the shapes the corrections use: a 256-row chunk through a
 * p x p map, a Gram chunk (p x 256 times its transpose, the symmetric half only), and a square product. The
 * baseline a faster kernel is measured against; writes bench/results/gemm.json.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gemmNT, type Matrix64, matrix, syrkUpper } from '../src/numerics/index.js';
import { REPO_ROOT } from './common.js';

interface Shape {
  name: string;
  m: number;
  n: number;
  k: number;
  /** Only the upper triangle (syrkUpper): half the multiply-adds. */
  symmetric: boolean;
}

const SHAPES: Shape[] = [
  { name: 'chunk x map (256 x 500 x 500)', m: 500, n: 256, k: 500, symmetric: false },
  { name: 'Gram chunk (500 x 500 x 256, upper half)', m: 500, n: 500, k: 256, symmetric: true },
  { name: 'square (1000 x 1000 x 1000)', m: 1000, n: 1000, k: 1000, symmetric: false },
];

/** Deterministic uniforms in [-1, 1) (xorshift32). */
function filled(length: number, seed: number): Float64Array {
  let state = seed >>> 0 || 1;
  return Float64Array.from({ length }, () => {
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    return (state / 4294967296) * 2 - 1;
  });
}

/** Best of `repeats` wall times of `work`, in seconds. */
function best(repeats: number, work: () => void): number {
  let fastest = Infinity;
  for (let r = 0; r < repeats; r++) {
    const start = performance.now();
    work();
    fastest = Math.min(fastest, (performance.now() - start) / 1000);
  }
  return fastest;
}

const PYTHON_SCRIPT = `
import json, sys, time
import numpy as np
spec = json.load(sys.stdin)
out = []
for s in spec['shapes']:
    A = np.fromfile(s['a'], dtype=np.float64).reshape(s['m'], s['k'])
    B = np.fromfile(s['b'], dtype=np.float64).reshape(s['n'], s['k'])
    ours = np.fromfile(s['c'], dtype=np.float64).reshape(s['m'], s['n'])
    times = []
    for _ in range(spec['repeats']):
        t = time.perf_counter(); C = A @ B.T; times.append(time.perf_counter() - t)
    diff = np.triu(ours - C) if s['symmetric'] else ours - C
    out.append({'seconds': min(times), 'maxAbsDiff': float(np.abs(diff).max())})
print(json.dumps({'numpy': np.__version__, 'shapes': out}))
`;

function runOurs(shape: Shape, A: Matrix64, B: Matrix64, repeats: number): { seconds: number; C: Matrix64 } {
  const C = matrix(new Float64Array(shape.m * shape.n), shape.m, shape.n);
  const seconds = best(repeats, () => {
    C.data.fill(0);
    if (shape.symmetric) syrkUpper(A, C);
    else gemmNT(A, B, C);
  });
  return { seconds, C };
}

export async function benchGemm(
  options: { repeats?: number; outFile?: string } = {},
): Promise<Record<string, unknown>> {
  const repeats = options.repeats ?? 3;
  const outFile = options.outFile ?? path.join(REPO_ROOT, 'bench', 'results', 'gemm.json');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'phenomap-bench-gemm-'));
  const loadBefore = os.loadavg()[0];
  try {
    const ours = SHAPES.map((shape, s) => {
      const A = matrix(filled(shape.m * shape.k, 2 * s + 1), shape.m, shape.k);
      const B = shape.symmetric ? A : matrix(filled(shape.n * shape.k, 2 * s + 2), shape.n, shape.k);
      const { seconds, C } = runOurs(shape, A, B, repeats);
      const files = { a: path.join(dir, `${s}.a`), b: path.join(dir, `${s}.b`), c: path.join(dir, `${s}.c`) };
      fs.writeFileSync(files.a, new Uint8Array(A.data.buffer));
      fs.writeFileSync(files.b, new Uint8Array(B.data.buffer));
      fs.writeFileSync(files.c, new Uint8Array(C.data.buffer));
      return { shape, seconds, files };
    });
    const python = spawnSync('/usr/bin/python3', ['-c', PYTHON_SCRIPT], {
      input: JSON.stringify({ repeats, shapes: ours.map(({ shape, files }) => ({ ...shape, ...files })) }),
      encoding: 'utf8',
      env: { ...process.env, OPENBLAS_NUM_THREADS: '1', OMP_NUM_THREADS: '1', MKL_NUM_THREADS: '1' },
    });
    const reference =
      python.status === 0
        ? (JSON.parse(python.stdout) as { numpy: string; shapes: { seconds: number; maxAbsDiff: number }[] })
        : null;
    const comparison = ours.map(({ shape, seconds }, s) => {
      const flops = 2 * shape.m * shape.n * shape.k * (shape.symmetric ? 0.5 : 1);
      const theirs = reference?.shapes[s];
      return {
        shape: shape.name,
        phenomapSeconds: Number(seconds.toFixed(4)),
        phenomapGflops: Number((flops / seconds / 1e9).toFixed(2)),
        numpySeconds: theirs ? Number(theirs.seconds.toFixed(4)) : null,
        ratio: theirs ? Math.round((seconds / theirs.seconds) * 100) / 100 : null,
        maxAbsDiff: theirs?.maxAbsDiff ?? null,
      };
    });
    const results = {
      benchmark: "GEMM: numerics' kernel (C += A·Bᵀ, float64) vs numpy A @ B.T on the same matrices",
      date: new Date().toISOString(),
      machine: {
        cpuModel: os.cpus()[0]?.model ?? 'unknown',
        cores: os.availableParallelism(),
        node: process.version,
        loadAverage1m: { before: Math.round(loadBefore * 100) / 100, after: Math.round(os.loadavg()[0] * 100) / 100 },
      },
      note:
        `best of ${repeats} wall times, one thread each side (numpy's BLAS pinned to 1 thread); ` +
        'ratio = phenomap / numpy; the Gram case computes the upper half only (numpy the full product)',
      comparison,
      reference: reference ? { numpy: reference.numpy } : { unavailable: python.stderr.trim().slice(-300) },
    };
    fs.mkdirSync(path.dirname(outFile), { recursive: true });
    fs.writeFileSync(`${outFile}.tmp`, `${JSON.stringify(results, null, 2)}\n`);
    fs.renameSync(`${outFile}.tmp`, outFile);
    return results;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url))
  console.log(JSON.stringify(await benchGemm(), null, 2));
