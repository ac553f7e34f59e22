/** `phenomap score`, `phenomap competition key`. */
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { Command } from 'commander';
import { formatKey, makeKey, parseKey } from '../../src/competition/key.js';
import { scoreSubmission, SUBMISSION_MESSAGES } from '../../src/competition/submission.js';
import { registerCompetitionCommands } from '../../src/cli/competition.js';
import { tempDir, needsSample } from '../helpers.js';
import { officialRow, realOfficialDataset } from '../datasetFixtures.js';
import { IDS, KEY, csv, publicIndices, privateIndices, wrongAt } from '../competition/fixture.js';

// ---- command line ----

describe('phenomap score / competition key', () => {
  let dir: string;
  let output: string[];
  let errors: string[];
  const originalLog = console.log;
  const originalError = console.error;

  before(() => {
    dir = tempDir('phenomap-score-');
  });

  async function run(...args: string[]): Promise<number> {
    output = [];
    errors = [];
    process.exitCode = 0;
    console.log = (...parts: unknown[]) => void output.push(parts.join(' '));
    console.error = (...parts: unknown[]) => void errors.push(parts.join(' '));
    try {
      const program = new Command().exitOverride();
      registerCompetitionCommands(program);
      await program.parseAsync(['node', 'phenomap', ...args]);
      return Number(process.exitCode ?? 0);
    } finally {
      console.log = originalLog;
      console.error = originalError;
      const code = process.exitCode;
      process.exitCode = 0;
      void code;
    }
  }

  test('scores with the same code, printing public/private when the key has Usage', async () => {
    const keyFile = path.join(dir, 'key.csv');
    fs.writeFileSync(keyFile, formatKey(KEY));
    const submission = path.join(dir, 'sub.csv');
    fs.writeFileSync(submission, csv(wrongAt([publicIndices()[0], privateIndices()[0], privateIndices()[1]])));
    assert.equal(await run('score', submission, '--key', keyFile), 0);
    assert.deepEqual(output, [
      'accuracy 0.75000 (12 wells)',
      'public   0.75000 (4 wells)',
      'private  0.75000 (8 wells)',
    ]);
    assert.equal(await run('score', submission, '--key', keyFile, '--json'), 0);
    assert.deepEqual(
      JSON.parse(output.join('\n')),
      scoreSubmission(fs.readFileSync(submission), KEY).valid
        ? (scoreSubmission(fs.readFileSync(submission), KEY) as { scores: object }).scores
        : null,
    );

    const plainKey = path.join(dir, 'plain.csv');
    fs.writeFileSync(plainKey, formatKey(makeKey(IDS.map((id, i) => ({ id, sirna: 7 * i })))));
    assert.equal(await run('score', submission, '--key', plainKey), 0);
    assert.deepEqual(output, ['accuracy 0.75000 (12 wells)']);
  });

  test('an invalid submission exits non-zero with the message', async () => {
    const keyFile = path.join(dir, 'key.csv');
    fs.writeFileSync(keyFile, formatKey(KEY));
    const bad = path.join(dir, 'bad.csv');
    fs.writeFileSync(bad, 'id_code,label\n');
    assert.equal(await run('score', bad, '--key', keyFile), 1);
    assert.deepEqual(errors, [`${bad}: invalid submission: ${SUBMISSION_MESSAGES.header('id_code,label')}`]);
  });

  test('competition key exports the demo key of a labelled dataset', { skip: needsSample() }, async () => {
    const rows = IDS.slice(0, 6).flatMap((id, i) =>
      [1, 2].map((s) =>
        officialRow({
          dataset: 'test',
          experiment: 'HEPG2-08',
          plate: 1,
          well: id.split('_')[2],
          site: s,
          wellType: 'treatment',
          sirnaId: 7 * i,
        }),
      ),
    );
    const dataset = realOfficialDataset(rows.slice(0, 2));
    fs.writeFileSync(
      path.join(dataset, 'metadata.csv'),
      `${fs.readFileSync(path.join(dataset, 'metadata.csv'), 'utf8') + rows.slice(2).join('\n')}\n`,
    );
    const out = path.join(dir, 'demo-key.csv');
    assert.equal(await run('competition', 'key', dataset, '--out', out, '--seed', '3'), 0);
    assert.deepEqual(output, [`wrote ${out}: 6 ids (2 Public, 4 Private)`]);
    const key = parseKey(fs.readFileSync(out, 'utf8'));
    assert.deepEqual(key.ids, IDS.slice(0, 6));
    assert.deepEqual([...key.sirna], [0, 7, 14, 21, 28, 35]);
  });
});
