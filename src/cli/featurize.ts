/** `phenomap featurize`: CellProfiler-style segmentation and per-cell measurements, profiles per plate. */
import type { Command } from 'commander';
import { type FeaturizeSummary, featurizeDataset } from '../jobs/featurize.js';
import { list, positiveInteger } from './options.js';
import { printMetadataProblems } from './problems.js';
import { withProgress } from './progress.js';

const EXAMPLES = 5;

/** What a featurization did, for people: one summary line on stdout, plates without output and failures on stderr. */
export function reportFeaturize(summary: FeaturizeSummary): void {
  const skipped = summary.plates.filter((plate) => plate.skipped).length;
  const empty = summary.plates.filter((plate) => plate.status === 'empty');
  const absentPlates = empty.filter((plate) => plate.absent === plate.sites);
  const unreadable = empty.filter((plate) => plate.absent < plate.sites);
  console.log(
    `featurized ${summary.featurized} of ${summary.sites} sites (${summary.features} features) in ` +
      `${summary.seconds} s -> ${summary.out}` +
      (skipped > 0 ? `; ${skipped} plate(s) already complete, skipped` : '') +
      (summary.absent > 0 ? `; ${summary.absent} site(s) have no images at the dataset's location` : '') +
      (summary.metadataProblems > 0 ? `; ${summary.metadataProblems} metadata row(s) left out` : '') +
      (summary.problems > 0 ? `; ${summary.problems} site(s) with problems` : '') +
      (summary.metadataProblems + summary.problems > 0 ? ', see problems.json' : ''),
  );
  if (absentPlates.length > 0)
    console.error(
      `${absentPlates.length} plate(s) have no images at all (a partial download?), no part written: ` +
        `${absentPlates
          .slice(0, EXAMPLES)
          .map((plate) => plate.plate)
          .join(', ')}${absentPlates.length > EXAMPLES ? ', ...' : ''} (\`phenomap check\` lists the missing files)`,
    );
  for (const plate of unreadable) console.error(`plate ${plate.plate}: no part written: ${plate.note}`);
  if (summary.failed > 0) console.error(`${summary.failed} site(s) failed in the selected plates (problems.json)`);
  if (summary.exitCode === 2) console.error('nothing could be featurized');
}

export function registerFeaturizeCommands(program: Command): void {
  program
    .command('featurize')
    .description(
      'segment nuclei and cells, measure them (shape, intensity, colocalization, texture, granularity) and write ' +
        'per-site profiles, one Parquet part per plate; exit 0 all done, 1 done with failed sites, 2 nothing done',
    )
    .argument('<dir>', 'dataset: a folder (official or Kaggle layout), an s3:// prefix or the released .zip')
    .requiredOption(
      '--out <dir>',
      'profiles folder or s3:// prefix: sites/{experiment}_{plate}.parquet, manifests/, problems.json, run.json',
    )
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
        reportFeaturize(summary);
        process.exitCode = summary.exitCode;
      },
    );
}
