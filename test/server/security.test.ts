/**
 * The server's security and limits (issue 12): runs' files only by their real paths inside the runs folder, security
 * headers on the app, the API and the reports, rate limits that hold for unknown paths and registration whatever
 * --rate-limit says, confusable team names, bounded invalid submissions, quoted headers, 414s, and the organizer
 * token kept out of argv.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { createServer } from '../../src/server/index.js';
import { NOT_FOUND_RATE_LIMIT, REGISTRATION_RATE_LIMIT, REPORT_CSP } from '../../src/server/security.js';
import { COMPETITION_MESSAGES, INVALID_KEPT_BYTES } from '../../src/competition/store.js';
import { REPO_ROOT, needsSample, tempDir } from '../helpers.js';
import { ORGANIZER, app, dataset, get, makeRuns, TEST_IDS, TEST_LABELS } from './fixture.js';

const CLI = path.join(REPO_ROOT, 'dist', 'src', 'cli', 'main.js');

async function serverWith(options: Partial<Parameters<typeof createServer>[0]> = {}): Promise<FastifyInstance> {
  return createServer({
    datasetDir: dataset,
    db: path.join(tempDir('phenomap-db-'), 'security.sqlite'),
    threads: 1,
    ...options,
  });
}

async function register(server: FastifyInstance, name: string) {
  return server.inject({ method: 'POST', url: '/api/competition/teams', payload: { name } });
}

test("a run's report, metrics and profiles linked out of the runs folder are refused", {
  skip: needsSample(),
}, async () => {
  const runs = makeRuns();
  const outside = tempDir('phenomap-outside-');
  fs.writeFileSync(path.join(outside, 'passwd'), 'root:x:0:0:root:/root:/bin/bash\n');
  fs.writeFileSync(path.join(outside, 'metrics.json'), '{"secret": true}');
  fs.copyFileSync(path.join(runs, 'run-1', 'profiles.parquet'), path.join(outside, 'profiles.parquet'));
  const evil = path.join(runs, 'evil');
  fs.mkdirSync(evil);
  fs.symlinkSync(path.join(outside, 'passwd'), path.join(evil, 'report.html'));
  fs.symlinkSync(path.join(outside, 'metrics.json'), path.join(evil, 'metrics.json'));
  fs.symlinkSync(path.join(outside, 'profiles.parquet'), path.join(evil, 'profiles.parquet'));
  // A link inside the runs folder is fine.
  const linked = path.join(runs, 'linked');
  fs.mkdirSync(linked);
  fs.symlinkSync(path.join(runs, 'run-1', 'report.html'), path.join(linked, 'report.html'));
  const server = await serverWith({ runsDir: runs, competition: false });
  try {
    for (const url of ['/api/runs/evil/report', '/api/runs/evil/metrics', '/api/runs/evil/files/report.html']) {
      const response = await server.inject(url);
      assert.equal(response.statusCode, 404, url);
      assert.doesNotMatch(response.body, /root:|secret/, url);
      assert.match(response.json().error, /^run "evil" has no file "(report\.html|metrics\.json)"$/, url);
    }
    const table = await server.inject('/api/runs/evil/embedding?method=none');
    assert.equal(table.statusCode, 404);
    assert.match(table.json().error, /no profile table \(\*\.parquet\) inside the runs folder/);
    const fine = await server.inject('/api/runs/linked/report');
    assert.equal(fine.statusCode, 200);
    assert.match(fine.body, /<title>run-1<\/title>/);
  } finally {
    await server.close();
  }
});

test('security headers on the app, the API and the reports; reports are sandboxed away from the API', {
  skip: needsSample(),
}, async () => {
  const web = tempDir('phenomap-web-');
  fs.writeFileSync(path.join(web, 'index.html'), '<!doctype html><title>app</title><script type="module" src="/a.js">');
  const server = await serverWith({ runsDir: makeRuns(), webDir: web });
  try {
    for (const url of ['/', '/api/health', '/api/wells', '/api/nothing-here', '/api/runs/run-1/report']) {
      const { headers } = await server.inject(url);
      assert.equal(headers['x-content-type-options'], 'nosniff', url);
      assert.equal(headers['x-frame-options'], 'SAMEORIGIN', url);
      assert.equal(headers['referrer-policy'], 'no-referrer', url);
      assert.ok(headers['content-security-policy'], url);
    }
    const app = String((await server.inject('/')).headers['content-security-policy']);
    for (const directive of [
      "default-src 'self'",
      "script-src 'self'",
      "connect-src 'self'",
      "frame-ancestors 'self'",
      "object-src 'none'",
    ])
      assert.ok(app.split(';').includes(directive), `${directive} in ${app}`);
    assert.doesNotMatch(app, /upgrade-insecure-requests/, 'plain HTTP on loopback keeps working');
    for (const url of ['/api/runs/run-1/report', '/api/runs/run-1/files/plots/pca.svg']) {
      const csp = String((await server.inject(url)).headers['content-security-policy']);
      assert.equal(csp, REPORT_CSP, url);
      // An opaque origin (no allow-same-origin) and no network: a report's script cannot use a team's token.
      assert.match(csp, /^sandbox allow-scripts allow-popups;/);
      assert.doesNotMatch(csp, /allow-same-origin/);
      assert.match(csp, /connect-src 'none'/);
    }
  } finally {
    await server.close();
  }
});

test('unknown paths are rate-limited, and registration keeps its limit with --rate-limit 0', {
  skip: needsSample(),
}, async () => {
  const server = await serverWith({ rateLimit: false, competition: { seed: 5 } });
  try {
    const codes = new Map<number, number>();
    for (let i = 0; i <= NOT_FOUND_RATE_LIMIT.max; i++) {
      const { statusCode } = await server.inject(`/api/probe-${i}`);
      codes.set(statusCode, (codes.get(statusCode) ?? 0) + 1);
    }
    assert.deepEqual(
      [...codes],
      [
        [404, NOT_FOUND_RATE_LIMIT.max],
        [429, 1],
      ],
    );
    assert.match((await server.inject('/api/probe')).json().error, /^rate limit exceeded: at most 300 requests/);
    assert.equal((await server.inject('/api/health')).statusCode, 200, 'known routes are not limited');
    const registrations = [];
    for (let i = 0; i <= REGISTRATION_RATE_LIMIT.max; i++)
      registrations.push((await register(server, `team ${i}`)).statusCode);
    assert.equal(registrations.filter((code) => code === 201).length, REGISTRATION_RATE_LIMIT.max);
    assert.equal(registrations.at(-1), 429);
  } finally {
    await server.close();
  }
  // With an overall limit lower than theirs, unknown paths get the overall one.
  const strict = await serverWith({ rateLimit: { max: 2 }, competition: false });
  try {
    const codes = [];
    for (let i = 0; i < 3; i++) codes.push((await strict.inject(`/nope-${i}`)).statusCode);
    assert.deepEqual(codes, [404, 404, 429]);
  } finally {
    await strict.close();
  }
});

test('lookalike team names are refused over HTTP, naming the team they look like', {
  skip: needsSample(),
}, async () => {
  const server = await serverWith({ competition: { seed: 5 } });
  try {
    assert.equal((await register(server, 'alpha')).statusCode, 201);
    const cyrillic = await register(server, '\u0430lpha');
    assert.deepEqual(
      [cyrillic.statusCode, cyrillic.json().error],
      [409, COMPETITION_MESSAGES.teamLookalike('\u0430lpha', 'alpha')],
    );
    const fullwidth = await register(server, '\uff41lpha');
    assert.deepEqual([fullwidth.statusCode, fullwidth.json().error], [409, COMPETITION_MESSAGES.teamExists('alpha')]);
  } finally {
    await server.close();
  }
});

test('an invalid submission is answered with its hash and keeps 4 KiB; a quoted header is accepted', {
  skip: needsSample(),
}, async () => {
  const { token } = (await register(app, 'quoters')).json();
  const headers = { 'content-type': 'text/csv', authorization: `Bearer ${token}` };
  const junk = `id_code,sirna\n${`${TEST_IDS[0]},x\n`.repeat(100_000)}`;
  const bad = await app.inject({ method: 'POST', url: '/api/competition/submissions', headers, payload: junk });
  assert.equal(bad.statusCode, 400);
  const body = bad.json();
  assert.equal(body.submission.bytes, junk.length);
  assert.match(body.submission.sha256, /^[0-9a-f]{64}$/);
  assert.deepEqual([body.quota.invalidUsed, body.quota.storedBytes], [1, INVALID_KEPT_BYTES]);
  const quoted = ['"id_code","sirna"', ...TEST_IDS.map((id, i) => `"${id}","${TEST_LABELS[i]}"`)].join('\r\n');
  const good = await app.inject({ method: 'POST', url: '/api/competition/submissions', headers, payload: quoted });
  assert.equal(good.statusCode, 201, good.body);
  assert.equal(good.json().submission.publicScore, 1);
});

test('a path segment over the limit is a 414 with { error }', { skip: needsSample() }, async () => {
  const response = await get(`/api/sites/${'A'.repeat(300)}`);
  assert.equal(response.statusCode, 414);
  assert.deepEqual(response.json(), {
    error: 'url: a path segment is longer than 200 characters (no id is that long)',
  });
  const bad = await get('/api/sites/%E0%A4%A');
  assert.equal(bad.statusCode, 400);
  assert.match(bad.json().error, /^url: /);
});

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

test('submit to a stopped server says what failed', async () => {
  const file = path.join(tempDir(), 'submission.csv');
  fs.writeFileSync(file, 'id_code,sirna\n');
  const port = await closedPort();
  const result = spawnSync(process.execPath, [CLI, 'submit', file, '--server', `http://127.0.0.1:${port}`], {
    encoding: 'utf8',
    env: { ...process.env, PHENOMAP_TEAM_TOKEN: 'pm_x' },
  });
  assert.equal(result.status, 1);
  assert.equal(
    result.stderr.trim(),
    `phenomap: cannot reach the competition server at http://127.0.0.1:${port} (connect ECONNREFUSED ` +
      `127.0.0.1:${port}): is \`phenomap serve\` running there? ${file} was not submitted`,
  );
});

test('the organizer token comes from a file or the environment, never from argv', { skip: needsSample() }, async () => {
  const refused = spawnSync(process.execPath, [CLI, 'serve', dataset, '--organizer-token', ORGANIZER], {
    encoding: 'utf8',
  });
  assert.notEqual(refused.status, 0);
  assert.match(refused.stderr, /shows in `ps` to every user of the machine: use --organizer-token-file FILE/);
  const tokenFile = path.join(tempDir(), 'organizer');
  fs.writeFileSync(tokenFile, `${ORGANIZER}\n`);
  const db = path.join(tempDir('phenomap-db-'), 'serve.sqlite');
  const serve = spawn(
    process.execPath,
    [CLI, 'serve', dataset, '--port', '0', '--db', db, '--organizer-token-file', tokenFile, '--seed', '5'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  try {
    const address = await new Promise<string>((resolve, reject) => {
      let out = '';
      serve.stdout.on('data', (chunk: Buffer) => {
        out += chunk;
        const match = / at (http:\/\/\S+)/.exec(out);
        if (match) resolve(match[1]);
      });
      serve.once('exit', (code) => reject(new Error(`serve exited ${code}`)));
    });
    const close = (token: string) =>
      fetch(`${address}/api/competition/close`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
    assert.equal((await close('guess')).status, 403);
    const closed = await close(ORGANIZER);
    assert.equal(closed.status, 200);
    assert.equal(((await closed.json()) as { state: string }).state, 'closed');
  } finally {
    serve.kill('SIGTERM');
  }
});
