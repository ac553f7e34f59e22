/**
 * `phenomap correct | normalize | select IN --out OUT ...`: the correct/ library behind three commands. IN is a
 * profile table (a Parquet file or a folder of parts); OUT is a `.parquet` file, or a folder written with one
 * part per plate. Output goes to a temporary name first and is renamed when complete; a JSON record of the
 * run (command, options, input, shape, timing, versions) is written next to it (OUT.json, or OUT/run.json).
 */
import fs from 'node:fs';
import path from 'node:path';
import { type Command, Option } from 'commander';
import {
  correctProfiles,
  CORRECTION_METHODS,
  FIT_ON,
  NORMALIZE_METHODS,
  normalizeProfiles,
  SELECT_DEFAULTS,
  SELECT_OPERATIONS,
  selectFeatures,
  SPHERIZE_METHODS,
  WELL_POSITION_METHODS,
  type CorrectOptions,
  type NormalizeOptions,
  type SelectOptions,
} from '../correct/index.js';
import { fraction, listOf, positiveNumber } from './options.js';
import { META, readProfiles, selectRows, writeProfiles, type ProfileTable } from '../store/profiles.js';

/** Feature names, one per line (blank lines and lines starting with # ignored). */
function readNameList(file: string): string[] {
  return fs
    .readFileSync(file, 'utf8')
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'));
}

/**
 * Writes `table` to `out` (a .parquet file, or a folder of per-plate parts) via a temporary name, then the run
 * record. An existing OUT is replaced only with `overwrite`; OUT may never be the input.
 */
function writeOutput(
  input: string,
  out: string,
  table: ProfileTable,
  record: Record<string, unknown>,
  overwrite: boolean,
): void {
  if (path.resolve(out) === path.resolve(input))
    throw new Error(`--out ${out} is the input table; write the result somewhere else`);
  if (fs.existsSync(out) && !overwrite) throw new Error(`${out} exists; pass --overwrite to replace it`);
  const asFile = out.endsWith('.parquet');
  if (asFile) {
    writeProfiles(out, table); // itself atomic: temporary name, then rename
  } else {
    const temporary = `${out.replace(/[\\/]+$/, '')}.${process.pid}.tmp`;
    fs.rmSync(temporary, { recursive: true, force: true });
    fs.mkdirSync(temporary, { recursive: true });
    for (const [name, rows] of plateParts(table))
      writeProfiles(path.join(temporary, `${name}.parquet`), selectRows(table, rows));
    fs.writeFileSync(path.join(temporary, 'run.json'), `${JSON.stringify(record, null, 2)}\n`);
    if (fs.existsSync(out)) {
      const old = `${out.replace(/[\\/]+$/, '')}.${process.pid}.old`;
      fs.renameSync(out, old);
      fs.renameSync(temporary, out);
      fs.rmSync(old, { recursive: true, force: true });
    } else {
      fs.mkdirSync(path.dirname(path.resolve(out)), { recursive: true });
      fs.renameSync(temporary, out);
    }
    return;
  }
  fs.writeFileSync(`${out}.json`, `${JSON.stringify(record, null, 2)}\n`);
}

/** Row indices per plate part `{experiment}_{plate}` (one part "profiles" when the table has no plate columns). */
function plateParts(table: ProfileTable): Map<string, number[]> {
  const experiments = table.metadata[META.experiment];
  const plates = table.metadata[META.plate];
  const parts = new Map<string, number[]>();
  for (let i = 0; i < table.rows; i++) {
    const name = experiments && plates ? `${experiments[i]}_${plates[i]}`.replace(/[^A-Za-z0-9._-]/g, '_') : 'profiles';
    let rows = parts.get(name);
    if (!rows) {
      rows = [];
      parts.set(name, rows);
    }
    rows.push(i);
  }
  return parts;
}

/** Reads IN, runs `step`, writes OUT and the run record, prints a one-line summary. */
function run(
  command: string,
  input: string,
  out: string,
  overwrite: boolean,
  options: object,
  step: (table: ProfileTable) => { table: ProfileTable; extra?: Record<string, unknown> },
): void {
  const started = performance.now();
  const table = readProfiles(input);
  const read = performance.now();
  const { table: result, extra } = step(table);
  const computed = performance.now();
  const record = {
    command,
    options,
    input: path.resolve(input),
    output: path.resolve(out),
    rows: result.rows,
    featuresIn: table.features.length,
    featuresOut: result.features.length,
    ...extra,
    seconds: { read: (read - started) / 1000, compute: (computed - read) / 1000 },
    versions: { node: process.version },
    finishedAt: new Date().toISOString(),
  };
  writeOutput(input, out, result, record, overwrite);
  console.log(
    `${command}: ${result.rows} rows, ${table.features.length} -> ${result.features.length} features -> ${out} ` +
      `(${((performance.now() - started) / 1000).toFixed(1)} s)`,
  );
}

function registerCorrectCommand(program: Command): void {
  program
    .command('correct')
    .description(
      'batch-correct a profile table (center_scale, robust, spherize, tvn, coral: fitted per batch on controls; ' +
        'combat, harmony; jump: the JUMP-CP recipe)',
    )
    .argument('<in>', 'profile table: a .parquet file or a folder of parts')
    .requiredOption('--out <path>', 'output: a .parquet file, or a folder (one part per plate)')
    .addOption(new Option('--method <method>', 'correction method').choices(CORRECTION_METHODS).conflicts('recipe'))
    .addOption(new Option('--recipe <name>', "a named recipe: 'jump' (= --method jump)").choices(['jump']))
    .addOption(
      new Option(
        '--well-position <how>',
        'well-position correction first (well_mean: JUMP; spatial: rims, gradients)',
      ).choices(WELL_POSITION_METHODS),
    )
    .option('--cell-count', 'regress the cell count out of every feature first')
    .addOption(new Option('--batch <batch>', 'what a batch is').choices(['experiment', 'plate']).makeOptionMandatory())
    .addOption(
      new Option('--controls <rows>', 'rows the per-batch transforms are fitted on')
        .choices(FIT_ON)
        .default('negative'),
    )
    .option('--overwrite', 'replace OUT if it exists')
    .action((input: string, options: CorrectOptions & { out: string; overwrite?: boolean; recipe?: 'jump' }) => {
      const method = options.recipe ?? options.method;
      if (!method) throw new Error('correct: give --method or --recipe');
      const correct: CorrectOptions = {
        method,
        batch: options.batch,
        controls: options.controls,
        ...(options.wellPosition ? { wellPosition: options.wellPosition } : {}),
        ...(options.cellCount ? { cellCount: true } : {}),
      };
      run('correct', input, options.out, Boolean(options.overwrite), correct, (table) => ({
        table: correctProfiles(table, correct),
      }));
    });
}

function registerNormalizeCommand(program: Command): void {
  program
    .command('normalize')
    .description(
      'normalize features (pycytominer standardize, robust MAD, or spherize), fitted per group on all rows or ' +
        'negative controls',
    )
    .argument('<in>', 'profile table: a .parquet file or a folder of parts')
    .requiredOption('--out <path>', 'output: a .parquet file, or a folder (one part per plate)')
    .addOption(new Option('--method <method>', 'normalization').choices(NORMALIZE_METHODS).default('standardize'))
    .addOption(
      new Option('--spherize <variant>', 'sphering variant (method spherize)').choices(SPHERIZE_METHODS).default('ZCA'),
    )
    .option(
      '--epsilon <x>',
      'ε (default 1e-18 for robust, 1e-6 for spherize, as pycytominer)',
      positiveNumber('epsilon'),
    )
    .addOption(
      new Option('--by <group>', 'groups fitted separately').choices(['plate', 'experiment', 'all']).default('plate'),
    )
    .addOption(new Option('--fit-on <rows>', 'rows each group is fitted on').choices(FIT_ON).default('all'))
    .option('--overwrite', 'replace OUT if it exists')
    .action((input: string, options: NormalizeOptions & { out: string; overwrite?: boolean }) => {
      const normalize: NormalizeOptions = {
        method: options.method,
        spherize: options.spherize,
        epsilon: options.epsilon,
        fitOn: options.fitOn,
        by: options.by,
      };
      run('normalize', input, options.out, Boolean(options.overwrite), normalize, (table) => ({
        table: normalizeProfiles(table, normalize),
      }));
    });
}

function registerSelectCommand(program: Command): void {
  program
    .command('select')
    .description("select features with pycytominer's operations, run in the order given")
    .argument('<in>', 'profile table: a .parquet file or a folder of parts')
    .requiredOption('--out <path>', 'output: a .parquet file, or a folder (one part per plate)')
    .requiredOption(
      '--operations <list>',
      `comma-separated, from ${SELECT_OPERATIONS.join(', ')}`,
      listOf(SELECT_OPERATIONS),
    )
    .addOption(new Option('--fit-on <rows>', 'rows the statistics are computed on').choices(FIT_ON).default('all'))
    .option(
      '--freq-cut <x>',
      'variance_threshold: 2nd/1st most common value count cut',
      fraction('freq cut'),
      SELECT_DEFAULTS.freqCut,
    )
    .option(
      '--unique-cut <x>',
      'variance_threshold: distinct values / rows cut',
      fraction('unique cut'),
      SELECT_DEFAULTS.uniqueCut,
    )
    .option(
      '--corr-threshold <x>',
      'correlation_threshold: Pearson correlation cut',
      fraction('correlation threshold'),
      SELECT_DEFAULTS.corrThreshold,
    )
    .option(
      '--na-cutoff <x>',
      'drop_na_columns: largest tolerated missing fraction',
      fraction('na cutoff'),
      SELECT_DEFAULTS.naCutoff,
    )
    .option(
      '--outlier-cutoff <x>',
      'drop_outliers: largest tolerated |value|',
      positiveNumber('outlier cutoff'),
      SELECT_DEFAULTS.outlierCutoff,
    )
    .option('--blocklist <file>', 'blocklist: file of feature names, one per line')
    .option('--overwrite', 'replace OUT if it exists')
    .action(
      (
        input: string,
        options: Omit<SelectOptions, 'blocklist'> & { blocklist?: string; out: string; overwrite?: boolean },
      ) => {
        const select: SelectOptions = {
          operations: options.operations,
          fitOn: options.fitOn,
          freqCut: options.freqCut,
          uniqueCut: options.uniqueCut,
          corrThreshold: options.corrThreshold,
          naCutoff: options.naCutoff,
          outlierCutoff: options.outlierCutoff,
          blocklist: options.blocklist === undefined ? undefined : readNameList(options.blocklist),
        };
        run(
          'select',
          input,
          options.out,
          Boolean(options.overwrite),
          { ...select, blocklist: options.blocklist },
          (table) => {
            const { table: selected, dropped } = selectFeatures(table, select);
            return { table: selected, extra: { dropped } };
          },
        );
      },
    );
}

export function registerCorrectCommands(program: Command): void {
  registerCorrectCommand(program);
  registerNormalizeCommand(program);
  registerSelectCommand(program);
}
