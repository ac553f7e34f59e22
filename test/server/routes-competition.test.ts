/** The competition routes, and `phenomap submit` against a listening server. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { Command } from 'commander';
import { decode } from 'fast-png';
import { createServer } from '../../src/server/index.js';
import { registerCompetitionCommands } from '../../src/cli/competition.js';
import { SUBMISSION_MESSAGES } from '../../src/competition/submission.js';
import { COMPETITION_MESSAGES } from '../../src/competition/store.js';
import { tempDir, needsSample } from '../helpers.js';
import { TEST_LABELS, ORGANIZER, SITE, dataset, app, submissionCsv, multipart, get } from './fixture.js';

describe('competition API', () => {
  let token = '';
  const auth = (t: string) => ({ authorization: `Bearer ${t}` });
  const submit = (body: string, t = token, type = 'text/csv') =>
    app.inject({
      method: 'POST',
      url: '/api/competition/submissions',
      headers: { ...auth(t), 'content-type': type },
      payload: body,
    });

  test('the demo competition is the dataset test treatment wells', { skip: needsSample() }, async () => {
    const info = (await get('/api/competition')).json();
    assert.deepEqual(
      { ...info, openedAt: typeof info.openedAt },
      {
        name: 'phenomap RxRx1 competition',
        state: 'open',
        metric: 'accuracy',
        ids: 6,
        publicIds: 2,
        privateIds: 4,
        dailyLimit: 2,
        maxBytes: 5 * 1024 * 1024,
        header: 'id_code,sirna',
        sirnaRange: [0, 1107],
        openedAt: 'string',
        closedAt: null,
      },
    );
  });

  test('register, submit (raw CSV and multipart), invalid files, daily limit', { skip: needsSample() }, async () => {
    const registered = await app.inject({ method: 'POST', url: '/api/competition/teams', payload: { name: 'Alpha' } });
    assert.equal(registered.statusCode, 201);
    token = registered.json().token;
    assert.equal(registered.json().team.name, 'Alpha');
    const duplicate = await app.inject({ method: 'POST', url: '/api/competition/teams', payload: { name: 'alpha' } });
    assert.equal(duplicate.statusCode, 409);
    assert.equal(duplicate.json().error, COMPETITION_MESSAGES.teamExists('alpha'));

    const noAuth = await app.inject({
      method: 'POST',
      url: '/api/competition/submissions',
      headers: { 'content-type': 'text/csv' },
      payload: submissionCsv(TEST_LABELS),
    });
    assert.deepEqual([noAuth.statusCode, noAuth.json().error], [401, COMPETITION_MESSAGES.unauthorized]);
    assert.deepEqual(
      [(await submit('x', 'pm_wrong')).statusCode, (await submit('x', 'pm_wrong')).json().error],
      [401, COMPETITION_MESSAGES.badToken],
    );

    const invalid = await submit('id_code,sirna\nHEPG2-08_1_B03,5000\n');
    assert.equal(invalid.statusCode, 400);
    assert.equal(
      invalid.json().error,
      `${SUBMISSION_MESSAGES.badSirna(1, 'line 2: "5000"')}; ${SUBMISSION_MESSAGES.missing(5, '"HEPG2-08_1_B04", "HEPG2-08_1_B05", "HEPG2-08_1_B06"')}`,
    );
    assert.equal(invalid.json().submission.valid, false);
    assert.equal(invalid.json().quota.used, 0, 'an invalid file does not count');
    assert.equal((await submit('')).json().error, SUBMISSION_MESSAGES.empty);

    const first = await submit(submissionCsv(TEST_LABELS));
    assert.equal(first.statusCode, 201);
    assert.equal(first.json().submission.publicScore, 1);
    assert.equal(first.json().submission.privateScore, null);
    const form = multipart('file', 'mine.csv', submissionCsv(TEST_LABELS.map((l, i) => (i < 3 ? l : 0))));
    const second = await app.inject({
      method: 'POST',
      url: '/api/competition/submissions',
      headers: { ...auth(token), ...form.headers },
      payload: form.payload,
    });
    assert.equal(second.statusCode, 201, second.body);
    assert.equal(second.json().submission.filename, 'mine.csv');
    assert.deepEqual(second.json().quota.used, 2);
    const third = await submit(submissionCsv(TEST_LABELS));
    assert.equal(third.statusCode, 429);
    assert.match(
      third.json().error,
      /^daily submission limit reached: 2 valid submission\(s\) per UTC day; the next one is possible from 2026-03-03T00:00:00\.000Z$/,
    );
    const mine = (
      await app.inject({ method: 'GET', url: '/api/competition/submissions', headers: auth(token) })
    ).json();
    assert.deepEqual(
      mine.submissions.map((s: { valid: boolean }) => s.valid),
      [true, true, false, false],
    );
    const me = (await app.inject({ method: 'GET', url: '/api/competition/teams/me', headers: auth(token) })).json();
    assert.equal(me.team.name, 'Alpha');
  });

  test('leaderboards, closing, private board', { skip: needsSample() }, async () => {
    const beta = (await app.inject({ method: 'POST', url: '/api/competition/teams', payload: { name: 'Beta' } })).json()
      .token;
    assert.equal((await submit(submissionCsv(TEST_LABELS.map(() => 0)), beta)).statusCode, 201);
    const board = (await get('/api/competition/leaderboard?board=public')).json();
    assert.deepEqual(
      board.entries.map((e: { team: string; rank: number; score: number }) => [e.rank, e.team, e.score]),
      [
        [1, 'Alpha', 1],
        [2, 'Beta', 0],
      ],
    );
    assert.deepEqual((await get('/api/competition/leaderboard')).json(), board, 'public is the default board');
    const hidden = await get('/api/competition/leaderboard?board=private');
    assert.deepEqual([hidden.statusCode, hidden.json().error], [403, COMPETITION_MESSAGES.privateHidden]);
    const wrong = await app.inject({ method: 'POST', url: '/api/competition/close', headers: auth(token) });
    assert.deepEqual([wrong.statusCode, wrong.json().error], [403, COMPETITION_MESSAGES.badOrganizer]);
    const closed = await app.inject({ method: 'POST', url: '/api/competition/close', headers: auth(ORGANIZER) });
    assert.equal(closed.statusCode, 200);
    assert.equal(closed.json().state, 'closed');
    const privateBoard = (await get('/api/competition/leaderboard?board=private')).json();
    assert.deepEqual(
      privateBoard.entries.map((e: { team: string; score: number }) => [e.team, e.score]),
      [
        ['Alpha', 1],
        ['Beta', 0],
      ],
    );
    const late = await submit(submissionCsv(TEST_LABELS), beta);
    assert.deepEqual([late.statusCode, late.json().error], [403, COMPETITION_MESSAGES.closed]);
  });
});

// ---- other servers ----

test('a real listen on 127.0.0.1, and phenomap submit against it', { skip: needsSample() }, async () => {
  const server = await createServer({
    datasetDir: dataset,
    db: path.join(tempDir('phenomap-db-'), 'listen.sqlite'),
    threads: 1,
    competition: { seed: 5 },
  });
  try {
    const address = await server.listen({ port: 0, host: '127.0.0.1' });
    const health = await fetch(`${address}/api/health`);
    assert.equal(health.status, 200);
    const image = await fetch(`${address}/api/sites/${SITE}/composite.png?size=64`);
    assert.equal(image.headers.get('content-type'), 'image/png');
    assert.equal(decode(new Uint8Array(await image.arrayBuffer())).width, 64);
    const { token } = (await (
      await fetch(`${address}/api/competition/teams`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'cli' }),
      })
    ).json()) as { token: string };
    const file = path.join(tempDir(), 'submission.csv');
    fs.writeFileSync(file, submissionCsv(TEST_LABELS));
    const lines: string[] = [];
    const log = console.log;
    console.log = (...parts: unknown[]) => void lines.push(parts.join(' '));
    try {
      const program = new Command().exitOverride();
      registerCompetitionCommands(program);
      await program.parseAsync(['node', 'phenomap', 'submit', file, '--server', address, '--token', token]);
    } finally {
      console.log = log;
    }
    assert.match(lines.join('\n'), /^submission 1: public score 1\.00000 \(1\/5 today\)$/);
  } finally {
    await server.close();
  }
});
