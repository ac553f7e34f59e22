import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { Command } from 'commander';
import {
  demoKey,
  formatKey,
  keyFingerprint,
  makeKey,
  parseKey,
  splitKey,
  type SolutionKey,
} from '../src/competition/key.js';
import {
  checkSubmission,
  scoreSubmission,
  SUBMISSION_MESSAGES,
  MAX_SUBMISSION_SIRNA,
} from '../src/competition/submission.js';
import { Competition, COMPETITION_MESSAGES, type CompetitionError } from '../src/competition/store.js';
import { dropPostgresSchema, openDb, type Db } from '../src/competition/db.js';
import { migrate, MIGRATIONS } from '../src/competition/migrations.js';
import { registerCompetitionCommands } from '../src/cli/competition.js';
import type { SiteRecord } from '../src/data/site.js';
import { REPO_ROOT, SHARED_RXRX1, tempDir, needsSample, requirement } from './helpers.js';
import { officialRow, realOfficialDataset } from './datasetFixtures.js';

// ---- fixtures ----

/** 12 test wells, labels 7 * i; 4 Public (seeded split), 8 Private. */
const IDS = Array.from({ length: 12 }, (_, i) => `HEPG2-08_1_B${String(i + 3).padStart(2, '0')}`);
const KEY = splitKey(makeKey(IDS.map((id, i) => ({ id, sirna: 7 * i }))), { seed: 7 });

function csv(labels: (number | string)[], ids: string[] = IDS): string {
  return `${['id_code,sirna', ...ids.map((id, i) => `${id},${labels[i]}`)].join('\n')}\n`;
}

const TRUTH = IDS.map((_, i) => 7 * i);
const publicIndices = () => IDS.map((_, i) => i).filter((i) => KEY.usage![KEY.index.get(IDS[i])!] === 1);
const privateIndices = () => IDS.map((_, i) => i).filter((i) => KEY.usage![KEY.index.get(IDS[i])!] === 0);

/** Truth with the given positions wrong. */
function wrongAt(indices: number[]): number[] {
  return TRUTH.map((label, i) => (indices.includes(i) ? (label + 1) % 1108 : label));
}

function site(
  id: string,
  dataset: 'train' | 'test',
  wellType: SiteRecord['wellType'],
  sirnaId: number | null,
  siteNumber = 1,
): SiteRecord {
  const [experiment, plate, well] = id.split('_');
  return {
    siteId: `${id}_${siteNumber}`,
    wellId: id,
    cellType: 'HEPG2',
    dataset,
    experiment,
    plate: Number(plate),
    well,
    site: siteNumber,
    wellType,
    sirna: null,
    sirnaId,
  };
}

// ---- keys ----

test('the demo key holds the labelled test treatment wells, split Public/Private by a seeded shuffle', () => {
  const sites = [
    ...IDS.flatMap((id, i) => [site(id, 'test', 'treatment', 7 * i, 1), site(id, 'test', 'treatment', 7 * i, 2)]),
    site('HEPG2-08_1_B02', 'test', 'negative_control', 1138),
    site('HEPG2-01_1_B03', 'train', 'treatment', 3),
    site('HEPG2-08_2_B03', 'test', 'treatment', null),
  ];
  const key = demoKey(sites, { seed: 7 })!;
  assert.deepEqual(key.ids, [...IDS].sort());
  assert.equal(
    key.usage!.reduce((a, b) => a + b, 0),
    4,
    'round(12 / 3) Public',
  );
  assert.deepEqual([...demoKey(sites, { seed: 7 })!.usage!], [...key.usage!], 'same seed, same split');
  assert.notDeepEqual([...demoKey(sites, { seed: 8 })!.usage!], [...key.usage!], 'another seed, another split');
  assert.equal(keyFingerprint(key), keyFingerprint(KEY));
  assert.equal(demoKey([site('HEPG2-08_1_B03', 'test', 'treatment', null)]), null, 'no labels, no key');
});

test('keys round-trip through CSV, Kaggle solution files included', () => {
  const text = formatKey(KEY);
  assert.equal(text.split('\n')[0], 'id_code,sirna,Usage');
  const back = parseKey(text);
  assert.deepEqual(back.ids, KEY.ids);
  assert.deepEqual([...back.sirna], [...KEY.sirna]);
  assert.deepEqual([...back.usage!], [...KEY.usage!]);
  const kaggle = parseKey('Usage,sirna,id_code,extra\r\nPublic,5,A_1_B02,x\r\nPrivate,6,A_1_B03,y\r\n');
  assert.deepEqual([...kaggle.usage!], [1, 0]);
  assert.equal(parseKey('id_code,sirna\nA_1_B02,5\n').usage, null);
  assert.throws(
    () => parseKey('id_code,sirna,Usage\nA_1_B02,5,Hidden\n', 'k.csv'),
    /k\.csv:2: Usage="Hidden": expected Public or Private/,
  );
  assert.throws(() => parseKey('id,label\n'), /expected columns id_code,sirna/);
});

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

// ---- the store, on SQLite and (when configured) PostgreSQL ----

interface PgTarget {
  url: string;
  fromEnv: boolean;
}

function pgTarget(): PgTarget | null {
  if (process.env.PHENOMAP_TEST_PG_URL) return { url: process.env.PHENOMAP_TEST_PG_URL, fromEnv: true };
  const file = path.join(REPO_ROOT, '.ci', 'pg-url');
  if (fs.existsSync(file)) return { url: fs.readFileSync(file, 'utf8').trim(), fromEnv: false };
  return null;
}

/** A fresh PostgreSQL schema for this run, or the reason the PostgreSQL tests are skipped. */
async function pgSchema(): Promise<{ url: string; schema: string } | string> {
  const target = pgTarget();
  if (!target) return 'PostgreSQL tests skipped: set PHENOMAP_TEST_PG_URL (CI: .ci/services.sh writes .ci/pg-url)';
  const schema = `phenomap_test_${process.pid}_${Date.now().toString(36)}`;
  try {
    const db = await openDb(target.url);
    try {
      await db.get('SELECT 1 AS ok');
    } finally {
      await db.close();
    }
  } catch (error) {
    if (target.fromEnv)
      throw new Error(`PHENOMAP_TEST_PG_URL=${target.url}: cannot connect (${(error as Error).message})`);
    return `PostgreSQL tests skipped: .ci/pg-url names ${target.url}, which does not answer (${(error as Error).message}); run .ci/services.sh`;
  }
  return { url: target.url, schema };
}

const pg = await pgSchema();
if (typeof pg === 'string') console.log(requirement(false, pg));

function storeSuite(
  label: string,
  open: (name: string) => Promise<Db>,
  cleanup: () => Promise<void>,
  skip: string | false,
) {
  describe(`competition store (${label})`, { skip }, () => {
    after(cleanup);
    let base = Date.parse('2026-01-05T09:00:00.000Z');
    let tick = 0;
    const now = () => new Date(base + 1000 * tick++);
    const ORGANIZER = 'organizer-secret';
    const opened: Db[] = [];
    after(async () => {
      for (const db of opened) await db.close();
    });
    const competitionOn = async (name: string, key: SolutionKey = KEY, dailyLimit = 3) => {
      const db = await open(name);
      opened.push(db);
      return Competition.open(db, { key, dailyLimit, organizerToken: ORGANIZER, now, maxBytes: 4096 });
    };

    test('migrations apply once and are recorded', async () => {
      const db = await open('migrations');
      opened.push(db);
      assert.deepEqual(
        await migrate(db),
        MIGRATIONS.map((m) => m.version),
      );
      assert.deepEqual(await migrate(db), [], 'nothing left to apply');
      const rows = await db.all<{ version: number }>('SELECT version FROM schema_migrations');
      assert.deepEqual(
        rows.map((r) => Number(r.version)),
        [1],
      );
    });

    test('teams: token shown once and stored hashed, names unique ignoring case', async () => {
      const c = await competitionOn('teams');
      const { team, token } = await c.registerTeam('  Cell Painters ');
      assert.equal(team.name, 'Cell Painters');
      assert.match(token, /^pm_[A-Za-z0-9_-]{32}$/);
      const stored = await c.db.get<{ token_hash: string }>('SELECT token_hash FROM teams WHERE id = ?', [team.id]);
      assert.notEqual(stored!.token_hash, token);
      assert.equal(stored!.token_hash.length, 64);
      assert.deepEqual(await c.authenticate(token), team);
      await assert.rejects(
        c.registerTeam('cell painters'),
        (e: CompetitionError) =>
          e.statusCode === 409 && e.message === 'name: a team named "cell painters" already exists',
      );
      await assert.rejects(
        c.registerTeam('../x'),
        (e: CompetitionError) => e.statusCode === 400 && e.message === COMPETITION_MESSAGES.teamName,
      );
      await assert.rejects(c.registerTeam(''), (e: CompetitionError) => e.statusCode === 400);
      await assert.rejects(
        c.authenticate(undefined),
        (e: CompetitionError) => e.statusCode === 401 && e.message === COMPETITION_MESSAGES.unauthorized,
      );
      await assert.rejects(
        c.authenticate('pm_nope'),
        (e: CompetitionError) => e.statusCode === 401 && e.message === COMPETITION_MESSAGES.badToken,
      );
    });

    test('invalid files are stored with their message and do not count; the daily limit does', async () => {
      const c = await competitionOn('limit', KEY, 2);
      const { team } = await c.registerTeam('limited');
      const bad = await c.submit(team, 'id,sirna\n', 'bad.csv');
      assert.equal(bad.valid, false);
      assert.equal(bad.message, SUBMISSION_MESSAGES.header('id,sirna'));
      assert.equal(bad.filename, 'bad.csv');
      assert.equal(await c.file(bad.id), 'id,sirna\n');
      const large = await c.submit(team, 'x'.repeat(5000));
      assert.equal(large.message, 'file too large: the limit is 4096 bytes');
      assert.equal(large.bytes, 5000);
      assert.equal(await c.file(large.id), '', 'an oversized file is not kept');
      assert.equal((await c.submit(team, csv(TRUTH))).valid, true);
      assert.equal((await c.submit(team, Buffer.from(csv(wrongAt([0]))))).valid, true);
      assert.equal(
        (await c.submit(team, '')).message,
        SUBMISSION_MESSAGES.empty,
        'invalid files are still accepted past the limit',
      );
      const day = new Date(Date.UTC(2026, 0, 6)).toISOString();
      await assert.rejects(
        c.submit(team, csv(TRUTH)),
        (e: CompetitionError) => e.statusCode === 429 && e.message === COMPETITION_MESSAGES.dailyLimit(2, day),
      );
      assert.equal(
        COMPETITION_MESSAGES.dailyLimit(2, day),
        'daily submission limit reached: 2 valid submission(s) per UTC day; the next one is possible from 2026-01-06T00:00:00.000Z',
      );
      assert.deepEqual(await c.quota(team), { used: 2, limit: 2, resetsAt: day });
      assert.equal((await c.submissions(team)).length, 5, 'the refused one is not stored');
      base = Date.parse('2026-01-06T00:00:01.000Z');
      tick = 0;
      assert.equal((await c.submit(team, csv(TRUTH))).valid, true, 'a new UTC day, a new quota');
      assert.equal((await c.quota(team)).used, 1);
    });

    test('concurrent submissions of one team never exceed the limit', async () => {
      const c = await competitionOn('race', KEY, 3);
      const { team } = await c.registerTeam('racers');
      const results = await Promise.allSettled(Array.from({ length: 8 }, () => c.submit(team, csv(TRUTH))));
      assert.equal(results.filter((r) => r.status === 'fulfilled').length, 3);
      assert.ok(
        results
          .filter((r) => r.status === 'rejected')
          .every((r) => ((r as PromiseRejectedResult).reason as CompetitionError).statusCode === 429),
      );
    });

    test('leaderboards: best public per team, ties by earliest; private hidden until closed, then by the best-public submission', async () => {
      const c = await competitionOn('boards', KEY, 5);
      const [pub, priv] = [publicIndices(), privateIndices()];
      const alpha = await c.registerTeam('alpha');
      const beta = await c.registerTeam('beta');
      const gamma = await c.registerTeam('gamma');
      // alpha: perfect public, 2 private wrong. beta: same public score later, perfect private.
      const a1 = await c.submit(alpha.team, csv(wrongAt([priv[0], priv[1]])));
      const b1 = await c.submit(beta.team, csv(wrongAt([pub[0]])));
      const b2 = await c.submit(beta.team, csv(TRUTH));
      // gamma: best public 3/4, whose private is 4/8; a later file with worse public but perfect private is not the
      // selected one.
      const g1 = await c.submit(gamma.team, csv(wrongAt([pub[0], ...priv.slice(0, 4)])));
      await c.submit(gamma.team, csv(wrongAt([pub[0], pub[1]])));
      assert.deepEqual([a1.publicScore, b1.publicScore, b2.publicScore, g1.publicScore], [1, 0.75, 1, 0.75]);
      assert.equal(a1.privateScore, null, 'private scores stay hidden while open');

      const board = await c.leaderboard('public');
      assert.deepEqual(
        board.entries.map((e) => [e.rank, e.team, e.score, e.submissionId, e.submissions]),
        [
          [1, 'alpha', 1, a1.id, 1],
          [2, 'beta', 1, b2.id, 2],
          [3, 'gamma', 0.75, g1.id, 2],
        ],
      );
      await assert.rejects(
        c.leaderboard('private'),
        (e: CompetitionError) => e.statusCode === 403 && e.message === COMPETITION_MESSAGES.privateHidden,
      );
      await assert.rejects(c.close(undefined), (e: CompetitionError) => e.statusCode === 401);
      await assert.rejects(
        c.close('guess'),
        (e: CompetitionError) => e.statusCode === 403 && e.message === COMPETITION_MESSAGES.badOrganizer,
      );

      const info = await c.close(ORGANIZER);
      assert.equal(info.state, 'closed');
      const privateBoard = await c.leaderboard('private');
      assert.deepEqual(
        privateBoard.entries.map((e) => [e.rank, e.team, e.score, e.submissionId]),
        [
          [1, 'beta', 1, b2.id],
          [2, 'alpha', 0.75, a1.id],
          [3, 'gamma', 0.5, g1.id],
        ],
      );
      await assert.rejects(
        c.submit(alpha.team, csv(TRUTH)),
        (e: CompetitionError) => e.statusCode === 403 && e.message === COMPETITION_MESSAGES.closed,
      );
      assert.equal((await c.submissions(alpha.team))[0].privateScore, 0.75, 'private scores are shown once closed');

      // Rescoring from the stored files gives the very same scores...
      assert.deepEqual(await c.rescore(), { checked: 5, changed: 0 });
      // ...and repairs scores that were tampered with.
      await c.db.run('UPDATE submissions SET public_score = 0.1, private_score = 0.2 WHERE id = ?', [b2.id]);
      await c.db.run(
        'UPDATE submissions SET valid = 0, public_score = NULL, private_score = NULL, message = ? WHERE id = ?',
        ['x', a1.id],
      );
      assert.deepEqual(await c.rescore(), { checked: 5, changed: 2 });
      assert.deepEqual(
        (await c.leaderboard('private')).entries.map((e) => [e.team, e.score]),
        privateBoard.entries.map((e) => [e.team, e.score]),
      );
      assert.deepEqual((await c.leaderboard('public')).entries, board.entries);
    });

    test('a changed key rescores every stored submission when the competition opens', async () => {
      const first = await competitionOn('rekey', KEY, 5);
      const { team } = await first.registerTeam('rekeyed');
      const s = await first.submit(team, csv(TRUTH));
      assert.equal(s.publicScore, 1);
      const shifted = splitKey(makeKey(IDS.map((id, i) => ({ id, sirna: 7 * i + (i < 6 ? 1 : 0) }))), { seed: 7 });
      const second = await Competition.open(first.db, { key: shifted, organizerToken: ORGANIZER, now });
      const [again] = await second.submissions(team);
      const expected = scoreSubmission(csv(TRUTH), shifted);
      assert.ok(expected.valid);
      assert.equal(again.publicScore, expected.scores.public);
      const third = await Competition.open(first.db, { key: shifted, organizerToken: ORGANIZER, now });
      assert.equal((await third.submissions(team))[0].publicScore, expected.scores.public);
    });
  });
}

const sqliteDir = tempDir('phenomap-competition-');
storeSuite(
  'SQLite',
  async (name) => openDb(path.join(sqliteDir, `${name}.sqlite`)),
  async () => undefined,
  false,
);
if (typeof pg === 'string') {
  storeSuite(
    'PostgreSQL',
    async () => assert.fail('unreachable'),
    async () => undefined,
    pg,
  );
} else {
  const schemas: string[] = [];
  storeSuite(
    'PostgreSQL',
    async (name) => {
      const schema = `${pg.schema}_${name}`;
      if (!schemas.includes(schema)) schemas.push(schema);
      return openDb(pg.url, { schema });
    },
    async () => {
      for (const schema of schemas) await dropPostgresSchema(pg.url, schema);
    },
    false,
  );
}

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
