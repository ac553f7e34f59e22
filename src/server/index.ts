/**
 * The phenomap HTTP server (Fastify): a JSON API over a dataset (sites, wells, images), pipeline runs and a
 * competition, plus the built web front end at /. The routes and their shapes are documented in API.md; security
 * headers and limits are in security.ts.
 */
import fs from 'node:fs';
import path from 'node:path';
import Fastify, { type FastifyError, type FastifyInstance, type FastifyRequest } from 'fastify';
import fastifyMultipart from '@fastify/multipart';
import fastifyStatic from '@fastify/static';
import { defaultIndexPath } from '../data/siteIndex.js';
import { openDb, type Db } from '../competition/db.js';
import { demoKey, parseKey, type SolutionKey } from '../competition/key.js';
import { Competition, type CompetitionError } from '../competition/store.js';
import { DatasetCatalog } from './dataset.js';
import type { Health } from '../api/types.js';
import type { HttpError } from './errors.js';
import { ImageService } from './images.js';
import { RunsService } from './runs.js';
import { dataRoutes } from './routes/data.js';
import { runRoutes } from './routes/runs.js';
import { competitionRoutes } from './routes/competition.js';
import { frameworkErrors, registerSecurity, type RateLimit } from './security.js';

export const DEFAULT_BODY_LIMIT = 10 * 1024 * 1024;
export { DEFAULT_RATE_LIMIT, NOT_FOUND_RATE_LIMIT, REGISTRATION_RATE_LIMIT } from './security.js';
/** Longest path parameter (a site id is about 20 characters); longer ones are answered 414. */
export const MAX_PARAM_LENGTH = 200;

export interface CompetitionServeOptions {
  /** Solution key CSV (id_code,sirna[,Usage]); default: the demo key of the dataset's labelled test treatment wells. */
  key?: string;
  /** Seed of the demo key's Public/Private split (see src/competition/key.ts). */
  seed?: number;
  publicFraction?: number;
  name?: string;
  /** Valid submissions per team per UTC day (default 5). */
  dailyLimit?: number;
  /** Invalid submissions per team per UTC day (default 20). */
  invalidDailyLimit?: number;
  /** Bytes of submitted files a team may store (default 50 MiB). */
  teamStorageBytes?: number;
  /** Largest submission in bytes (default 5 MiB). */
  maxBytes?: number;
  /** Closes the competition (POST /api/competition/close); default: PHENOMAP_ORGANIZER_TOKEN. */
  organizerToken?: string;
  /** Clock (tests). */
  now?: () => Date;
}

export interface ServerOptions {
  datasetDir: string;
  /**
   * SQLite file or postgres:// URL; default DIR/.phenomap/phenomap.sqlite (beside the site index, which moves to
   * ~/.cache/phenomap/... for a read-only DIR).
   */
  db?: string;
  /** PostgreSQL schema (also `?schema=` in the URL); tests use a fresh one. */
  dbSchema?: string;
  /** Built front end (dist/web), served at /. */
  webDir?: string;
  /** Folder of pipeline runs. */
  runsDir?: string;
  logger?: boolean;
  /** Site index file (default: the dataset's, see src/data/siteIndex.ts). */
  indexFile?: string;
  /** Image worker threads. */
  threads?: number;
  /** Bytes of encoded images cached (default 128 MiB; 0 = no cache). */
  imageCacheBytes?: number;
  /** Largest request body (default 10 MiB). */
  bodyLimit?: number;
  /**
   * Requests per IP and window (default 5000 a minute); false = no overall limit (team registration and unknown
   * paths keep their own limits).
   */
  rateLimit?: RateLimit | false;
  /** Competition settings; false = no competition. */
  competition?: CompetitionServeOptions | false;
}

/** Where the database of a dataset lives by default: beside its site index. */
export function defaultDbPath(catalog: DatasetCatalog): string {
  return path.join(path.dirname(defaultIndexPath(catalog.layout)), 'phenomap.sqlite');
}

async function openCompetition(
  db: Db,
  catalog: DatasetCatalog,
  options: CompetitionServeOptions | false | undefined,
): Promise<{ competition: Competition | null; reason: string }> {
  if (options === false) return { competition: null, reason: 'disabled by the server options' };
  const settings = options ?? {};
  let key: SolutionKey | null;
  if (settings.key) key = parseKey(fs.readFileSync(settings.key, 'utf8'), settings.key);
  else key = demoKey(catalog.sites, { seed: settings.seed, publicFraction: settings.publicFraction });
  if (!key)
    return {
      competition: null,
      reason: 'the dataset has no labelled test treatment wells (give a solution key: serve --key key.csv)',
    };
  const competition = await Competition.open(db, {
    key,
    name: settings.name,
    dailyLimit: settings.dailyLimit,
    invalidDailyLimit: settings.invalidDailyLimit,
    teamStorageBytes: settings.teamStorageBytes,
    maxBytes: settings.maxBytes,
    now: settings.now,
    organizerToken: settings.organizerToken ?? process.env.PHENOMAP_ORGANIZER_TOKEN,
  });
  return { competition, reason: '' };
}

/** The message of a 4xx answer: the error's own, or what was wrong with the body or its content type. */
function clientErrorMessage(
  error: FastifyError | HttpError | CompetitionError | { statusCode?: number; error?: string },
  request: FastifyRequest,
  bodyLimit: number,
): string {
  const status = (error as { statusCode?: number }).statusCode ?? 500;
  let message = (error as { error?: string }).error ?? (error as Error).message;
  const code = (error as FastifyError).code;
  if (code === 'FST_ERR_CTP_BODY_TOO_LARGE' || code === 'FST_REQ_FILE_TOO_LARGE')
    message = `body: larger than the limit of ${bodyLimit} bytes`;
  else if (code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE')
    message =
      `content-type: ${request.headers['content-type'] ?? 'none'} is not accepted here (send application/json, ` +
      `text/csv or multipart/form-data)`;
  else if (
    code === 'FST_ERR_CTP_EMPTY_JSON_BODY' ||
    code === 'FST_ERR_CTP_INVALID_JSON_BODY' ||
    (error instanceof SyntaxError && status === 400)
  )
    message = `body: not valid JSON (${(error as Error).message})`;
  return message;
}

export async function createServer(options: ServerOptions): Promise<FastifyInstance> {
  const catalog = await DatasetCatalog.open(options.datasetDir, { indexFile: options.indexFile });
  const db = await openDb(options.db ?? defaultDbPath(catalog), { schema: options.dbSchema });
  const images = new ImageService(catalog.layout.imageRoot, {
    threads: options.threads,
    cacheBytes: options.imageCacheBytes,
  });
  const runs = new RunsService(options.runsDir ? path.resolve(options.runsDir) : undefined);
  let competition: Awaited<ReturnType<typeof openCompetition>>;
  try {
    competition = await openCompetition(db, catalog, options.competition);
  } catch (error) {
    await images.close();
    await db.close();
    throw error;
  }
  const bodyLimit = options.bodyLimit ?? DEFAULT_BODY_LIMIT;
  const app = Fastify({
    logger: options.logger ?? false,
    bodyLimit,
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
    frameworkErrors: frameworkErrors(MAX_PARAM_LENGTH),
  });
  app.addHook('onClose', async () => {
    await images.close();
    await db.close();
  });

  app.addContentTypeParser(['text/csv', 'application/csv'], { parseAs: 'string' }, (_request, body, done) =>
    done(null, body),
  );
  app.addContentTypeParser('application/octet-stream', { parseAs: 'buffer' }, (_request, body, done) =>
    done(null, body),
  );
  await app.register(fastifyMultipart, { limits: { fileSize: bodyLimit, files: 1, fields: 10, parts: 20 } });
  const notFoundLimit = await registerSecurity(app, options.rateLimit);

  app.setErrorHandler(
    (error: FastifyError | HttpError | CompetitionError | { statusCode?: number; error?: string }, request, reply) => {
      const status = (error as { statusCode?: number }).statusCode ?? 500;
      if (status >= 500) {
        request.log.error(error);
        return reply.code(status).send({ error: 'internal server error' });
      }
      const message = clientErrorMessage(error, request, bodyLimit);
      return reply.code(status).send({ error: message });
    },
  );

  app.get(
    '/api/health',
    async (): Promise<Health> => ({
      status: 'ok',
      dataset: path.basename(catalog.layout.root),
      layout: catalog.layout.kind,
      sites: catalog.sites.length,
      db: db.dialect,
      competition: competition.competition !== null,
      runs: runs.runsDir !== undefined,
    }),
  );
  dataRoutes(app, catalog, images, runs);
  runRoutes(app, runs);
  competitionRoutes(app, competition.competition, competition.reason);

  const webDir =
    options.webDir && fs.existsSync(path.join(options.webDir, 'index.html')) ? path.resolve(options.webDir) : null;
  if (webDir) await app.register(fastifyStatic, { root: webDir, prefix: '/', wildcard: false, index: ['index.html'] });
  // Unknown paths are rate-limited too (probing them is how a scan looks), whatever the overall limit.
  app.setNotFoundHandler({ preHandler: notFoundLimit }, (request, reply) => {
    const url = request.url.split('?')[0];
    // The front end routes in the browser: any other GET of a page gets index.html.
    if (webDir && request.method === 'GET' && !url.startsWith('/api/') && url !== '/api')
      return reply.type('text/html; charset=utf-8').send(fs.createReadStream(path.join(webDir, 'index.html')));
    return reply.code(404).send({ error: `not found: ${request.method} ${url.slice(0, 200)}` });
  });
  return app;
}

export { DatasetCatalog } from './dataset.js';
export { ImageService } from './images.js';
export { RunsService } from './runs.js';
