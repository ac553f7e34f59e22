/** The runs routes: listing, report, metrics, files and the embedding before/after correction. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { needsSample } from '../helpers.js';
import { get } from './fixture.js';

test('runs: listing, report, metrics and the embedding before/after correction', { skip: needsSample() }, async () => {
  const runs = (await get('/api/runs')).json();
  assert.equal(runs.length, 2);
  assert.deepEqual(
    { ...runs[0], methods: runs[0].methods.slice(0, 1) },
    { name: 'run-1', hasReport: true, hasMetrics: true, hasProfiles: true, methods: ['none'] },
  );
  assert.deepEqual(runs[1], { name: 'run-2', hasReport: false, hasMetrics: true, hasProfiles: false, methods: [] });
  const report = await get('/api/runs/run-1/report');
  assert.equal(report.statusCode, 200);
  assert.match(String(report.headers['content-type']), /^text\/html/);
  assert.match(report.body, /<title>run-1<\/title>/);
  assert.deepEqual((await get('/api/runs/run-1/metrics')).json(), { accuracy: 0.5, method: 'none' });

  const embedding = (await get('/api/runs/run-1/embedding?method=none&projection=pca')).json();
  assert.equal(embedding.points.length, 14, 'one point per well');
  assert.equal(embedding.features, 4);
  const point = embedding.points.find((p: { wellId: string }) => p.wellId === 'HEPG2-08_1_B05');
  assert.deepEqual(
    { ...point, x: typeof point.x, y: typeof point.y },
    {
      wellId: 'HEPG2-08_1_B05',
      x: 'number',
      y: 'number',
      experiment: 'HEPG2-08',
      cellType: 'HEPG2',
      sirnaId: 33,
      wellType: 'treatment',
    },
  );
  assert.ok(embedding.explained[0] >= embedding.explained[1] && embedding.explained[0] <= 1);
  assert.equal(embedding.fittedOn, null);
  const cached = (await get('/api/runs/run-1/embedding')).json();
  assert.deepEqual(cached, embedding, 'deterministic (and cached)');
  const other = runs[0].methods.find((m: string) => m === 'center_scale');
  if (other) {
    const corrected = await get(`/api/runs/run-1/embedding?method=${other}`);
    assert.equal(corrected.statusCode, 200, corrected.body);
    assert.equal(corrected.json().points.length, 14);
    assert.equal(corrected.json().method, other);
    assert.equal(corrected.json().fittedOn, 'all', 'HEPG2-08 has one negative control well: fitted on all wells');
    assert.notDeepEqual(corrected.json().points, embedding.points);
  }
});

// ---- the competition over HTTP ----
