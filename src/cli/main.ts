#!/usr/bin/env node
/** The phenomap command line: one command per step, each a thin layer over the library. */
import fs from 'node:fs';
import path from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { checkDataset, PROBLEM_KINDS, type CheckReport } from '../data/check.js';
import { DatasetError, detectLayout } from '../data/layout.js';
import { ensureSiteIndex, findSite, querySiteIndex, type SiteFilter } from '../data/siteIndex.js';
import { type Dataset, parseChannel, SITE_SIZE, type WellType } from '../rxrx1/index.js';
import { simulate, PRESETS, type PresetName } from '../data/simulate/index.js';
import { loadSite } from '../image/site.js';
import { compositeRgb } from '../image/rgb.js';
import { channelStats } from '../image/stats.js';
import { encodePng } from '../codec/png.js';
import { runDemo } from '../jobs/demo.js';
import { withProgress } from './progress.js';
import { integer, list, number } from './options.js';
import { registerPipelineCommands } from './pipeline.js';
import { registerEmbedCommands } from './embed.js';
import { registerFeaturizeCommands } from './featurize.js';
import { registerCorrectCommands } from './correct.js';
import { registerEvaluateCommands } from './evaluate.js';
import { registerServeCommands } from './serve.js';
import { registerCompetitionCommands } from './competition.js';

function channelList(value: string): number[] {
  try {
    return value.split(',').map(parseChannel);
  } catch (error) {
    throw new InvalidArgumentError((error as Error).message);
  }
}

function percentilePair(value: string): [number, number] {
  const parts = value.split(',').map(Number);
  if (parts.length !== 2 || parts.some((p) => !Number.isFinite(p) || p < 0 || p > 100) || parts[0] >= parts[1]) {
    throw new InvalidArgumentError(
      `expected LOW,HIGH percentiles in 0..100 with LOW < HIGH (e.g. 0.1,99.9), got "${value}"`,
    );
  }
  return [parts[0], parts[1]];
}

function printCheck(report: CheckReport): void {
  console.log(
    `${report.root} (${report.layout} layout): ${report.sites} sites, ` +
      `${report.foundFiles}/${report.expectedFiles} channel files present, images checked: ${report.decode}`,
  );
  if (report.absentSites + report.incompleteSites > 0)
    console.log(`  ${report.absentSites} sites have no image files, ${report.incompleteSites} sites are incomplete`);
  for (const kind of PROBLEM_KINDS) {
    const { count, examples } = report.problems[kind];
    if (count === 0) continue;
    console.log(`  ${kind}: ${count}`);
    for (const example of examples) console.log(`    ${example}`);
  }
  console.log(report.ok ? 'OK: no problems found' : 'problems found');
}

function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description('simulate a small RxRx1-shaped dataset (if absent), index it, write RGB composites, print a summary')
    .option('--data <dir>', 'dataset folder', 'data/demo')
    .option('--out <dir>', 'output folder', 'data/demo-out')
    .addOption(new Option('--preset <name>', 'simulator preset').choices(Object.keys(PRESETS)).default('tiny'))
    .option('--seed <n>', 'simulator seed', integer('seed', 0), 1)
    .action(async (options) => {
      await runDemo(
        { dataDir: options.data, outDir: options.out, preset: options.preset as PresetName, seed: options.seed },
        withProgress,
      );
    });
}

function registerSimulateCommand(program: Command): void {
  program
    .command('simulate')
    .description('write a simulated dataset in the official RxRx1 layout, with ground truth')
    .requiredOption('--out <dir>', 'output dataset folder')
    .addOption(new Option('--preset <name>', 'size preset').choices(Object.keys(PRESETS)).default('tiny'))
    .option('--seed <n>', 'random seed', integer('seed', 0), 1)
    .option(
      '--batch-strength <x>',
      'scale of all batch effects (0 = none, 1 = RxRx1-like)',
      number('batch strength', { min: 0 }),
      1,
    )
    .option('--threads <n>', 'worker threads', integer('threads', 1))
    .action(async (options) => {
      const summary = await withProgress('simulate', 'sites', (onProgress) =>
        simulate({
          out: options.out,
          preset: options.preset as PresetName,
          seed: options.seed,
          batchStrength: options.batchStrength,
          threads: options.threads,
          onProgress,
        }),
      );
      console.log(JSON.stringify(summary, null, 2));
    });
}

function registerCheckCommand(program: Command): void {
  program
    .command('check')
    .description('validate a dataset: metadata rows, missing/extra channel files, image format and decodability')
    .argument('<dir>', 'dataset folder (official or Kaggle layout)')
    .option('--json', 'print the report as JSON')
    .addOption(
      new Option('--decode <mode>', 'full: decode every image; header: read PNG headers only')
        .choices(['full', 'header'])
        .default('full'),
    )
    .option('--threads <n>', 'worker threads', integer('threads', 1))
    .option('--examples <n>', 'examples listed per problem kind', integer('examples', 0), 5)
    .action(async (dir, options) => {
      const report = await withProgress('check', 'plates', (onProgress) =>
        checkDataset(dir, {
          decode: options.decode,
          threads: options.threads,
          maxExamples: options.examples,
          onProgress,
        }),
      );
      if (options.json) console.log(JSON.stringify(report, null, 2));
      else printCheck(report);
      process.exitCode = report.ok ? 0 : 1;
    });
}

function registerIndexCommand(program: Command): void {
  program
    .command('index')
    .description('build (or reuse) the Parquet site index of a dataset')
    .argument('<dir>', 'dataset folder')
    .option(
      '--out <file>',
      'index file (default: DIR/.phenomap/sites.parquet, or ~/.cache/phenomap/... when DIR is read-only)',
    )
    .option('--rebuild', 'rebuild even when up to date')
    .action(async (dir, options) => {
      const result = await ensureSiteIndex(await detectLayout(dir), { file: options.out, rebuild: options.rebuild });
      console.log(
        result.built ? `indexed ${result.sites} sites -> ${result.file}` : `index up to date: ${result.file}`,
      );
      if (result.problems.length > 0)
        console.log(`${result.problems.length} bad metadata rows left out (run \`phenomap check ${dir}\`)`);
    });
}

function registerSitesCommand(program: Command): void {
  program
    .command('sites')
    .description('list sites from the index, filtered')
    .argument('<dir>', 'dataset folder')
    .option('--experiment <list>', 'comma-separated experiments', list)
    .option('--plate <list>', 'comma-separated plates', (v) => list(v).map(integer('plate', 1)))
    .option('--well <list>', 'comma-separated wells', list)
    .option('--cell-type <list>', 'comma-separated cell types', list)
    .option('--well-type <list>', 'treatment, negative_control, positive_control', list)
    .option('--sirna-id <list>', 'comma-separated siRNA ids', (v) => list(v).map(integer('sirna id', 0)))
    .option('--dataset <list>', 'train, test', list)
    .option('--json', 'print JSON records instead of site ids')
    .action(async (dir, options) => {
      const { file } = await ensureSiteIndex(await detectLayout(dir));
      const filter: SiteFilter = {
        experiment: options.experiment,
        plate: options.plate,
        well: options.well,
        cellType: options.cellType,
        wellType: options.wellType as WellType[] | undefined,
        sirnaId: options.sirnaId,
        dataset: options.dataset as Dataset[] | undefined,
      };
      const sites = await querySiteIndex(file, filter);
      if (options.json) console.log(JSON.stringify(sites, null, 2));
      else for (const site of sites) console.log(site.siteId);
    });
}

function registerRgbCommand(program: Command): void {
  program
    .command('rgb')
    .description("write a site's RGB composite exactly as rxrx1-utils convert_tensor_to_rgb does")
    .argument('<dir>', 'dataset folder')
    .argument('<site-id>', 'site id {experiment}_{plate}_{well}_{site}, e.g. HEPG2-01_1_B02_1')
    .requiredOption('-o, --out <file>', 'output PNG')
    .option('--channels <list>', 'channels to composite, e.g. 1,2,3 or w1,w2,w3 (default all six)', channelList)
    .option(
      '--percentiles <low,high>',
      'per-channel percentile ranges instead of the fixed rxrx1-utils ranges',
      percentilePair,
    )
    .action(async (dir, id, options) => {
      const layout = await detectLayout(dir);
      const { file } = await ensureSiteIndex(layout);
      const site = await findSite(file, id);
      const tensor = await loadSite(layout.imageRoot, site, { channels: options.channels });
      const rgb = compositeRgb(tensor, { channels: options.channels, percentiles: options.percentiles });
      fs.mkdirSync(path.dirname(path.resolve(options.out)), { recursive: true });
      fs.writeFileSync(options.out, encodePng(rgb, SITE_SIZE, SITE_SIZE, 3));
      console.log(`wrote ${options.out}`);
    });
}

function registerStatsCommand(program: Command): void {
  program
    .command('stats')
    .description('per-channel statistics of a site (mean, std, min, max, percentiles)')
    .argument('<dir>', 'dataset folder')
    .argument('<site-id>', 'site id, e.g. HEPG2-01_1_B02_1')
    .option('--channels <list>', 'channels to load (default all six)', channelList)
    .action(async (dir, id, options) => {
      const layout = await detectLayout(dir);
      const { file } = await ensureSiteIndex(layout);
      const site = await findSite(file, id);
      console.log(
        JSON.stringify(
          channelStats(await loadSite(layout.imageRoot, site, { channels: options.channels }), {
            percentiles: [1, 25, 50, 75, 99],
          }),
          null,
          2,
        ),
      );
    });
}

export function buildProgram(): Command {
  const program = new Command()
    .name('phenomap')
    .description('Maps of biology from RxRx1-style six-channel microscopy that hold across experiments.')
    .showHelpAfterError();
  registerDemoCommand(program);
  registerSimulateCommand(program);
  registerCheckCommand(program);
  registerIndexCommand(program);
  registerSitesCommand(program);
  registerRgbCommand(program);
  registerStatsCommand(program);
  registerFeaturizeCommands(program);
  registerCorrectCommands(program);
  registerEvaluateCommands(program);
  registerPipelineCommands(program);
  registerEmbedCommands(program);
  registerServeCommands(program);
  registerCompetitionCommands(program);
  return program;
}

buildProgram()
  .parseAsync()
  .catch((error: unknown) => {
    console.error(`phenomap: ${(error as Error).message}`);
    // 2 = the input cannot be read at all (check's contract); 1 for every other failure.
    process.exitCode = error instanceof DatasetError ? 2 : 1;
  });
