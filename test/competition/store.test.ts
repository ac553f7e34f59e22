/** The competition store, on SQLite and (when configured) PostgreSQL. */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { makeKey, splitKey, type SolutionKey } from '../../src/competition/key.js';
import { scoreSubmission, SUBMISSION_MESSAGES } from '../../src/competition/submission.js';
import {
  Competition,
  COMPETITION_MESSAGES,
  DEFAULT_INVALID_DAILY_LIMIT,
  DEFAULT_TEAM_STORAGE_BYTES,
  INVALID_KEPT_BYTES,
  type CompetitionError,
  type CompetitionOptions,
} from '../../src/competition/store.js';
import { dropPostgresSchema, openDb, type Db } from '../../src/competition/db.js';
import { migrate, MIGRATIONS } from '../../src/competition/migrations.js';
import { REPO_ROOT, tempDir, requirement } from '../helpers.js';
import { IDS, KEY, csv, TRUTH, publicIndices, privateIndices, wrongAt } from './fixture.js';

// ---- the store, on SQLite and (when configured) PostgreSQL ----

/** Bytes of submitted files the database holds. */
async function storedFiles(db: Db): Promise<number> {
  const row = await db.get<{ n: number }>(
    'SELECT CAST(COALESCE(SUM(LENGTH(file)), 0) AS BIGINT) AS n FROM submissions',
  );
  return Number(row?.n ?? 0);
}

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
    const competitionOn = async (
      name: string,
      key: SolutionKey = KEY,
      dailyLimit = 3,
      options: Partial<CompetitionOptions> = {},
    ) => {
      const db = await open(name);
      opened.push(db);
      return Competition.open(db, { key, dailyLimit, organizerToken: ORGANIZER, now, maxBytes: 4096, ...options });
    };
    const sha256 = (text: string) => crypto.createHash('sha256').update(text).digest('hex');

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
        [1, 2],
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

    test('invalid files are recorded with their message and hash and do not count; the daily limit does', async () => {
      const c = await competitionOn('limit', KEY, 2);
      const { team } = await c.registerTeam('limited');
      const bad = await c.submit(team, 'id,sirna\n', 'bad.csv');
      assert.equal(bad.valid, false);
      assert.equal(bad.message, SUBMISSION_MESSAGES.header('id,sirna'));
      assert.equal(bad.filename, 'bad.csv');
      assert.equal(bad.sha256, sha256('id,sirna\n'));
      assert.equal(await c.file(bad.id), 'id,sirna\n');
      const large = await c.submit(team, 'x'.repeat(5000));
      assert.equal(large.message, 'file too large: the limit is 4096 bytes');
      assert.equal(large.bytes, 5000);
      assert.equal(await c.file(large.id), 'x'.repeat(INVALID_KEPT_BYTES), 'an invalid file keeps its first 4 KiB');
      assert.equal((await c.submit(team, csv(TRUTH))).valid, true);
      assert.equal((await c.submit(team, Buffer.from(csv(wrongAt([0]))))).valid, true);
      assert.equal(
        (await c.submit(team, '')).message,
        SUBMISSION_MESSAGES.empty,
        'invalid files are still accepted past the valid limit',
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
      assert.deepEqual(await c.quota(team), {
        used: 2,
        limit: 2,
        resetsAt: day,
        invalidUsed: 3,
        invalidLimit: DEFAULT_INVALID_DAILY_LIMIT,
        storedBytes: 9 + INVALID_KEPT_BYTES + 2 * csv(TRUTH).length,
        storageLimit: DEFAULT_TEAM_STORAGE_BYTES,
      });
      assert.equal((await c.submissions(team)).length, 5, 'the refused one is not stored');
      base = Date.parse('2026-01-06T00:00:01.000Z');
      tick = 0;
      assert.equal((await c.submit(team, csv(TRUTH))).valid, true, 'a new UTC day, a new quota');
      assert.equal((await c.quota(team)).used, 1);
    });

    test('an invalid file keeps 4 KiB whatever its size, and invalid attempts have their own daily limit', async () => {
      const c = await competitionOn('invalid', KEY, 2, { invalidDailyLimit: 3, maxBytes: 5 * 1024 * 1024 });
      const { team } = await c.registerTeam('noisy');
      const before = await storedFiles(c.db);
      // 5 MB of junk, and a 1 MB file that breaks mid-way: both are refused, neither is kept whole.
      const junk = `id_code,sirna\n${'HEPG2-08_1_B03,1\n'.repeat(312_000)}`;
      const mixed = `${csv(TRUTH)}${'\0oops,zz\n'.repeat(100_000)}`;
      for (const file of [junk, mixed, junk]) {
        const record = await c.submit(team, file, 'big.csv');
        assert.deepEqual([record.valid, record.bytes, record.sha256], [false, Buffer.byteLength(file), sha256(file)]);
        assert.equal((await c.file(record.id))?.length, INVALID_KEPT_BYTES);
      }
      assert.ok((await storedFiles(c.db)) - before <= 3 * INVALID_KEPT_BYTES, 'at most 4 KiB stored per invalid file');
      const day = new Date(Date.UTC(2026, 0, 7)).toISOString();
      await assert.rejects(
        c.submit(team, junk),
        (e: CompetitionError) => e.statusCode === 429 && e.message === COMPETITION_MESSAGES.invalidLimit(3, day),
      );
      assert.match(COMPETITION_MESSAGES.invalidLimit(3, day), /^daily limit of invalid submissions reached: 3 invalid/);
      assert.equal((await c.submissions(team)).length, 3, 'the refused attempt is not stored');
      assert.equal((await c.submit(team, csv(TRUTH))).valid, true, 'valid submissions are still accepted');
      assert.deepEqual([(await c.quota(team)).invalidUsed, (await c.quota(team)).used], [3, 1]);
    });

    test("a team's stored bytes are capped", async () => {
      const size = csv(TRUTH).length;
      const c = await competitionOn('storage', KEY, 5, { teamStorageBytes: 2 * size + 100 });
      const { team } = await c.registerTeam('hoarders');
      await c.submit(team, csv(TRUTH));
      await c.submit(team, csv(TRUTH));
      assert.equal((await c.submit(team, 'x'.repeat(100))).valid, false, 'room for 100 more bytes');
      await assert.rejects(
        c.submit(team, csv(TRUTH)),
        (e: CompetitionError) =>
          e.statusCode === 413 && e.message === COMPETITION_MESSAGES.storageFull(2 * size + 100, 2 * size + 100),
      );
      await assert.rejects(c.submit(team, 'y'), (e: CompetitionError) => e.statusCode === 413);
      assert.equal((await c.submissions(team)).length, 3);
      const other = await c.registerTeam('others');
      assert.equal((await c.submit(other.team, csv(TRUTH))).valid, true, 'the cap is per team');
    });

    test('team names are NFKC-normalized and refused when their confusable skeleton is taken', async () => {
      const c = await competitionOn('lookalikes');
      await c.registerTeam('alpha');
      // Cyrillic а (U+0430), Latin capital I for l, Cyrillic а and р, Latin alpha (U+0251).
      for (const name of ['\u0430lpha', 'aIpha', '\u0430l\u0440h\u0430', '\u0251lpha'])
        await assert.rejects(
          c.registerTeam(name),
          (e: CompetitionError) =>
            e.statusCode === 409 && e.message === COMPETITION_MESSAGES.teamLookalike(name, 'alpha'),
          name,
        );
      // Fullwidth ａlpha is alpha once NFKC-normalized; ALPHA differs only in case.
      for (const name of ['\uff41lpha', 'ALPHA'])
        await assert.rejects(
          c.registerTeam(name),
          (e: CompetitionError) => e.statusCode === 409 && /^name: a team named ".*" already exists$/.test(e.message),
          name,
        );
      assert.equal((await c.registerTeam('\uff42eta  \u2003team')).team.name, 'beta team', 'stored normalized');
      assert.equal((await c.registerTeam('alpha team')).team.name, 'alpha team');
    });

    test('migration 2 cuts the invalid files an older database kept and gives old teams their skeleton', async () => {
      const db = await open('upgrade');
      opened.push(db);
      await migrate(db, MIGRATIONS.slice(0, 1));
      await db.run("INSERT INTO teams (name, name_key, token_hash, created_at) VALUES ('alpha', 'alpha', 'h', 'x')");
      const insert =
        'INSERT INTO submissions (team_id, created_at, filename, bytes, valid, message, file) VALUES (1, ?, NULL, ?, ' +
        '?, ?, ?)';
      const big = 'z'.repeat(100_000);
      await db.run(insert, ['2026-01-01T00:00:00.000Z', big.length, 0, 'bad', big]);
      await db.run(insert, ['2026-01-01T00:00:01.000Z', 3, 0, 'bad', 'abc']);
      await db.run(insert, ['2026-01-01T00:00:02.000Z', csv(TRUTH).length, 1, null, csv(TRUTH)]);
      const c = await Competition.open(db, { key: KEY, organizerToken: ORGANIZER, now });
      const rows = await db.all<{ stored: number; length: number }>(
        'SELECT stored_bytes AS stored, LENGTH(file) AS length FROM submissions ORDER BY id',
      );
      assert.deepEqual(
        rows.map((r) => [Number(r.stored), Number(r.length)]),
        [
          [4096, 4096],
          [3, 3],
          [csv(TRUTH).length, csv(TRUTH).length],
        ],
      );
      await assert.rejects(c.registerTeam('\u0430lpha'), (e: CompetitionError) => e.statusCode === 409);
      // Rescoring skips the file kept in part; the two whole ones get their true message and scores.
      assert.deepEqual(await c.rescore(), { checked: 3, changed: 2 });
      assert.equal((await c.submissions({ id: 1, name: 'alpha', createdAt: 'x' }))[2].message, 'bad');
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
