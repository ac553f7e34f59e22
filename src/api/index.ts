/**
 * The HTTP API's contract, shared by the server (src/server) and the web app (src/web): request schemas (zod) with
 * their inferred types, and the response types. No Node imports anywhere below it (test/architecture checks).
 */
export * from './schemas.js';
export * from './types.js';
