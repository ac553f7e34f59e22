/** The competition: teams, submissions, leaderboards, closing. */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type {} from '@fastify/multipart';
import type { Competition } from '../../competition/store.js';
import { HttpError, parseRequest } from '../errors.js';
import { leaderboardQuery, teamBody } from '../../api/schemas.js';
import { REGISTRATION_RATE_LIMIT } from '../security.js';

function bearer(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  const match = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
  return match ? match[1] : undefined;
}

/** The submitted file: a raw text/csv (or text/plain, octet-stream) body, or the first file of a multipart form. */
async function submittedFile(request: FastifyRequest): Promise<{ content: string | Buffer; filename: string | null }> {
  if (request.isMultipart()) {
    const part = await request.file();
    if (!part) throw new HttpError(400, 'body: expected a multipart form with a file field (the submission CSV)');
    return { content: await part.toBuffer(), filename: part.filename || null };
  }
  const body = request.body;
  if (typeof body === 'string' || Buffer.isBuffer(body)) return { content: body, filename: null };
  if (body === undefined || body === null) return { content: '', filename: null };
  throw new HttpError(400, 'body: expected the submission CSV as text/csv, or as a file in multipart/form-data');
}

export function competitionRoutes(app: FastifyInstance, competition: Competition | null, reason: string): void {
  const need = (): Competition => {
    if (!competition) throw new HttpError(404, `no competition on this server: ${reason}`);
    return competition;
  };

  app.get('/api/competition', async () => need().info());

  app.post(
    '/api/competition/teams',
    // Its own limit, which holds even when the server runs without an overall one.
    { config: { rateLimit: REGISTRATION_RATE_LIMIT } },
    async (request, reply) => {
      const { name } = parseRequest(teamBody, request.body ?? {}, 'body');
      const result = await need().registerTeam(name);
      return reply.code(201).send(result);
    },
  );

  app.get('/api/competition/teams/me', async (request) => {
    const c = need();
    const team = await c.authenticate(bearer(request));
    return { team, quota: await c.quota(team) };
  });

  app.post('/api/competition/submissions', async (request, reply) => {
    const c = need();
    const team = await c.authenticate(bearer(request));
    const { content, filename } = await submittedFile(request);
    const submission = await c.submit(team, content, filename);
    const quota = await c.quota(team);
    if (!submission.valid) return reply.code(400).send({ error: submission.message, submission, quota });
    return reply.code(201).send({ submission, quota });
  });

  app.get('/api/competition/submissions', async (request) => {
    const c = need();
    const team = await c.authenticate(bearer(request));
    return { team, submissions: await c.submissions(team), quota: await c.quota(team) };
  });

  app.get('/api/competition/leaderboard', async (request) => {
    const { board } = parseRequest(leaderboardQuery, request.query, 'query');
    return need().leaderboard(board);
  });

  app.post('/api/competition/close', async (request) => need().close(bearer(request)));
}
