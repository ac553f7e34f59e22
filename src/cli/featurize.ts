/** `phenomap featurize`: CellProfiler-style segmentation and per-cell measurements, profiles per plate. */
import type { Command } from 'commander';
import { featurizeDataset } from '../jobs/featurize.js';
import { list, positiveInteger } from './options.js';
import { printMetadataProblems } from './problems.js';
import { withProgress } from './progress.js';

export function registerFeaturizeCommands(program: Command): void {
  program
    .command('featurize')
    .description(
      'segment nuclei and cells, measure them (shape, intensity, colocalization, texture, granularity) and write ' +
        'per-site profiles, one Parquet part per plate',
    )
    .argument('<dir>', 'dataset folder (official or Kaggle layout)')
    .requiredOption('--out <dir>', 'profiles folder: sites/{experiment}_{plate}.parquet, problems.json, run.json')
    .option('--per-cell', 'also write one row per cell to cells/{experiment}_{plate}.parquet')
    .option('--threads <n>', 'worker threads (default: all cores)', positiveInteger('threads'))
    .option('--experiment <list>', 'comma-separated experiments', list)
    .option('--plate <list>', 'comma-separated plates', (value) => list(value).map(positiveInteger('plate')))
    .action(
      async (
        dir: string,
        options: { out: string; perCell?: boolean; threads?: number; experiment?: string[]; plate?: number[] },
      ) => {
        const summary = await withProgress('featurize', 'sites', (onProgress) =>
          featurizeDataset(dir, {
            out: options.out,
            perCell: options.perCell,
            threads: options.threads,
            filter: { experiment: options.experiment, plate: options.plate },
            onProgress,
            onMetadataProblems: (problems) => printMetadataProblems(problems, 'problems.json'),
          }),
        );
        const skipped = summary.plates.filter((plate) => plate.skipped).length;
        console.log(
          `featurized ${summary.featurized} of ${summary.sites} sites (${summary.features} features) in ` +
            `${summary.seconds} s -> ${summary.out}` +
            (skipped > 0 ? `; ${skipped} plate(s) already complete, skipped` : '') +
            (summary.metadataProblems > 0 ? `; ${summary.metadataProblems} metadata row(s) left out` : '') +
            (summary.problems > 0 ? `; ${summary.problems} site(s) with problems` : '') +
            (summary.metadataProblems + summary.problems > 0 ? ', see problems.json' : ''),
        );
      },
    );
}
