/**
 * Correction benchmark. (a) Standardize, ZCA sphering and TVN on one deterministic matrix (default 200,000 rows
 * x 500 float32 features, 8 experiments, 5% negative controls), timed in phenomap and in the reference tools'
 * numerics (bench/correct_reference.py in a python3 subprocess, on the same matrix written as raw float32):
 * scikit-learn StandardScaler; pycytominer's Spherize computation (centred, SVD); EFAAR's tvn_on_controls with
 * per-batch centring (see src/correct/tvn.ts). Python checks the largest difference between the outputs.
 * Each method runs `repetitions` times on each side and the fastest wall and CPU times count (the machine may be
 * shared: CPU seconds of one thread are less disturbed by other processes than wall seconds). First both sides
 * on one thread (phenomap's GEMM engine and numpy's BLAS pinned to 1), then both on every core. numpy runs with
 * OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE removed from its environment, so that OpenBLAS picks its kernel for the
 * processor (which it reports, through threadpoolctl). (b) Bounded memory: standardize per plate on
 * 1,000,000 x 1,000 in a child process, reporting its peak RSS against the input + output size.
 * Writes bench/results/correct.json.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { normalizeProfiles } from '../src/correct/normalize.js';
import { tvnProfiles } from '../src/correct/tvn.js';
import { setGemmThreads } from '../src/numerics/index.js';
import { writeFileAtomic } from '../src/util/files.js';
import { REPO_ROOT } from './common.js';
import type { ProfileTable } from '../src/store/profiles.js';

export interface CorrectBenchOptions {
  rows?: number;
  features?: number;
  experiments?: number;
  /** Rows and features of the bounded-memory standardize run (0 rows skips it). */
  largeRows?: number;
  largeFeatures?: number;
  /** Where the JSON goes (default bench/results/correct.json). */
  outFile?: string;
  /** Runs of each method on each side; the fastest counts (default 3). */
  repetitions?: number;
  /** Thread counts to compare at (default 1 and every core). */
  threads?: number[];
}

/** xorshift32 uniforms in [0, 1): fast, deterministic, no per-value allocation. */
function uniforms(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    return state / 4294967296;
  };
}

/**
 * A screen-shaped table: `experiments` experiments x 4 plates, plate-level shifts and scales, 5% negative
 * controls, features mixing 16 shared latent factors with independent noise (correlated but full rank).
 */
export function syntheticTable(rows: number, p: number, experiments: number, seed = 1): ProfileTable {
  const next = uniforms(seed);
  const plates = experiments * 4;
  const plateOf = Int32Array.from({ length: rows }, (_, i) => Math.floor((i * plates) / rows));
  const factors = Array.from({ length: 16 }, () => Float32Array.from({ length: rows }, () => next() - 0.5));
  const columns = Array.from({ length: p }, (_, j) => {
    const shift = Float64Array.from({ length: plates }, () => 2 * next());
    const scale = Float64Array.from({ length: plates }, () => 0.5 + next());
    const weight = next();
    const factor = factors[j % 16];
    const column = new Float32Array(rows);
    for (let i = 0; i < rows; i++)
      column[i] = (weight * factor[i] + next() - 0.5) * scale[plateOf[i]] + shift[plateOf[i]] + 10;
    return column;
  });
  const experiment = Array.from(
    { length: rows },
    (_, i) => `HEPG2-${String(Math.floor(plateOf[i] / 4) + 1).padStart(2, '0')}`,
  );
  return {
    rows,
    metadata: {
      Metadata_experiment: experiment,
      Metadata_plate: Array.from({ length: rows }, (_, i) => (plateOf[i] % 4) + 1),
      Metadata_well_type: Array.from({ length: rows }, (_, i) => (i % 20 === 0 ? 'negative_control' : 'treatment')),
    },
    features: Array.from({ length: p }, (_, j) => `f${j}`),
    columns,
  };
}

/** Column-major float32 file (feature after feature): numpy reads it as (p, n) and transposes. */
function writeColumns(file: string, columns: Float32Array[]): void {
  const fd = fs.openSync(file, 'w');
  try {
    for (const column of columns) fs.writeSync(fd, new Uint8Array(column.buffer, column.byteOffset, column.byteLength));
  } finally {
    fs.closeSync(fd);
  }
}

function seconds(start: number): number {
  return Math.round((performance.now() - start) / 10) / 100;
}

/**
 * A large table cheaply: one vector of uniform noise, read at a different rotation for each feature, with
 * per-plate shifts and scales (32 plates). Enough structure for standardize, ~10x faster to make than
 * syntheticTable at 10⁹ values.
 */
function largeTable(rows: number, p: number): ProfileTable {
  const next = uniforms(2);
  const noise = Float32Array.from({ length: rows }, next);
  const plateOf = (i: number) => Math.floor((i * 32) / rows);
  const columns = Array.from({ length: p }, (_, j) => {
    const shift = Float32Array.from({ length: 32 }, () => 10 * next());
    const scale = Float32Array.from({ length: 32 }, () => 0.5 + next());
    const rotation = (j * 7919) % rows;
    const column = new Float32Array(rows);
    for (let i = 0; i < rows; i++) {
      const plate = plateOf(i);
      column[i] = noise[(i + rotation) % rows] * scale[plate] + shift[plate];
    }
    return column;
  });
  return {
    rows,
    metadata: {
      Metadata_experiment: Array.from(
        { length: rows },
        (_, i) => `HEPG2-${String(Math.floor(plateOf(i) / 4) + 1).padStart(2, '0')}`,
      ),
      Metadata_plate: Array.from({ length: rows }, (_, i) => (plateOf(i) % 4) + 1),
      Metadata_well_type: Array.from({ length: rows }, (_, i) => (i % 20 === 0 ? 'negative_control' : 'treatment')),
    },
    features: Array.from({ length: p }, (_, j) => `f${j}`),
    columns,
  };
}

/** Bounded-memory run, in its own process so its peak RSS is its own: standardize per plate, fitted on controls. */
function largeStandardize(rows: number, p: number): Record<string, unknown> {
  const generated = performance.now();
  const table = largeTable(rows, p);
  const generateSeconds = seconds(generated);
  const before = process.memoryUsage();
  const start = performance.now();
  const out = normalizeProfiles(table, { method: 'standardize', fitOn: 'negative', by: 'plate' });
  const standardizeSeconds = seconds(start);
  const peakRss = process.resourceUsage().maxRSS * 1024;
  const featureBytes = rows * p * 4;
  if (out.rows !== rows) throw new Error('large standardize: wrong output shape');
  const gib = (bytes: number) => Math.round((bytes / 2 ** 30) * 100) / 100;
  return {
    rows,
    features: p,
    generateSeconds,
    standardizeSeconds,
    rowsPerSecond: Math.round(rows / standardizeSeconds),
    inputGiB: gib(featureBytes),
    outputGiB: gib(featureBytes),
    rssBeforeGiB: gib(before.rss),
    peakRssGiB: gib(peakRss),
    // What the process held beyond the input and output features: metadata, the runtime, scratch.
    peakBeyondInputAndOutputGiB: gib(peakRss - 2 * featureBytes),
  };
}

const METHODS = ['standardize', 'zca', 'tvn'] as const;
type Method = (typeof METHODS)[number];

interface Timing {
  seconds: number;
  cpuSeconds: number;
  allSeconds: number[];
}

/** The fastest of `repetitions` runs, in wall and in process CPU seconds; `keep` receives the last output. */
function timeRuns(repetitions: number, run: () => ProfileTable, keep: (out: ProfileTable) => void): Timing {
  const walls: number[] = [];
  const cpus: number[] = [];
  let out: ProfileTable | null = null;
  for (let r = 0; r < repetitions; r++) {
    out = null;
    const cpu = process.cpuUsage();
    const start = performance.now();
    out = run();
    walls.push(seconds(start));
    const used = process.cpuUsage(cpu);
    cpus.push(Math.round((used.user + used.system) / 1e4) / 100);
  }
  keep(out!);
  return { seconds: Math.min(...walls), cpuSeconds: Math.min(...cpus), allSeconds: walls };
}

type Reference = { methods: Record<string, Timing & { maxAbsDiff?: number }> } & Record<string, unknown>;

/** The reference side at `threads` threads; compares outputs when `compare` (once is enough). */
function runReference(dir: string, rows: number, p: number, threads: number, repetitions: number, compare: boolean) {
  const env: NodeJS.ProcessEnv = { ...process.env };
  // Set on some machines for old OpenBLAS builds; a current numpy runs slower with them (/work/.library/env).
  delete env.OPENBLAS_CORETYPE;
  delete env.OPENBLAS_L2_SIZE;
  for (const name of ['OPENBLAS_NUM_THREADS', 'OMP_NUM_THREADS', 'MKL_NUM_THREADS']) env[name] = String(threads);
  const python = spawnSync('/usr/bin/python3', [path.join(REPO_ROOT, 'bench', 'correct_reference.py')], {
    input: JSON.stringify({ rows, features: p, dir, repetitions, compare, methods: METHODS }),
    encoding: 'utf8',
    maxBuffer: 1 << 20,
    env,
  });
  if (python.status === 0) return JSON.parse(python.stdout) as Reference;
  return {
    unavailable:
      (python.error?.message ?? python.stderr.trim().split('\n').slice(-3).join(' ')) || `exit ${python.status}`,
  };
}

function writeInputs(dir: string, table: ProfileTable): void {
  writeColumns(path.join(dir, 'x.f32'), table.columns);
  const experimentIds = Int32Array.from(table.metadata.Metadata_experiment, (e) => Number(String(e).slice(-2)));
  fs.writeFileSync(path.join(dir, 'experiment.i32'), new Uint8Array(experimentIds.buffer));
  fs.writeFileSync(
    path.join(dir, 'controls.u8'),
    Uint8Array.from(table.metadata.Metadata_well_type, (w) => (w === 'negative_control' ? 1 : 0)),
  );
}

/** Both sides at one thread count: phenomap in this process, then the reference. */
function compareAt(
  table: ProfileTable,
  dir: string,
  threads: number,
  repetitions: number,
  compare: boolean,
): Record<string, unknown> {
  const runs: Record<Method, () => ProfileTable> = {
    standardize: () => normalizeProfiles(table, { method: 'standardize', fitOn: 'all', by: 'all' }),
    zca: () => normalizeProfiles(table, { method: 'spherize', spherize: 'ZCA', fitOn: 'all', by: 'all' }),
    tvn: () => tvnProfiles(table, { batch: 'experiment', controls: 'negative' }),
  };
  setGemmThreads(threads);
  const ours: Record<string, Timing & { outputFeatures: number }> = {};
  try {
    for (const name of METHODS) {
      let outputFeatures = 0;
      const timing = timeRuns(repetitions, runs[name], (out) => {
        outputFeatures = out.features.length;
        if (compare) writeColumns(path.join(dir, `${name}.f32`), out.columns);
      });
      ours[name] = { ...timing, outputFeatures };
    }
  } finally {
    setGemmThreads(1);
  }
  const reference = runReference(dir, table.rows, table.features.length, threads, repetitions, compare);
  const ratio = (a: number, b: number | undefined) => (b ? Math.round((a / b) * 100) / 100 : null);
  const comparison = Object.fromEntries(
    METHODS.map((name) => {
      const theirs = 'methods' in reference ? reference.methods[name] : undefined;
      return [
        name,
        {
          phenomapSeconds: ours[name].seconds,
          referenceSeconds: theirs?.seconds ?? null,
          ratio: ratio(ours[name].seconds, theirs?.seconds),
          phenomapCpuSeconds: ours[name].cpuSeconds,
          referenceCpuSeconds: theirs?.cpuSeconds ?? null,
          cpuRatio: ratio(ours[name].cpuSeconds, theirs?.cpuSeconds),
          phenomapAllSeconds: ours[name].allSeconds,
          referenceAllSeconds: theirs?.allSeconds ?? null,
          ...(compare ? { maxAbsDiff: theirs?.maxAbsDiff ?? null } : {}),
          outputFeatures: ours[name].outputFeatures,
        },
      ];
    }),
  );
  return { threads, comparison, reference };
}

function boundedMemory(largeRows: number, largeFeatures: number): Record<string, unknown> | null {
  if (largeRows <= 0) return null;
  const child = spawnSync(
    process.execPath,
    [fileURLToPath(import.meta.url), '--large', String(largeRows), String(largeFeatures)],
    { encoding: 'utf8', maxBuffer: 1 << 20 },
  );
  return child.status === 0
    ? (JSON.parse(child.stdout) as Record<string, unknown>)
    : { failed: child.stderr.trim().split('\n').slice(-3).join(' ') || `exit ${child.status}` };
}

export async function benchCorrect(options: CorrectBenchOptions = {}): Promise<Record<string, unknown>> {
  const rows = options.rows ?? 200_000;
  const p = options.features ?? 500;
  const experiments = options.experiments ?? 8;
  const repetitions = options.repetitions ?? 3;
  const cores = os.availableParallelism();
  const threads = options.threads ?? (cores > 1 ? [1, cores] : [1]);
  const outFile = options.outFile ?? path.join(REPO_ROOT, 'bench', 'results', 'correct.json');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'phenomap-bench-correct-'));
  // The machine is shared: the 1-minute load average before and after says how contended the timings were.
  const loadBefore = os.loadavg()[0];
  try {
    const generated = performance.now();
    const table = syntheticTable(rows, p, experiments);
    const generateSeconds = seconds(generated);
    writeInputs(dir, table);
    const runs = threads.map((count, i) => compareAt(table, dir, count, repetitions, i === 0));
    const large = boundedMemory(options.largeRows ?? 1_000_000, options.largeFeatures ?? 1_000);
    const results = {
      benchmark:
        'correction: standardize, ZCA sphering, TVN vs scikit-learn / pycytominer / EFAAR numerics on the same float32 matrix',
      date: new Date().toISOString(),
      machine: {
        cpuModel: os.cpus()[0]?.model ?? 'unknown',
        cores,
        node: process.version,
        memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 100) / 100,
        loadAverage1m: { before: Math.round(loadBefore * 100) / 100, after: Math.round(os.loadavg()[0] * 100) / 100 },
      },
      matrix: { rows, features: p, experiments, negativeControls: rows / 20, generateSeconds },
      note:
        `fastest of ${repetitions} runs per method and side, file I/O excluded; runs[0]: one thread each side ` +
        "(phenomap's GEMM engine and numpy's BLAS pinned to 1), later runs: that many threads each; ratio = " +
        'phenomap / reference wall seconds, cpuRatio the same in process CPU seconds; maxAbsDiff over all outputs ' +
        '(float32 phenomap vs float64 reference)',
      runs,
      boundedMemory: large,
    };
    fs.mkdirSync(path.dirname(outFile), { recursive: true });
    writeFileAtomic(outFile, `${JSON.stringify(results, null, 2)}\n`);
    return results;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  if (process.argv[2] === '--large')
    console.log(JSON.stringify(largeStandardize(Number(process.argv[3]), Number(process.argv[4]))));
  else console.log(JSON.stringify(await benchCorrect(), null, 2));
}
