/** Submission validation (every message, exactly) and scoring. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { makeKey, splitKey } from '../../src/competition/key.js';
import {
  checkSubmission,
  scoreSubmission,
  SUBMISSION_MESSAGES,
  MAX_SUBMISSION_SIRNA,
} from '../../src/competition/submission.js';
import { SHARED_RXRX1, needsSample } from '../helpers.js';
import { IDS, KEY, csv, TRUTH, publicIndices, privateIndices, wrongAt } from './fixture.js';

// ---- validation: every message, exactly ----

describe('submission validation messages', () => {
  const check = (text: string | Uint8Array, maxBytes?: number) => {
    const result = checkSubmission(text, KEY, { maxBytes });
    assert.equal(result.valid, false);
    return (result as { message: string }).message;
  };

  test('empty file', () => {
    assert.equal(
      SUBMISSION_MESSAGES.empty,
      'empty file: expected the header "id_code,sirna" and one row per test id_code',
    );
    assert.equal(check(''), SUBMISSION_MESSAGES.empty);
    assert.equal(check(' \n\r\n'), SUBMISSION_MESSAGES.empty);
    assert.equal(check(new Uint8Array(0)), SUBMISSION_MESSAGES.empty);
  });

  test('file too large', () => {
    assert.equal(check(csv(TRUTH), 100), 'file too large: the limit is 100 bytes');
  });

  test('header must be exactly id_code,sirna', () => {
    assert.equal(check('id,sirna\nHEPG2-08_1_B03,0\n'), 'header must be exactly "id_code,sirna", got "id,sirna"');
    assert.equal(check('id_code,sirna,extra\n'), 'header must be exactly "id_code,sirna", got "id_code,sirna,extra"');
    assert.equal(check('ID_CODE,SIRNA\n'), 'header must be exactly "id_code,sirna", got "ID_CODE,SIRNA"');
  });

  test('malformed rows', () => {
    const text = csv(TRUTH)
      .replace('HEPG2-08_1_B05,14', 'HEPG2-08_1_B05,14,3')
      .replace('HEPG2-08_1_B06,21', 'HEPG2-08_1_B06');
    assert.equal(
      check(text),
      '2 malformed row(s) (expected 2 comma-separated fields id_code,sirna), e.g. line 4: "HEPG2-08_1_B05,14,3", line 5: "HEPG2-08_1_B06"; 2 id_code(s) missing, e.g. "HEPG2-08_1_B05", "HEPG2-08_1_B06"',
    );
  });

  test('non-integer or out-of-range sirna (treatment labels 0..1107)', () => {
    assert.equal(MAX_SUBMISSION_SIRNA, 1107);
    const labels: (number | string)[] = [...TRUTH];
    labels[0] = 'abc';
    labels[1] = 1108;
    labels[2] = '-1';
    labels[3] = '2.5';
    assert.equal(
      check(csv(labels)),
      '4 row(s) with a sirna that is not an integer in 0..1107, e.g. line 2: "abc", line 3: "1108", line 4: "-1"',
    );
    labels.fill(0);
    labels[5] = '';
    assert.equal(check(csv(labels)), '1 row(s) with a sirna that is not an integer in 0..1107, e.g. line 7: ""');
    assert.equal(checkSubmission(csv(labels.map(() => 1107)), KEY).valid, true, '1107 is a label');
  });

  test('duplicate ids', () => {
    const text = `${csv(TRUTH)}HEPG2-08_1_B04,7\nHEPG2-08_1_B03,0\n`;
    assert.equal(
      check(text),
      '2 duplicate id_code(s), e.g. "HEPG2-08_1_B04" (lines 3 and 14), "HEPG2-08_1_B03" (lines 2 and 15)',
    );
  });

  test('unknown ids', () => {
    const text = `${csv(TRUTH)}HEPG2-08_1_Z99,7\nnope,1\n`;
    assert.equal(
      check(text),
      '2 unknown id_code(s) (not in the test set), e.g. "HEPG2-08_1_Z99" (line 14), "nope" (line 15)',
    );
  });

  test('missing ids: count and the first few', () => {
    assert.equal(
      check(csv(TRUTH.slice(0, 7), IDS.slice(0, 7))),
      '5 id_code(s) missing, e.g. "HEPG2-08_1_B10", "HEPG2-08_1_B11", "HEPG2-08_1_B12"',
    );
    assert.equal(
      check('id_code,sirna\n'),
      '12 id_code(s) missing, e.g. "HEPG2-08_1_B03", "HEPG2-08_1_B04", "HEPG2-08_1_B05"',
    );
  });

  test('several problems are reported together, in a fixed order', () => {
    const result = checkSubmission('id_code,sirna\nHEPG2-08_1_B03,x\nHEPG2-08_1_B03,1\nzz,1\n', KEY);
    assert.equal(result.valid, false);
    if (result.valid) return;
    assert.deepEqual(result.problems, [
      SUBMISSION_MESSAGES.badSirna(1, 'line 2: "x"'),
      SUBMISSION_MESSAGES.duplicate(1, '"HEPG2-08_1_B03" (lines 2 and 3)'),
      SUBMISSION_MESSAGES.unknown(1, '"zz" (line 4)'),
      SUBMISSION_MESSAGES.missing(11, '"HEPG2-08_1_B04", "HEPG2-08_1_B05", "HEPG2-08_1_B06"'),
    ]);
    assert.equal(result.message, result.problems.join('; '));
  });

  test('accepted leniencies: BOM, CRLF, blank lines, quoted fields, any row order', () => {
    const rows = IDS.map((id, i) => `"${id}",${TRUTH[i]}`).reverse();
    const text = `\uFEFFid_code,sirna\r\n${rows.join('\r\n')}\r\n\r\n`;
    const result = scoreSubmission(Buffer.from(text), KEY);
    assert.equal(result.valid, true);
    if (result.valid) assert.equal(result.scores.accuracy, 1);
  });
});

test('accuracy overall and per board, by hand', () => {
  const wrong = [publicIndices()[0], privateIndices()[0], privateIndices()[1]];
  const result = scoreSubmission(csv(wrongAt(wrong)), KEY);
  assert.equal(result.valid, true);
  if (!result.valid) return;
  assert.equal(result.scores.accuracy, 9 / 12);
  assert.equal(result.scores.public, 3 / 4);
  assert.equal(result.scores.private, 6 / 8);
  assert.deepEqual([result.scores.rows, result.scores.publicRows, result.scores.privateRows], [12, 4, 8]);
  const noUsage = scoreSubmission(csv(wrongAt(wrong)), makeKey(IDS.map((id, i) => ({ id, sirna: 7 * i }))));
  assert.ok(
    noUsage.valid &&
      noUsage.scores.public === null &&
      noUsage.scores.private === null &&
      noUsage.scores.accuracy === 0.75,
  );
});

test('a full-size submission (the 19,897 test ids of RxRx1) validates and scores', { skip: needsSample() }, () => {
  const ids = fs
    .readFileSync(path.join(SHARED_RXRX1, 'metadata', 'test.csv'), 'utf8')
    .trim()
    .split('\n')
    .slice(1)
    .map((line) => line.split(',')[0]);
  assert.equal(ids.length, 19897);
  let state = 1;
  const random = () => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state % 1108;
  };
  const key = splitKey(makeKey(ids.map((id) => ({ id, sirna: random() }))), { seed: 1 });
  const labels = ids.map((id, i) =>
    i % 4 === 0 ? key.sirna[key.index.get(id)!] : (key.sirna[key.index.get(id)!] + 1) % 1108,
  );
  const text = ['id_code,sirna', ...ids.map((id, i) => `${id},${labels[i]}`)].join('\n');
  const started = performance.now();
  const result = scoreSubmission(text, key);
  const ms = performance.now() - started;
  assert.equal(result.valid, true);
  if (result.valid) assert.equal(result.scores.accuracy, Math.ceil(19897 / 4) / 19897);
  // Timing is measured by bench/server.ts; here it is only reported.
  console.log(`19,897-row submission parsed, validated and scored in ${ms.toFixed(1)} ms`);
  // And the same file with sample_submission.csv's ids is valid against this key.
  const sample = fs.readFileSync(path.join(SHARED_RXRX1, 'metadata', 'sample_submission.csv'), 'utf8');
  assert.equal(checkSubmission(sample, key).valid, true);
});
