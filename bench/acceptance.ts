/**
 * The profiling issue's acceptance run: the simulator's small preset at default batch strength, through the
 * whole pipeline (featurize -> select -> normalize -> correct -> evaluate). The reference is the uncorrected
 * profiles ('none') evaluated on the same held-out experiments in the same run; the target is centre-scale or
 * TVN classifying held-out experiments at least 3x better. Reuses data/small and data/run-small when present.
 * Writes bench/results/acceptance-small.json.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { simulate } from '../src/data/simulate/index.js';
import { runPipeline } from '../src/jobs/pipeline.js';
import { REPO_ROOT } from './common.js';

const TARGET_RATIO = 3;

export async function benchAcceptance(): Promise<Record<string, unknown>> {
  const data = path.join(REPO_ROOT, 'data', 'small');
  const run = path.join(REPO_ROOT, 'data', 'run-small');
  const started = performance.now();
  if (!fs.existsSync(path.join(data, 'metadata.csv'))) await simulate({ out: data, preset: 'small', seed: 1 });
  const simulated = (performance.now() - started) / 1000;
  const pipeline = await runPipeline(data, { out: run });
  const metrics = JSON.parse(fs.readFileSync(pipeline.metrics, 'utf8'));
  const accuracy: Record<string, number> = metrics.heldout_accuracy;
  const ratio = (method: string) => Number((accuracy[method] / accuracy.none).toFixed(2));
  const result = {
    benchmark: 'acceptance-small',
    date: new Date().toISOString(),
    machine: { cpu: os.cpus()[0]?.model, cores: os.availableParallelism(), node: process.version },
    dataset: {
      preset: 'small',
      seed: 1,
      batchStrength: 1,
      wells: { train: metrics.n_train_wells, test: metrics.n_test_wells },
      classes: metrics.n_classes,
    },
    reference: "uncorrected profiles ('none') on the same held-out experiments, same run",
    heldoutAccuracy: accuracy,
    chanceAccuracy: metrics.chance_accuracy,
    ratioToUncorrected: { center_scale: ratio('center_scale'), tvn: ratio('tvn') },
    target: { ratio: TARGET_RATIO, met: Math.max(ratio('center_scale'), ratio('tvn')) >= TARGET_RATIO },
    // A rerun reuses the finished run (the pipeline resumes): its step times are then 0; the first run's are in
    // run.json.
    reusedRun: pipeline.steps.evaluate.skipped,
    seconds: { simulate: Number(simulated.toFixed(1)), pipeline: pipeline.steps },
  };
  const file = path.join(REPO_ROOT, 'bench', 'results', 'acceptance-small.json');
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
  return result;
}
