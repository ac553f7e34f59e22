/** `phenomap serve`: the HTTP API, the web app and the competition over one dataset. */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { createServer } from '../server/index.js';
import { integer } from './options.js';

/** The organizer token from a file (its first line), so that it never shows in `ps` as an argument would. */
export function readTokenFile(file: string): string {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    throw new InvalidArgumentError(`${file}: cannot be read (${(error as NodeJS.ErrnoException).code ?? error})`);
  }
  const token = text.split(/\r?\n/)[0].trim();
  if (token === '') throw new InvalidArgumentError(`${file}: empty (expected the organizer token on its first line)`);
  return token;
}

/** The built front end: dist/web beside this package's dist/src. */
export function defaultWebDir(): string {
  return path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'web');
}

export function registerServeCommands(program: Command): void {
  program
    .command('serve')
    .description('serve the HTTP API (see src/server/API.md), the web app and the competition for a dataset')
    .argument('<dir>', 'dataset folder (official or Kaggle layout, or simulated)')
    .option('--port <n>', 'port (0 = any free port)', integer('port', 0), 8080)
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option(
      '--db <url>',
      'SQLite file or postgres://user:password@host:port/database (default DIR/.phenomap/phenomap.sqlite)',
    )
    .option('--runs <dir>', 'folder of pipeline runs (metrics.json, report.html, profiles)')
    .option('--web <dir>', 'built web app to serve at / (default dist/web when built)')
    .option(
      '--key <file>',
      'competition solution key CSV id_code,sirna[,Usage] (default: the demo key of the labelled test wells)',
    )
    .option('--seed <n>', 'seed of the demo key Public/Private split', integer('seed', 0))
    .option('--daily-limit <n>', 'valid submissions per team per UTC day', integer('daily limit', 1), 5)
    .option(
      '--invalid-daily-limit <n>',
      'invalid submissions per team per UTC day',
      integer('invalid daily limit', 1),
      20,
    )
    .option(
      '--team-storage-mb <n>',
      'MiB of submitted files a team may store (an invalid one keeps 4 KiB)',
      integer('team storage', 1),
      50,
    )
    .option(
      '--organizer-token-file <file>',
      'file whose first line is the token that may close the competition (default: env PHENOMAP_ORGANIZER_TOKEN)',
      readTokenFile,
    )
    .addOption(
      new Option('--organizer-token <token>').hideHelp().argParser(() => {
        throw new InvalidArgumentError(
          'a token given as an argument shows in `ps` to every user of the machine: use --organizer-token-file FILE ' +
            'or the environment variable PHENOMAP_ORGANIZER_TOKEN',
        );
      }),
    )
    .option('--no-competition', 'serve no competition')
    .option('--rate-limit <n>', 'requests per minute per client (0 = unlimited)', integer('rate limit', 0), 5000)
    .option('--threads <n>', 'image worker threads', integer('threads', 1))
    .option('--log', 'log every request (JSON lines on stdout)')
    .action(async (dir: string, options) => {
      const app = await createServer({
        datasetDir: dir,
        db: options.db,
        runsDir: options.runs,
        webDir: options.web ?? defaultWebDir(),
        logger: Boolean(options.log),
        threads: options.threads,
        rateLimit: options.rateLimit === 0 ? false : { max: options.rateLimit, timeWindow: '1 minute' },
        competition:
          options.competition === false
            ? false
            : {
                key: options.key,
                seed: options.seed,
                dailyLimit: options.dailyLimit,
                invalidDailyLimit: options.invalidDailyLimit,
                teamStorageBytes: options.teamStorageMb * 1024 * 1024,
                // The option's parser read the file: its value is the token.
                organizerToken: options.organizerTokenFile,
              },
      });
      const address = await app.listen({ port: options.port, host: options.host });
      const health = (await app.inject('/api/health')).json() as { sites: number; competition: boolean; db: string };
      console.log(
        `phenomap serving ${path.resolve(dir)} (${health.sites} sites, db ${health.db}, competition ` +
          `${health.competition ? 'on' : 'off'}) at ${address}`,
      );
      const stop = () => {
        app.close().then(
          () => process.exit(0),
          () => process.exit(1),
        );
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
}
