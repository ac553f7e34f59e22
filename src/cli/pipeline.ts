/** `phenomap pipeline DIR --out RUN_DIR`: featurize -> select -> normalize -> correct -> evaluate, resumable. */
import { type Command, Option } from 'commander';
import { CORRECTION_METHODS, type CorrectionMethod } from '../evaluate/index.js';
import { FIT_ON, type FitOn } from '../correct/index.js';
import { PIPELINE_DEFAULTS, runPipeline } from '../jobs/pipeline.js';
import { listOf, positiveInteger } from './options.js';
import { printMetadataProblems } from './problems.js';
import { withProgress } from './progress.js';
import { reportFeaturize } from './featurize.js';

export function registerPipelineCommands(program: Command): void {
  program
    .command('pipeline')
    .description(
      'featurize, select, normalize, batch-correct and evaluate a dataset in one resumable run; exit 0 all done, 1 ' +
        'done with failed sites, 2 nothing could be featurized',
    )
    .argument('<dir>', 'dataset folder')
    .requiredOption('--out <dir>', 'run folder (a rerun resumes where it stopped)')
    .option(
      '--methods <list>',
      `correction methods compared (${CORRECTION_METHODS.join(', ')})`,
      listOf(CORRECTION_METHODS),
      PIPELINE_DEFAULTS.methods,
    )
    .addOption(
      new Option('--batch <unit>', 'batch unit (default: chosen by cross-validation)').choices(['experiment', 'plate']),
    )
    .addOption(
      new Option(
        '--controls <rows>',
        'rows per-batch corrections fit on (default: chosen by cross-validation)',
      ).choices(FIT_ON),
    )
    .option('--threads <n>', 'worker threads', positiveInteger('threads'))
    .option('--no-umap', 'skip UMAP plots')
    .option(
      '--ground-truth <file>',
      "score against this ground truth (default: DIR/ground_truth.json when it is the simulator's; another one " +
        'is skipped with a warning)',
    )
    .action(
      async (
        dir: string,
        options: {
          out: string;
          methods: CorrectionMethod[];
          batch?: 'experiment' | 'plate';
          controls?: FitOn;
          threads?: number;
          umap: boolean;
          groundTruth?: string;
        },
      ) => {
        const summary = await withProgress('featurize', 'sites', (onProgress) =>
          runPipeline(dir, {
            ...options,
            onProgress,
            onStep: (step, detail) => process.stderr.write(`[${step}] ${detail}\n`),
            onMetadataProblems: (problems) => printMetadataProblems(problems, 'profiles/problems.json'),
            onWarning: (message) => process.stderr.write(`warning: ${message}\n`),
          }),
        );
        reportFeaturize(summary.featurize);
        if (summary.exitCode === 2) console.error('pipeline stopped after featurize: no profiles to go on with');
        else
          console.log(
            `run: ${summary.run}\nselected: ${summary.selected}\nprofiles: ${summary.profiles}\n` +
              `report: ${summary.report}\nmetrics: ${summary.metrics}`,
          );
        process.exitCode = summary.exitCode;
      },
    );
}
