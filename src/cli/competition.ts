/**
 * Competition commands: `phenomap score` (offline scoring with the server's code), `phenomap submit` (to a
 * running server) and `phenomap competition key` (export the demo solution key of a labelled dataset).
 */
import fs from 'node:fs';
import path from 'node:path';
import { type Command, Option } from 'commander';
import { detectLayout } from '../data/layout.js';
import { readSites } from '../data/metadata.js';
import { demoKey, formatKey, parseKey, DEFAULT_PUBLIC_FRACTION, DEFAULT_SPLIT_SEED } from '../competition/key.js';
import { scoreSubmission } from '../competition/submission.js';
import { fraction, integer } from './options.js';

export function registerCompetitionCommands(program: Command): void {
  program
    .command('score')
    .description('score a submission CSV (id_code,sirna) against a solution key, exactly as the server does')
    .argument('<submission>', 'submission CSV')
    .requiredOption(
      '--key <file>',
      'solution key CSV: id_code,sirna[,Usage] (Usage = Public/Private, as in Kaggle solution files)',
    )
    .option('--json', 'print the scores as JSON')
    .action((submission: string, options) => {
      const key = parseKey(fs.readFileSync(options.key, 'utf8'), options.key);
      const result = scoreSubmission(fs.readFileSync(submission), key, { maxBytes: Number.MAX_SAFE_INTEGER });
      if (!result.valid) {
        console.error(`${submission}: invalid submission: ${result.message}`);
        process.exitCode = 1;
        return;
      }
      const { scores } = result;
      if (options.json) {
        console.log(JSON.stringify(scores, null, 2));
        return;
      }
      console.log(`accuracy ${scores.accuracy.toFixed(5)} (${scores.rows} wells)`);
      if (scores.public !== null) console.log(`public   ${scores.public.toFixed(5)} (${scores.publicRows} wells)`);
      if (scores.private !== null) console.log(`private  ${scores.private.toFixed(5)} (${scores.privateRows} wells)`);
    });

  registerSubmitCommand(program);

  const competition = program.command('competition').description('competition utilities');
  competition
    .command('key')
    .description('export the demo solution key of a labelled dataset (its test treatment wells), id_code,sirna,Usage')
    .argument('<dir>', 'dataset folder whose metadata labels the test wells (e.g. a simulated one)')
    .requiredOption('--out <file>', 'key CSV to write')
    .option('--seed <n>', 'seed of the Public/Private split', integer('seed', 0), DEFAULT_SPLIT_SEED)
    .option(
      '--public-fraction <x>',
      'fraction of ids on the public board',
      fraction('public fraction'),
      DEFAULT_PUBLIC_FRACTION,
    )
    .action(async (dir: string, options) => {
      const { sites } = await readSites(await detectLayout(dir));
      const key = demoKey(sites, { seed: options.seed, publicFraction: options.publicFraction });
      if (!key)
        throw new Error(
          `${dir}: no test treatment wells with a sirna_id (the demo key needs a labelled dataset, e.g. ` +
            `\`phenomap simulate\`)`,
        );
      fs.mkdirSync(path.dirname(path.resolve(options.out)), { recursive: true });
      fs.writeFileSync(options.out, formatKey(key));
      const publicIds = key.usage!.reduce((sum, u) => sum + u, 0);
      console.log(
        `wrote ${options.out}: ${key.ids.length} ids (${publicIds} Public, ${key.ids.length - publicIds} Private)`,
      );
    });
}

function registerSubmitCommand(program: Command): void {
  program
    .command('submit')
    .description('submit a CSV to a phenomap competition server')
    .argument('<file>', 'submission CSV (id_code,sirna)')
    .requiredOption('--server <url>', 'server address, e.g. http://127.0.0.1:8080')
    .addOption(
      new Option('--token <token>', 'team token (from POST /api/competition/teams)')
        .env('PHENOMAP_TEAM_TOKEN')
        .makeOptionMandatory(),
    )
    .action(async (file: string, options) => {
      const url = new URL('/api/competition/submissions', options.server);
      const body = fs.readFileSync(file);
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'text/csv', authorization: `Bearer ${options.token}` },
        body,
      }).catch((error: Error & { cause?: { code?: string; message?: string } }) => {
        const why = error.cause?.message ?? error.message;
        throw new Error(
          `cannot reach the competition server at ${url.origin} (${why}): is \`phenomap serve\` running there? ` +
            `${file} was not submitted`,
        );
      });
      const answer = (await response.json().catch(() => ({}))) as {
        error?: string;
        submission?: { id: number; publicScore: number | null };
        quota?: { used: number; limit: number };
      };
      if (!response.ok) {
        console.error(`submission refused (${response.status}): ${answer.error ?? response.statusText}`);
        process.exitCode = 1;
        return;
      }
      console.log(
        `submission ${answer.submission?.id}: public score ${answer.submission?.publicScore?.toFixed(5)} ` +
          `(${answer.quota?.used}/${answer.quota?.limit} today)`,
      );
    });
}
