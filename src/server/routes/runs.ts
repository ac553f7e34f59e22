/** Pipeline runs: listing, report, metrics, embeddings, and the other files of a run (plots a report links to). */
import fs from 'node:fs';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { HttpError, parseRequest } from '../errors.js';
import { type RunsService, realPathInside } from '../runs.js';
import { sandboxed } from '../security.js';
import { embeddingQuery, runFileParams, runParams } from '../../api/schemas.js';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.json': 'application/json',
  '.csv': 'text/csv; charset=utf-8',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.txt': 'text/plain; charset=utf-8',
  '.js': 'text/javascript',
  '.css': 'text/css',
  '.parquet': 'application/octet-stream',
};

export function runRoutes(app: FastifyInstance, runs: RunsService): void {
  app.get('/api/runs', async () => runs.list());

  app.get('/api/runs/:run/report', async (request, reply) => {
    const { run } = parseRequest(runParams, request.params, 'params');
    return sandboxed(reply)
      .type('text/html; charset=utf-8')
      .send(fs.createReadStream(runs.reportFile(run)));
  });

  app.get('/api/runs/:run/metrics', async (request) => {
    const { run } = parseRequest(runParams, request.params, 'params');
    return runs.metrics(run);
  });

  app.get('/api/runs/:run/embedding', async (request) => {
    const { run } = parseRequest(runParams, request.params, 'params');
    const { method } = parseRequest(embeddingQuery, request.query, 'query');
    return runs.embedding(run, method);
  });

  app.get('/api/runs/:run/files/*', async (request, reply) => {
    const params = parseRequest(runFileParams, request.params, 'params');
    // Symbolic links may not lead out of the run folder either.
    const real = realPathInside(fs.realpathSync(runs.dir(params.run)), runs.file(params.run, params['*']));
    if (!real) throw new HttpError(404, `run "${params.run}" has no file "${params['*']}"`);
    return sandboxed(reply)
      .type(TYPES[path.extname(real).toLowerCase()] ?? 'application/octet-stream')
      .send(fs.createReadStream(real));
  });
}
