/**
 * `phenomap train DIR --out MODEL_DIR` and `phenomap embed DIR --model MODEL --out EMBEDDINGS`: the embed/
 * library behind two commands.
 */
import { type Command, InvalidArgumentError, Option } from 'commander';
import {
  embedDataset,
  type EmbedResult,
  readTrainConfig,
  trainModel,
  type Device,
  type TrainConfigInput,
} from '../embed/index.js';
import { printMetadataProblems } from './problems.js';
import { withProgress } from './progress.js';

function positiveInteger(name: string) {
  return (value: string): number => {
    const parsed = Number(value);
    if (!Number.isInteger(parsed) || parsed < 1)
      throw new InvalidArgumentError(`${name} must be an integer >= 1, got "${value}"`);
    return parsed;
  };
}

function fraction(name: string) {
  return (value: string): number => {
    const parsed = Number(value);
    if (!(parsed >= 0 && parsed < 1))
      throw new InvalidArgumentError(`${name} must be a number in [0, 1), got "${value}"`);
    return parsed;
  };
}

const deviceOption = () =>
  new Option(
    '--device <device>',
    "where the network runs: cpu, or cuda (onnxruntime's CUDA execution provider, installed separately: " +
      'src/embed/ENGINE.md)',
  ).choices(['cpu', 'cuda']);

/** 0: every site embedded; 1: done, but sites, plates or experiments failed (listed); 2: nothing could be done. */
export function embedExitCode(result: EmbedResult): 0 | 1 | 2 {
  if (result.sites === 0 && result.platesSkipped === 0) return 2;
  return result.failedSites.length + result.failedExperiments.length + result.platesEmpty > 0 ? 1 : 0;
}

export function registerEmbedCommands(program: Command): void {
  registerTrain(program);
  registerEmbed(program);
}

type TrainCliOptions = {
  out: string;
  config?: string;
  resume?: boolean;
  epochs?: number;
  seed?: number;
  threads?: number;
  trainThreads?: number;
  holdoutSirnas?: number;
  device?: Device;
  json?: boolean;
};

/** `phenomap train`: the config with the command line's overrides, training with progress, then a summary. */
async function trainAction(dir: string, opts: TrainCliOptions): Promise<void> {
  const overrides: Partial<TrainConfigInput> = {};
  if (opts.trainThreads !== undefined) overrides.threads = opts.trainThreads;
  if (opts.holdoutSirnas !== undefined) overrides.holdoutSirnaFraction = opts.holdoutSirnas;
  if (opts.epochs !== undefined) overrides.epochs = opts.epochs;
  if (opts.seed !== undefined) overrides.seed = opts.seed;
  if (opts.device !== undefined) overrides.device = opts.device;
  const config = readTrainConfig(opts.config, overrides);
  let lastEpochLine = '';
  const result = await withProgress('train', 'steps', async (bar) => {
    let stepsDone = 0;
    return trainModel({
      data: dir,
      out: opts.out,
      config,
      resume: opts.resume,
      threads: opts.threads,
      onProgress: (e) => {
        if (e.phase === 'train' && e.steps && e.epochs) bar(++stepsDone, e.steps * e.epochs);
        if (e.phase === 'checkpoint') {
          const validation =
            e.validationAccuracy !== null && e.validationAccuracy !== undefined
              ? `, validation accuracy ${(100 * e.validationAccuracy).toFixed(1)}%`
              : '';
          lastEpochLine = `epoch ${e.epoch}/${e.epochs}: loss ${e.loss?.toFixed(4)}${validation}`;
          if (!process.stderr.isTTY) process.stderr.write(`${lastEpochLine}\n`);
        }
      },
    });
  });
  if (opts.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  else {
    process.stdout.write(
      `trained ${result.epochsDone} epoch(s) on ${result.trainSites} sites ` +
        `(${result.validationSites} validation` +
        (result.unlabelledSites ? `, ${result.unlabelledSites} unlabelled` : '') +
        `; ${result.heldOutSirnas.length} siRNAs held out) ` +
        `on onnxruntime (${result.device}) -> ${result.modelDir}\n`,
    );
    if (lastEpochLine) process.stdout.write(`${lastEpochLine}\n`);
    if (result.failedSites.length > 0)
      process.stdout.write(
        `${result.failedSites.length} site(s) could not be loaded and were skipped (listed in train.json)\n`,
      );
  }
}

function registerTrain(program: Command): void {
  program
    .command('train')
    .description(
      'train a CNN (siRNA classification with softmax + ArcFace heads) on a dataset; writes MODEL_DIR with ' +
        'per-epoch checkpoints',
    )
    .argument('<dir>', 'dataset folder (RxRx1 official or Kaggle layout)')
    .requiredOption('--out <model_dir>', 'model folder to write')
    .option('--config <file>', 'JSON file overriding training settings (see src/embed/config.ts)')
    .option('--resume', 'continue from the last checkpoint in MODEL_DIR (same result as an uninterrupted run)')
    .option('--epochs <n>', 'number of epochs (overrides the config)', positiveInteger('--epochs'))
    .option('--seed <n>', 'random seed (overrides the config)', (v) => Number(v))
    .option('--threads <n>', 'site-loading threads', positiveInteger('--threads'))
    .option(
      '--train-threads <n>',
      'threads of the training steps (overrides the config; default one per core)',
      positiveInteger('--train-threads'),
    )
    .option(
      '--holdout-sirnas <fraction>',
      'fraction of the treatment siRNAs kept out of training for k-shot tests on unseen siRNAs (default 0.2; 0: ' +
        'train on all)',
      fraction('--holdout-sirnas'),
    )
    .addOption(deviceOption())
    .option('--json', 'print the result as JSON')
    .action(trainAction);
}

function registerEmbed(program: Command): void {
  program
    .command('embed')
    .description(
      'embed every site (and well) of a dataset with a trained model or an ONNX model; writes EMBEDDINGS/sites ' +
        'and EMBEDDINGS/wells Parquet tables, one part per plate',
    )
    .argument('<dir>', 'dataset folder')
    .requiredOption('--model <model>', 'a model folder from phenomap train, or an .onnx file (with its sidecar JSON)')
    .requiredOption('--out <embeddings>', 'output folder')
    .option('--experiments <list>', 'comma-separated experiments to embed (default all)', (v) =>
      v
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    )
    .option('--batch-size <n>', 'sites per forward pass', positiveInteger('--batch-size'))
    .option('--threads <n>', 'site-loading threads', positiveInteger('--threads'))
    .option('--overwrite', 're-embed plates whose outputs exist')
    .option('--no-adabn', 'use the trained batch-norm statistics instead of re-estimating them per experiment')
    .addOption(
      new Option(
        '--readout <kind>',
        "what to write for a model trained here (default: the model's): the embedding layer, the last stage's pooled features, or every stage's",
      ).choices(['embedding', 'pooled', 'multiscale']),
    )
    .addOption(deviceOption())
    .option('--json', 'print the result as JSON')
    .action(
      async (
        dir: string,
        opts: {
          model: string;
          out: string;
          experiments?: string[];
          batchSize?: number;
          threads?: number;
          overwrite?: boolean;
          adabn?: boolean;
          readout?: 'embedding' | 'pooled' | 'multiscale';
          device?: Device;
          json?: boolean;
        },
      ) => {
        const result = await withProgress('embed', 'sites', (bar) =>
          embedDataset({
            data: dir,
            model: opts.model,
            out: opts.out,
            experiments: opts.experiments,
            batchSize: opts.batchSize,
            threads: opts.threads,
            overwrite: opts.overwrite,
            adabn: opts.adabn === false ? false : undefined,
            device: opts.device,
            readout: opts.readout,
            onProgress: (e) => bar(e.sitesDone, e.sites),
            onSiteError: (site, error) => process.stderr.write(`skipping site ${site.siteId}: ${error.message}\n`),
            onMetadataProblems: (problems) => printMetadataProblems(problems, 'embed.json'),
          }),
        );
        if (opts.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
        else
          process.stdout.write(
            `embedded ${result.sites} sites / ${result.wells} wells (${result.dimension} dimensions, ` +
              `${result.modelKind} model) on ${result.plates - result.platesSkipped} plate(s)` +
              (result.platesSkipped ? `, ${result.platesSkipped} already done` : '') +
              ` -> ${result.out}\n`,
          );
        if (result.failedSites.length > 0)
          process.stdout.write(`${result.failedSites.length} site(s) could not be loaded and were skipped\n`);
        for (const f of result.failedExperiments)
          process.stdout.write(`experiment ${f.experiment} skipped: ${f.error}\n`);
        if (result.platesEmpty > 0)
          process.stdout.write(`${result.platesEmpty} plate(s) had no loadable site (no part written)\n`);
        process.exitCode = embedExitCode(result);
      },
    );
}
