/**
 * Server benchmark, on loopback, against the real RxRx1 files (../shared/data/rxrx1):
 * - submission scoring in process: a 19,897-row submission (the real test set's ids, random labels) parsed,
 *   validated and scored by scoreSubmission; reference: csv-parse (the CSV parser the data layer uses) only
 *   parsing the same text, no validation or scoring.
 * - HTTP under concurrent load (autocannon, 10 connections, a few seconds each, load generator on its own
 *   worker thread): GET of a site composite (512x512 RGB PNG) with the image cache (repeat requests are cache
 *   hits) and without it (every request loads 6 PNGs, composites and encodes on the worker pool); reference:
 *   the same PNG bytes served as a static file by @fastify/static. And POST of the 19,897-row submission
 *   (validated, scored, stored in SQLite) with a daily limit high enough never to refuse.
 * Writes bench/results/server.json.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { parse } from 'csv-parse/sync';
import type { FastifyInstance } from 'fastify';
import { createServer } from '../src/server/index.js';
import { makeKey, splitKey, formatKey } from '../src/competition/key.js';
import { scoreSubmission } from '../src/competition/submission.js';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const SHARED_RXRX1 = path.resolve(REPO_ROOT, '..', 'shared', 'data', 'rxrx1');
const SITE = 'HEPG2-01_1_B02_1';

export interface ServerBenchOptions {
  /** Seconds per HTTP load run (default 6). */
  seconds?: number;
  connections?: number;
  outFile?: string;
}

function percentile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((q / 100) * sorted.length))];
}

function timeIt(runs: number, work: () => void): { medianMs: number; p99Ms: number; runs: number } {
  for (let i = 0; i < 3; i++) work();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    work();
    times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  return { medianMs: round(percentile(times, 50)), p99Ms: round(percentile(times, 99)), runs };
}

function round(value: number, digits = 2): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}

async function load(
  url: string,
  options: {
    seconds: number;
    connections: number;
    method?: 'GET' | 'POST';
    headers?: Record<string, string>;
    body?: string;
  },
) {
  const result = await autocannon({
    url,
    duration: options.seconds,
    connections: options.connections,
    method: options.method ?? 'GET',
    headers: options.headers,
    body: options.body,
    workers: 1,
  });
  return {
    requestsPerSecond: round(result.requests.average, 1),
    latencyMs: { p50: result.latency.p50, p90: result.latency.p90, p99: result.latency.p99, max: result.latency.max },
    requests: result.requests.total,
    non2xx: result.non2xx,
    errors: result.errors,
    megabytesPerSecond: round(result.throughput.average / 1e6, 2),
  };
}

async function listen(app: FastifyInstance): Promise<string> {
  return app.listen({ port: 0, host: '127.0.0.1' });
}

export async function benchServer(options: ServerBenchOptions = {}): Promise<Record<string, unknown>> {
  const seconds = options.seconds ?? 6;
  const connections = options.connections ?? 10;
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'phenomap-bench-server-'));
  try {
    // A solution key over the real test ids, random labels; a submission with a quarter right.
    const ids = fs
      .readFileSync(path.join(SHARED_RXRX1, 'metadata', 'test.csv'), 'utf8')
      .trim()
      .split('\n')
      .slice(1)
      .map((line) => line.split(',')[0]);
    let state = 7;
    const random = () => {
      state = (state * 1103515245 + 12345) % 2147483648;
      return state % 1108;
    };
    const key = splitKey(makeKey(ids.map((id) => ({ id, sirna: random() }))), { seed: 1 });
    const keyFile = path.join(work, 'key.csv');
    fs.writeFileSync(keyFile, formatKey(key));
    const submission = `${[
      'id_code,sirna',
      ...ids.map((id, i) => `${id},${i % 4 === 0 ? key.sirna[key.index.get(id)!] : random()}`),
    ].join('\n')}\n`;

    const scoring = {
      rows: ids.length,
      bytes: Buffer.byteLength(submission),
      phenomap: timeIt(50, () => {
        if (!scoreSubmission(submission, key).valid) throw new Error('bench submission is invalid');
      }),
      reference: timeIt(20, () => parse(submission, { columns: true })),
      referenceIs: 'csv-parse/sync parsing the same text into row objects (no validation, no scoring)',
    };

    const common = {
      datasetDir: SHARED_RXRX1,
      rateLimit: false as const,
      competition: { key: keyFile, dailyLimit: 1_000_000_000 },
    };
    const cached = await createServer({ ...common, db: path.join(work, 'cached.sqlite') });
    const uncached = await createServer({ ...common, db: path.join(work, 'uncached.sqlite'), imageCacheBytes: 0 });
    // The static reference: the very PNG the composite endpoint returns, as a file of a web folder.
    const webDir = path.join(work, 'web');
    fs.mkdirSync(webDir);
    const png = (await cached.inject(`/api/sites/${SITE}/composite.png`)).rawPayload;
    fs.writeFileSync(path.join(webDir, 'index.html'), '<!doctype html>');
    fs.writeFileSync(path.join(webDir, 'composite.png'), png);
    const staticServer = await createServer({
      ...common,
      db: path.join(work, 'static.sqlite'),
      webDir,
      competition: false,
    });
    try {
      const [cachedUrl, uncachedUrl, staticUrl] = [
        await listen(cached),
        await listen(uncached),
        await listen(staticServer),
      ];
      const composite = `/api/sites/${SITE}/composite.png`;
      const http = {
        compositeCached: await load(cachedUrl + composite, { seconds, connections }),
        compositeUncached: await load(uncachedUrl + composite, { seconds, connections }),
        staticFileReference: await load(`${staticUrl}/composite.png`, { seconds, connections }),
        thumbnail128Uncached: await load(`${uncachedUrl}${composite}?size=128`, { seconds, connections }),
        submissionScoring: await (async () => {
          const token = (
            (
              await cached.inject({ method: 'POST', url: '/api/competition/teams', payload: { name: 'bench' } })
            ).json() as { token: string }
          ).token;
          return load(`${cachedUrl}/api/competition/submissions`, {
            seconds,
            connections,
            method: 'POST',
            headers: { 'content-type': 'text/csv', authorization: `Bearer ${token}` },
            body: submission,
          });
        })(),
      };
      const result = {
        benchmark: 'server: site composite and submission scoring over HTTP on loopback, plus in-process scoring',
        date: new Date().toISOString(),
        machine: {
          cpuModel: os.cpus()[0]?.model ?? 'unknown',
          cores: os.availableParallelism(),
          node: process.version,
          platform: `${os.platform()} ${os.release()} ${os.arch()}`,
        },
        settings: {
          seconds,
          connections,
          site: SITE,
          imageSize: png.length,
          loadGenerator: 'autocannon on a worker thread of the same process',
          imageThreads: 'default (cores - 1, 1..4)',
        },
        reference:
          'composite: the same PNG served as a static file (@fastify/static); the uncached run is the cost of rendering; scoring: csv-parse parsing only',
        scoring,
        http,
      };
      const outFile = options.outFile ?? path.join(REPO_ROOT, 'bench', 'results', 'server.json');
      fs.mkdirSync(path.dirname(outFile), { recursive: true });
      fs.writeFileSync(`${outFile}.partial`, `${JSON.stringify(result, null, 2)}\n`);
      fs.renameSync(`${outFile}.partial`, outFile);
      return result;
    } finally {
      await Promise.all([cached.close(), uncached.close(), staticServer.close()]);
    }
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

if (process.argv[1]?.endsWith(path.join('bench', 'server.js')))
  benchServer().then((r) => console.log(JSON.stringify(r, null, 2)));
