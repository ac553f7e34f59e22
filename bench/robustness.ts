/**
 * The robustness matrix of issue 10: phenomap's pipeline and a simple peer on simulated screens under several
 * batch-effect regimes (src/data/simulate/batch.ts) and seeds, in the same run. Per regime and seed: simulate the
 * `robustness` preset, run `pipeline` (every correction method, the selected one chosen by leave-one-experiment-out
 * cross-validation inside the training experiments) and the peer (bench/robustness_peer.py: scikit-image
 * Otsu/watershed, regionprops features, per-plate centre-scale on the control wells, logistic regression; Debian's
 * python3 packages), and record held-out accuracy with bootstrap intervals. Targets: the selected method within
 * 0.02 of the best method per regime on average, and ahead of the peer in every regime (mean over seeds).
 *
 * `PHENOMAP_ROBUSTNESS_SIZE=dev` runs a reduced matrix (smaller screens, one seed) for development; the full run is
 * long (hours on 2 cores): run it with `nice`. Datasets and runs are kept under data/robustness/ and reused (the
 * pipeline resumes). Writes bench/results/robustness.json (robustness-dev.json for the reduced matrix).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type BatchStrengths, type Preset, PRESETS, simulate } from '../src/data/simulate/index.js';
import type { EvaluationMetrics } from '../src/evaluate/index.js';
import { PIPELINE_DEFAULTS, runPipeline } from '../src/jobs/pipeline.js';
import { pythonCommand, REPO_ROOT } from './common.js';

/** The regimes: RxRx1-like batch effects, then each adds regimes beyond them. */
export const REGIMES: Record<string, Partial<BatchStrengths>> = {
  rxrx1: {},
  'gamma+crosstalk': { gamma: 1, crosstalk: 1 },
  'gradient+rim': { gradient: 1, well: 3 },
  'density+blur': { density: 1, blur: 1 },
  all: { gamma: 1, crosstalk: 1, gradient: 1, well: 3, density: 1, blur: 1 },
};

const DEV_PRESET: Preset = {
  experiments: ['HEPG2-01', 'HEPG2-02', 'HEPG2-08', 'HUVEC-01', 'HUVEC-02', 'HUVEC-17'],
  groups: [0],
  sirnasPerGroup: 12,
  replicates: 2,
  positiveControls: 2,
  minEffectFraction: 0.7,
};

const TARGET_GAP = 0.02;

interface Cell {
  regime: string;
  seed: number;
  uncorrected: number | null;
  methods: Record<string, number | null>;
  intervals: Record<string, [number, number] | null>;
  selected: { method: string; batch: string; controls: string; accuracy: number | null };
  best: { method: string; accuracy: number | null };
  peer: { uncorrected: number; corrected: number; corrected_ci: [number, number]; seconds: number };
  chance: number | null;
  seconds: { simulate: number; pipeline: number };
}

async function runCell(regime: string, seed: number, preset: Preset, root: string): Promise<Cell> {
  const dir = path.join(root, `${regime}-${seed}`);
  const data = path.join(dir, 'data');
  const started = performance.now();
  if (!fs.existsSync(path.join(data, 'metadata.csv')))
    await simulate({ out: data, preset, seed, strengths: REGIMES[regime] });
  const simulated = (performance.now() - started) / 1000;
  const run = await runPipeline(data, { out: path.join(dir, 'run'), umap: false, seed: 0 });
  const piped = (performance.now() - started) / 1000 - simulated;
  const m = JSON.parse(fs.readFileSync(run.metrics, 'utf8')) as EvaluationMetrics;
  // The peer's result is kept beside the run (it takes as long as featurizing): a rerun reuses both.
  const peerFile = path.join(dir, 'peer.json');
  const peer: Cell['peer'] = fs.existsSync(peerFile) ? JSON.parse(fs.readFileSync(peerFile, 'utf8')) : runPeer(data);
  fs.writeFileSync(peerFile, `${JSON.stringify(peer)}\n`);
  const accuracies = m.heldout_accuracy;
  const best = Object.entries(accuracies)
    .filter(([method]) => method !== 'none')
    .reduce((a, b) => ((b[1] ?? -1) > (a[1] ?? -1) ? b : a));
  console.log(
    `${regime} seed ${seed}: selected ${m.selected_method} ${accuracies[m.selected_method]?.toFixed(3)}, ` +
      `best ${best[0]} ${best[1]?.toFixed(3)}, peer ${peer.corrected.toFixed(3)}`,
  );
  return {
    regime,
    seed,
    uncorrected: accuracies.none ?? null,
    methods: accuracies,
    intervals: m.heldout_accuracy_ci,
    selected: {
      method: m.selected_method,
      batch: m.selection.batch,
      controls: m.selection.controls,
      accuracy: accuracies[m.selected_method],
    },
    best: { method: best[0], accuracy: best[1] },
    peer,
    chance: m.chance_accuracy,
    seconds: { simulate: Number(simulated.toFixed(1)), pipeline: Number(piped.toFixed(1)) },
  };
}

function runPeer(data: string): Cell['peer'] {
  const script = path.join(REPO_ROOT, 'bench', 'robustness_peer.py');
  const processes = String(Math.max(1, Math.min(2, os.availableParallelism())));
  const result = spawnSync(pythonCommand(), [script, data, processes], { encoding: 'utf8', maxBuffer: 1 << 24 });
  if (result.status !== 0) throw new Error(`robustness peer failed on ${data}: ${result.stderr}`);
  return JSON.parse(result.stdout.trim().split('\n').pop()!);
}

const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
const round = (x: number) => Number(x.toFixed(4));

/** Per regime, means over seeds; and the two targets. */
function summarize(cells: Cell[]) {
  const regimes = [...new Set(cells.map((c) => c.regime))];
  const perRegime = Object.fromEntries(
    regimes.map((regime) => {
      const own = cells.filter((c) => c.regime === regime);
      const methods = [...new Set(own.flatMap((c) => Object.keys(c.methods)))];
      const methodMeans = Object.fromEntries(methods.map((m) => [m, round(mean(own.map((c) => c.methods[m] ?? 0)))]));
      const corrected = Object.entries(methodMeans).filter(([m]) => m !== 'none');
      const best = corrected.reduce((a, b) => (b[1] > a[1] ? b : a));
      const selected = round(mean(own.map((c) => c.selected.accuracy ?? 0)));
      const peer = round(mean(own.map((c) => c.peer.corrected)));
      return [
        regime,
        {
          uncorrected: methodMeans.none,
          methods: methodMeans,
          selected,
          selectedMethods: own.map((c) => c.selected.method),
          best: { method: best[0], accuracy: best[1] },
          gapToBest: round(best[1] - selected),
          peer,
          peerUncorrected: round(mean(own.map((c) => c.peer.uncorrected))),
          aheadOfPeer: selected > peer,
        },
      ];
    }),
  );
  const rows = Object.values(perRegime);
  const gap = round(mean(rows.map((r) => r.gapToBest)));
  return {
    perRegime,
    targets: {
      selectedWithinOfBest: { target: TARGET_GAP, meanGap: gap, met: gap <= TARGET_GAP },
      aheadOfPeerInEveryRegime: { met: rows.every((r) => r.aheadOfPeer) },
    },
  };
}

export async function benchRobustness(): Promise<Record<string, unknown>> {
  const dev = process.env.PHENOMAP_ROBUSTNESS_SIZE === 'dev';
  const preset = dev ? DEV_PRESET : PRESETS.robustness;
  const seeds = dev ? [1] : [1, 2];
  const regimes = dev ? ['rxrx1', 'gamma+crosstalk', 'gradient+rim', 'density+blur'] : Object.keys(REGIMES);
  const root = path.join(REPO_ROOT, 'data', dev ? 'robustness-dev' : 'robustness');
  const started = performance.now();
  const cells: Cell[] = [];
  const file = path.join(REPO_ROOT, 'bench', 'results', dev ? 'robustness-dev.json' : 'robustness.json');
  fs.mkdirSync(path.dirname(file), { recursive: true });
  let result: Record<string, unknown> = {};
  // Written after every cell (complete: false until the last), so a long run that stops leaves what it measured.
  for (const regime of regimes)
    for (const seed of seeds) {
      cells.push(await runCell(regime, seed, preset, root));
      result = report(cells, {
        dev,
        preset,
        seeds,
        regimes,
        started,
        complete: cells.length === regimes.length * seeds.length,
      });
      fs.writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
    }
  return result;
}

function report(
  cells: Cell[],
  run: { dev: boolean; preset: Preset; seeds: number[]; regimes: string[]; started: number; complete: boolean },
): Record<string, unknown> {
  const { dev, seeds, regimes, started } = run;
  return {
    benchmark: dev ? 'robustness (reduced: development size)' : 'robustness',
    complete: run.complete,
    date: new Date().toISOString(),
    machine: { cpu: os.cpus()[0]?.model, cores: os.availableParallelism(), node: process.version },
    preset: dev ? DEV_PRESET : 'robustness',
    regimes: Object.fromEntries(regimes.map((r) => [r, REGIMES[r]])),
    seeds,
    methods: PIPELINE_DEFAULTS.methods,
    peer: 'bench/robustness_peer.py: scikit-image Otsu/watershed + regionprops, per-plate centre-scale on controls, logistic regression',
    ...summarize(cells),
    cells,
    seconds: Number(((performance.now() - started) / 1000).toFixed(1)),
  };
}
