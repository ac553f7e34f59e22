/**
 * The deep-representation issue's acceptance run: on the simulator's small preset, CNN embeddings against the
 * classical profiles on the same held-out experiments, each before and after batch correction. The reference is
 * the classical pipeline (the profiling acceptance run, data/run-small) in the same run; the target is CNN
 * embeddings classifying held-out experiments at least 10x better than chance. Trains with the default trainer
 * (onnxruntime on CPUs); reuses data/small, data/run-small and a finished model of the same configuration.
 * Writes bench/results/cnn-vs-classical-small.json (and data/run-cnn-small/report.html with the comparison).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { simulate } from '../src/data/simulate/index.js';
import { datasetSites } from '../src/embed/data.js';
import { embedDataset, parseTrainConfig, readManifest, trainModel, type TrainConfig } from '../src/embed/index.js';
import { compareRuns, writeComparison } from '../src/evaluate/compare.js';
import { evaluateProfiles, writeReport } from '../src/evaluate/index.js';
import { runPipeline } from '../src/jobs/pipeline.js';
import { readProfiles } from '../src/store/profiles.js';
import { REPO_ROOT } from './common.js';

const TARGET_OVER_CHANCE = 10;
const METHODS = ['none', 'center_scale', 'robust', 'tvn', 'coral', 'combat', 'harmony'] as const;

export async function benchCnnVsClassical(): Promise<Record<string, unknown>> {
  const root = path.join(REPO_ROOT, 'data');
  const data = path.join(root, 'small');
  const classical = path.join(root, 'run-small');
  const model = path.join(root, 'model-small');
  const embeddings = path.join(root, 'emb-small');
  const cnnRun = path.join(root, 'run-cnn-small');
  const classicalRun = path.join(root, 'run-classical-small');
  const seconds: Record<string, number> = {};
  const time = async <T>(name: string, f: () => Promise<T>): Promise<T> => {
    const started = performance.now();
    const result = await f();
    seconds[name] = Number(((performance.now() - started) / 1000).toFixed(1));
    return result;
  };
  if (!fs.existsSync(path.join(data, 'metadata.csv')))
    await time('simulate', () => simulate({ out: data, preset: 'small', seed: 1 }));
  await time('classicalPipeline', () => runPipeline(data, { out: classical }));

  // The CNN trains on every labelled site of the train-split experiments; the test-split experiments (the ones
  // evaluate holds out) are its validation experiments, so they never reach the gradient.
  const testExperiments = [
    ...new Set((await datasetSites(data)).sites.filter((s) => s.dataset === 'test').map((s) => s.experiment)),
  ].sort();
  // A fifth of the treatment siRNAs never reach training either: k-shot accuracy among them is the novel-siRNA test.
  const config: Partial<TrainConfig> = {
    imageScale: 0.25,
    crop: 64,
    batchSize: 32,
    epochs: 40,
    embeddingDim: 64,
    datasets: ['train', 'test'],
    validationExperiments: testExperiments,
    holdoutSirnaFraction: 0.2,
  };
  // A finished (or interrupted) model of this configuration is reused; one of another configuration is replaced.
  const saved = path.join(model, 'model.json');
  const resume =
    !fs.existsSync(saved) || JSON.stringify(readManifest(model).config) === JSON.stringify(parseTrainConfig(config));
  const trained = await time('train', () =>
    trainModel({
      data,
      out: model,
      config,
      resume,
      onProgress: (e) =>
        e.phase === 'checkpoint' &&
        console.error(
          `epoch ${e.epoch}: loss ${e.loss?.toFixed(3)}, validation accuracy ${e.validationAccuracy?.toFixed(3)}`,
        ),
    }),
  );
  await time('embed', () => embedDataset({ data, model, out: embeddings, overwrite: true }));
  // Both representations evaluated alike: the pipeline's settings, plus k-shot among the siRNAs the CNN never saw.
  const groundTruth = path.join(data, 'ground_truth.json');
  const evaluateOptions = {
    methods: [...METHODS],
    controls: 'all' as const,
    groundTruth,
    novelSirnas: trained.heldOutSirnas,
    umap: false,
  };
  const classicalResult = await time('evaluateClassical', () =>
    evaluateProfiles(readProfiles(path.join(classical, 'site_profiles.parquet')), evaluateOptions),
  );
  writeReport(classicalResult, classicalRun);
  const evaluated = await time('evaluateCnn', () =>
    evaluateProfiles(readProfiles(path.join(embeddings, 'wells')), evaluateOptions),
  );
  // As `phenomap evaluate ... --name cnn --compare classical=DIR`: the CNN report carries the comparison.
  const comparison = compareRuns([
    { name: 'classical', dir: classicalRun },
    { name: 'cnn', dir: cnnRun, metrics: evaluated.metrics },
  ]);
  writeComparison(comparison, cnnRun);
  writeReport(evaluated, cnnRun, { comparison });
  const accuracy = comparison.values.heldout_accuracy;
  const chance = comparison.runs[1].chanceAccuracy ?? NaN;
  const overChance = Object.fromEntries(
    METHODS.map((m) => [m, Number(((accuracy.cnn[m] ?? NaN) / chance).toFixed(2))]),
  );
  const result = {
    benchmark: 'cnn-vs-classical-small',
    date: new Date().toISOString(),
    machine: { cpu: os.cpus()[0]?.model, cores: os.availableParallelism(), node: process.version },
    dataset: { preset: 'small', seed: 1, testExperiments },
    reference:
      'classical profiles (phenomap pipeline, data/run-small, evaluated again here with the same options) on the same held-out experiments, same run',
    trainConfig: parseTrainConfig(config),
    device: trained.device,
    heldOutSirnas: trained.heldOutSirnas,
    trainHistory: trained.history,
    // Training steps only (validation excluded), summed over the epochs of the run that trained the model.
    trainStepSeconds: Number(trained.history.reduce((sum, epoch) => sum + epoch.seconds, 0).toFixed(1)),
    chanceAccuracy: chance,
    heldoutAccuracy: accuracy,
    kshotNovelAccuracy: {
      classical: classicalResult.metrics.kshot_novel_accuracy,
      cnn: evaluated.metrics.kshot_novel_accuracy,
    },
    cnnHeldoutAccuracyOverChance: overChance,
    target: { overChance: TARGET_OVER_CHANCE, met: (overChance.none ?? 0) >= TARGET_OVER_CHANCE },
    sameSplit: comparison.sameSplit,
    comparison: comparison.values,
    // A rerun reuses the finished model and classical run: their times are then near 0.
    seconds,
  };
  const file = path.join(REPO_ROOT, 'bench', 'results', 'cnn-vs-classical-small.json');
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
  return result;
}
