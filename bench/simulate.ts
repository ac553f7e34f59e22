/**
 * Simulator benchmark: end-to-end time of `simulate` (pool start, calibration, rendering, PNG encoding,
 * writing, metadata) for the tiny preset with 1 thread and with every core, and for the small preset with
 * every core (small on 1 thread takes about two minutes, too long for a routine benchmark).
 * There is no reference implementation to compare against. Writes bench/results/simulate.json.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { simulate, type PresetName, type SimulateSummary } from '../src/data/simulate/index.js';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface SimulateBenchOptions {
  /** Also time the small preset (default true). */
  small?: boolean;
  /** Where the JSON goes (default bench/results/simulate.json). */
  outFile?: string;
}

async function timeRun(
  preset: PresetName,
  threads: number,
): Promise<SimulateSummary & { preset: PresetName; threads: number; sitesPerSecond: number }> {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), `phenomap-bench-simulate-${preset}-`));
  try {
    const summary = await simulate({ out, preset, seed: 1, threads });
    return { preset, threads, ...summary, sitesPerSecond: Math.round((summary.sites / summary.seconds) * 100) / 100 };
  } finally {
    fs.rmSync(out, { recursive: true, force: true });
  }
}

export async function benchSimulate(options: SimulateBenchOptions = {}): Promise<Record<string, unknown>> {
  const cores = os.availableParallelism();
  // Other processes on the machine slow every run; the load average says how busy it was.
  const loadAverageBefore = os.loadavg().map((v) => Math.round(v * 100) / 100);
  const runs = [await timeRun('tiny', 1), await timeRun('tiny', cores)];
  if (options.small ?? true) runs.push(await timeRun('small', cores));
  const result = {
    benchmark: 'simulate: RxRx1-layout dataset (6 x 512x512 PNG per site) rendered, encoded and written end to end',
    date: new Date().toISOString(),
    machine: {
      cpuModel: os.cpus()[0]?.model ?? 'unknown',
      cores,
      node: process.version,
      platform: `${os.platform()} ${os.release()} ${os.arch()}`,
      loadAverageBefore,
      loadAverageAfter: os.loadavg().map((v) => Math.round(v * 100) / 100),
    },
    reference: 'none: no reference implementation of this simulator exists, so only phenomap is timed',
    note: 'one run per configuration, seed 1, output in the OS temp folder; seconds include worker start-up and gain calibration',
    runs,
  };
  const outFile = options.outFile ?? path.join(REPO_ROOT, 'bench', 'results', 'simulate.json');
  fs.mkdirSync(path.dirname(outFile), { recursive: true });
  fs.writeFileSync(`${outFile}.partial`, `${JSON.stringify(result, null, 2)}\n`);
  fs.renameSync(`${outFile}.partial`, outFile);
  return result;
}

if (process.argv[1]?.endsWith(path.join('bench', 'simulate.js')))
  benchSimulate().then((r) => console.log(JSON.stringify(r, null, 2)));
