/**
 * Correction benchmark. (a) Standardize, ZCA sphering and TVN on one deterministic matrix (default 200,000 rows
 * x 500 float32 features, 8 experiments, 5% negative controls), timed in phenomap and in the reference tools'
 * numerics in a python3 subprocess on the same matrix (written as raw float32, read with np.fromfile):
 * scikit-learn StandardScaler; pycytominer's Spherize computation (centred, SVD); EFAAR's tvn_on_controls with
 * per-batch centring (see src/correct/tvn.ts). Python checks the largest difference between the outputs.
 * Both sides run on one thread (numpy's BLAS pinned to 1). (b) Bounded memory: standardize per plate on
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
import type { ProfileTable } from '../src/store/profiles.js';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface CorrectBenchOptions {
  rows?: number;
  features?: number;
  experiments?: number;
  /** Rows and features of the bounded-memory standardize run (0 rows skips it). */
  largeRows?: number;
  largeFeatures?: number;
  /** Where the JSON goes (default bench/results/correct.json). */
  outFile?: string;
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

const PYTHON_SCRIPT = `
import json, sys, time
import numpy as np, scipy, sklearn
from scipy.linalg import fractional_matrix_power
from sklearn.decomposition import PCA
from sklearn.preprocessing import StandardScaler
a = json.loads(sys.stdin.read())
n, p, d = a['rows'], a['features'], a['dir']
X = np.fromfile(f'{d}/x.f32', dtype=np.float32).reshape(p, n).T
experiment = np.fromfile(f'{d}/experiment.i32', dtype=np.int32)
ctrl = np.fromfile(f'{d}/controls.u8', dtype=np.uint8).astype(bool)

def standardize():
    return StandardScaler().fit_transform(X)

def zca():  # pycytominer Spherize(method='ZCA', epsilon=1e-6, center=True) on centred data, thin SVD
    Xc = X.astype(np.float64)
    Xc -= Xc.mean(axis=0)
    _, s, vt = np.linalg.svd(Xc, full_matrices=False)
    W = (vt / (s + 1e-6)[:, None]).T * np.sqrt(n - 1) @ vt
    return Xc @ W

def tvn():  # EFAAR tvn_on_controls + centring on each batch's controls (src/correct/tvn.ts)
    E = StandardScaler().fit(X[ctrl]).transform(X).astype(np.float64)
    pca = PCA().fit(E[ctrl])
    E = pca.transform(E)
    signs = np.array([1.0 if row[np.argmax(np.abs(row))] >= 0 else -1.0 for row in pca.components_])
    E *= signs
    E = StandardScaler().fit(E[ctrl]).transform(E)
    for b in np.unique(experiment):
        rows = experiment == b
        bc = rows & ctrl
        cov = np.cov(E[bc], rowvar=False, ddof=1) + 0.5 * np.eye(E.shape[1])
        E[rows] = (E[rows] - E[bc].mean(axis=0)) @ np.real(fractional_matrix_power(cov, -0.5))
    return E

out = {'python': sys.version.split()[0], 'numpy': np.__version__, 'scipy': scipy.__version__, 'sklearn': sklearn.__version__, 'methods': {}}
for name, fn in [('standardize', standardize), ('zca', zca), ('tvn', tvn)]:
    start = time.perf_counter()
    ref = fn()
    elapsed = time.perf_counter() - start
    ours = np.fromfile(f'{d}/{name}.f32', dtype=np.float32).reshape(-1, n).T
    diff = np.abs(ours.astype(np.float64) - ref)
    out['methods'][name] = {'seconds': round(elapsed, 2), 'maxAbsDiff': float(diff.max()), 'maxAbsValue': float(np.abs(ref).max()), 'meanAbsDiff': float(diff.mean())}
    del ref, ours, diff
print(json.dumps(out))
`;

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

export async function benchCorrect(options: CorrectBenchOptions = {}): Promise<Record<string, unknown>> {
  const rows = options.rows ?? 200_000;
  const p = options.features ?? 500;
  const experiments = options.experiments ?? 8;
  const largeRows = options.largeRows ?? 1_000_000;
  const largeFeatures = options.largeFeatures ?? 1_000;
  const outFile = options.outFile ?? path.join(REPO_ROOT, 'bench', 'results', 'correct.json');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'phenomap-bench-correct-'));
  // The machine is shared: the 1-minute load average before and after says how contended the timings were.
  const loadBefore = os.loadavg()[0];
  try {
    const generated = performance.now();
    const table = syntheticTable(rows, p, experiments);
    const generateSeconds = seconds(generated);
    writeColumns(path.join(dir, 'x.f32'), table.columns);
    const experimentIds = Int32Array.from(table.metadata.Metadata_experiment, (e) => Number(String(e).slice(-2)));
    fs.writeFileSync(path.join(dir, 'experiment.i32'), new Uint8Array(experimentIds.buffer));
    fs.writeFileSync(
      path.join(dir, 'controls.u8'),
      Uint8Array.from(table.metadata.Metadata_well_type, (w) => (w === 'negative_control' ? 1 : 0)),
    );

    const ours: Record<string, { seconds: number; outputFeatures: number }> = {};
    const methods: [string, () => ProfileTable][] = [
      ['standardize', () => normalizeProfiles(table, { method: 'standardize', fitOn: 'all', by: 'all' })],
      ['zca', () => normalizeProfiles(table, { method: 'spherize', spherize: 'ZCA', fitOn: 'all', by: 'all' })],
      ['tvn', () => tvnProfiles(table, { batch: 'experiment', controls: 'negative' })],
    ];
    for (const [name, run] of methods) {
      const start = performance.now();
      const out = run();
      ours[name] = { seconds: seconds(start), outputFeatures: out.features.length };
      writeColumns(path.join(dir, `${name}.f32`), out.columns);
    }

    const python = spawnSync('/usr/bin/python3', ['-c', PYTHON_SCRIPT], {
      input: JSON.stringify({ rows, features: p, dir }),
      encoding: 'utf8',
      maxBuffer: 1 << 20,
      env: { ...process.env, OPENBLAS_NUM_THREADS: '1', OMP_NUM_THREADS: '1', MKL_NUM_THREADS: '1' },
    });
    const reference =
      python.status === 0
        ? (JSON.parse(python.stdout) as { methods: Record<string, { seconds: number; maxAbsDiff: number }> } & Record<
            string,
            unknown
          >)
        : {
            unavailable:
              (python.error?.message ?? python.stderr.trim().split('\n').slice(-3).join(' ')) ||
              `exit ${python.status}`,
          };
    const comparison = Object.fromEntries(
      Object.entries(ours).map(([name, mine]) => {
        const theirs = 'methods' in reference ? reference.methods[name] : undefined;
        return [
          name,
          {
            phenomapSeconds: mine.seconds,
            referenceSeconds: theirs?.seconds ?? null,
            ratio: theirs ? Math.round((mine.seconds / theirs.seconds) * 100) / 100 : null,
            maxAbsDiff: theirs?.maxAbsDiff ?? null,
            outputFeatures: mine.outputFeatures,
          },
        ];
      }),
    );

    let large: Record<string, unknown> | null = null;
    if (largeRows > 0) {
      const child = spawnSync(
        process.execPath,
        [fileURLToPath(import.meta.url), '--large', String(largeRows), String(largeFeatures)],
        { encoding: 'utf8', maxBuffer: 1 << 20 },
      );
      large =
        child.status === 0
          ? (JSON.parse(child.stdout) as Record<string, unknown>)
          : { failed: child.stderr.trim().split('\n').slice(-3).join(' ') || `exit ${child.status}` };
    }

    const results = {
      benchmark:
        'correction: standardize, ZCA sphering, TVN vs scikit-learn / pycytominer / EFAAR numerics on the same float32 matrix',
      date: new Date().toISOString(),
      machine: {
        cpuModel: os.cpus()[0]?.model ?? 'unknown',
        cores: os.availableParallelism(),
        node: process.version,
        memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 100) / 100,
        loadAverage1m: { before: Math.round(loadBefore * 100) / 100, after: Math.round(os.loadavg()[0] * 100) / 100 },
      },
      matrix: { rows, features: p, experiments, negativeControls: rows / 20, generateSeconds },
      note: 'wall seconds per method, one thread each side (numpy BLAS pinned to 1 thread), file I/O excluded; ratio = phenomap / reference; maxAbsDiff over all outputs (float32 phenomap vs float64 reference)',
      comparison,
      reference,
      boundedMemory: large,
    };
    fs.mkdirSync(path.dirname(outFile), { recursive: true });
    fs.writeFileSync(`${outFile}.tmp`, `${JSON.stringify(results, null, 2)}\n`);
    fs.renameSync(`${outFile}.tmp`, outFile);
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
