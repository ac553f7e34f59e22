/** The server on PostgreSQL: the same migrations on a fresh schema. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { createServer } from '../../src/server/index.js';
import { dropPostgresSchema, openDb } from '../../src/competition/db.js';
import { REPO_ROOT, needsSample, requirement } from '../helpers.js';
import { TEST_LABELS, ORGANIZER, dataset, submissionCsv } from './fixture.js';

// ---- PostgreSQL ----

function pgUrl(): { url: string; fromEnv: boolean } | null {
  if (process.env.PHENOMAP_TEST_PG_URL) return { url: process.env.PHENOMAP_TEST_PG_URL, fromEnv: true };
  const file = path.join(REPO_ROOT, '.ci', 'pg-url');
  return fs.existsSync(file) ? { url: fs.readFileSync(file, 'utf8').trim(), fromEnv: false } : null;
}

const pg = pgUrl();
let pgSkip: string | false = pg
  ? false
  : 'PostgreSQL tests skipped: set PHENOMAP_TEST_PG_URL (CI: .ci/services.sh writes .ci/pg-url)';
if (pg && !pg.fromEnv) {
  const probe = await openDb(pg.url);
  await probe.get('SELECT 1 AS ok').then(
    () => undefined,
    (error: Error) =>
      (pgSkip = `PostgreSQL tests skipped: ${pg.url} does not answer (${error.message}); run .ci/services.sh`),
  );
  await probe.close();
}
if (pgSkip) console.log(requirement(false, pgSkip));

test('the server on PostgreSQL (same migrations, fresh schema)', { skip: needsSample() || pgSkip }, async () => {
  const schema = `phenomap_server_${process.pid}_${Date.now().toString(36)}`;
  const server = await createServer({
    datasetDir: dataset,
    db: pg!.url,
    dbSchema: schema,
    threads: 1,
    competition: { seed: 5, organizerToken: ORGANIZER, dailyLimit: 1 },
  });
  try {
    assert.equal((await server.inject('/api/health')).json().db, 'postgres');
    const { token } = (
      await server.inject({ method: 'POST', url: '/api/competition/teams', payload: { name: 'pg' } })
    ).json();
    const headers = { authorization: `Bearer ${token}`, 'content-type': 'text/csv' };
    assert.equal(
      (await server.inject({ method: 'POST', url: '/api/competition/submissions', headers, payload: 'bad' }))
        .statusCode,
      400,
    );
    assert.equal(
      (
        await server.inject({
          method: 'POST',
          url: '/api/competition/submissions',
          headers,
          payload: submissionCsv(TEST_LABELS),
        })
      ).statusCode,
      201,
    );
    assert.equal(
      (
        await server.inject({
          method: 'POST',
          url: '/api/competition/submissions',
          headers,
          payload: submissionCsv(TEST_LABELS),
        })
      ).statusCode,
      429,
    );
    assert.deepEqual(
      (await server.inject('/api/competition/leaderboard'))
        .json()
        .entries.map((e: { team: string; score: number }) => [e.team, e.score]),
      [['pg', 1]],
    );
    assert.equal(
      (
        await server.inject({
          method: 'POST',
          url: '/api/competition/close',
          headers: { authorization: `Bearer ${ORGANIZER}` },
        })
      ).statusCode,
      200,
    );
    assert.equal((await server.inject('/api/competition/leaderboard?board=private')).json().entries[0].score, 1);
  } finally {
    await server.close();
    await dropPostgresSchema(pg!.url, schema);
  }
});
