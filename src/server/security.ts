/**
 * Security headers and request limits of the server, in one place.
 *
 * Headers come from @fastify/helmet: a Content-Security-Policy that lets the web app load only its own scripts,
 * styles, images and API (and be framed only by itself), X-Content-Type-Options nosniff, X-Frame-Options SAMEORIGIN,
 * Referrer-Policy no-referrer and helmet's other defaults. Files of a run (report.html, plots) are served with
 * REPORT_CSP instead: a sandbox without allow-same-origin gives them an opaque origin, so their scripts can neither
 * read the app's storage nor call the API (connect-src 'none'), whatever a run folder holds.
 *
 * Rate limits (@fastify/rate-limit, per client address): the overall limit (default 5000 a minute, `--rate-limit`,
 * off with 0), and two that hold even without it: team registration (60 a minute) and unknown paths (300 a minute,
 * or the overall limit when lower).
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import fastifyHelmet from '@fastify/helmet';
import fastifyRateLimit from '@fastify/rate-limit';

export interface RateLimit {
  max: number;
  timeWindow?: string | number;
}

export const DEFAULT_RATE_LIMIT = { max: 5000, timeWindow: '1 minute' } as const;
export const REGISTRATION_RATE_LIMIT = { max: 60, timeWindow: '1 minute' } as const;
export const NOT_FOUND_RATE_LIMIT = { max: 300, timeWindow: '1 minute' } as const;

/** The policy of a run's files: sandboxed (opaque origin), inline scripts and styles, no network. */
export const REPORT_CSP = [
  'sandbox allow-scripts allow-popups',
  "default-src 'none'",
  "script-src 'unsafe-inline' 'unsafe-eval'",
  "style-src 'unsafe-inline'",
  "img-src 'self' data: blob:",
  'font-src data:',
  "connect-src 'none'",
  "form-action 'none'",
  "base-uri 'none'",
  "frame-ancestors 'self'",
].join('; ');

/** Marks a reply as a run's file: served under REPORT_CSP. */
export function sandboxed(reply: FastifyReply): FastifyReply {
  return reply.header('content-security-policy', REPORT_CSP);
}

function rateLimitError(_request: FastifyRequest, context: { max: number; after: string }) {
  return {
    statusCode: 429,
    error: `rate limit exceeded: at most ${context.max} requests per ${context.after} window; retry later`,
  };
}

/**
 * Registers the security headers and the rate limits; returns the pre-handler that limits unknown paths (for the
 * not-found handler, which route-level limits do not reach).
 */
export async function registerSecurity(
  app: FastifyInstance,
  rateLimit: RateLimit | false | undefined,
): Promise<preHandlerAsyncHookHandler> {
  await app.register(fastifyHelmet, {
    contentSecurityPolicy: {
      useDefaults: true,
      directives: {
        'img-src': ["'self'", 'data:', 'blob:'],
        'style-src': ["'self'", "'unsafe-inline'"],
        'connect-src': ["'self'"],
        'frame-src': ["'self'"],
        // Plain HTTP on loopback is the normal case: upgrading the app's own requests would break it.
        'upgrade-insecure-requests': null,
      },
    },
    // The app opens reports in a new tab and images in place; no cross-origin isolation is needed.
    crossOriginEmbedderPolicy: false,
  });
  const overall = rateLimit === false ? null : (rateLimit ?? DEFAULT_RATE_LIMIT);
  await app.register(fastifyRateLimit, {
    global: overall !== null,
    max: overall?.max ?? NOT_FOUND_RATE_LIMIT.max,
    timeWindow: overall?.timeWindow ?? '1 minute',
    errorResponseBuilder: rateLimitError,
  });
  return app.rateLimit({
    max: Math.min(overall?.max ?? Number.POSITIVE_INFINITY, NOT_FOUND_RATE_LIMIT.max),
    timeWindow: NOT_FOUND_RATE_LIMIT.timeWindow,
    errorResponseBuilder: rateLimitError,
  });
}

/**
 * Fastify's framework errors (a path parameter over `maxParamLength`: 414; a malformed URL: 400) answered as every
 * other error is, `{ error }`, instead of Fastify's own body.
 */
export function frameworkErrors(maxParamLength: number) {
  return (error: FastifyError, _request: FastifyRequest, reply: FastifyReply): void => {
    const status = error.statusCode ?? 400;
    const message =
      error.code === 'FST_ERR_MAX_PARAM_LENGTH'
        ? `url: a path segment is longer than ${maxParamLength} characters (no id is that long)`
        : error.code === 'FST_ERR_BAD_URL'
          ? 'url: not a valid URL (bad percent-encoding)'
          : `url: ${error.message}`;
    void reply.code(status).header('x-content-type-options', 'nosniff').send({ error: message });
  };
}
