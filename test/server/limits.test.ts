/** Request rate and body size limits. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { createServer } from '../../src/server/index.js';
import { tempDir, needsSample } from '../helpers.js';
import { dataset } from './fixture.js';

test('limits: request rate and body size', { skip: needsSample() }, async () => {
  const server = await createServer({
    datasetDir: dataset,
    db: path.join(tempDir('phenomap-db-'), 'limits.sqlite'),
    threads: 1,
    rateLimit: { max: 3, timeWindow: '1 minute' },
    bodyLimit: 1000,
  });
  try {
    const big = await server.inject({
      method: 'POST',
      url: '/api/competition/submissions',
      headers: { 'content-type': 'text/csv', authorization: 'Bearer x' },
      payload: 'x'.repeat(2000),
    });
    assert.deepEqual([big.statusCode, big.json().error], [413, 'body: larger than the limit of 1000 bytes']);
    const codes = [];
    for (let i = 0; i < 3; i++) codes.push((await server.inject('/api/health')).statusCode);
    assert.deepEqual(codes, [200, 200, 429]);
    assert.match(
      (await server.inject('/api/health')).json().error,
      /^rate limit exceeded: at most 3 requests per 1 minute window/,
    );
  } finally {
    await server.close();
  }
});
