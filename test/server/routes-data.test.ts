/** The dataset routes: health, dataset, wells, sites, images and plate values; bad input and traversal. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { decode } from 'fast-png';
import { downscale } from '../../src/server/composite.js';
import { SERVER_PNG_LEVEL } from '../../src/server/renderWorker.js';
import { loadSite } from '../../src/image/site.js';
import { compositeRgb } from '../../src/image/rgb.js';
import { RGB_MAP } from '../../src/rxrx1/index.js';
import { channelStats } from '../../src/image/stats.js';
import { encodePng } from '../../src/codec/png.js';
import { needsSample } from '../helpers.js';
import {
  app,
  dataset,
  GROUP_P1,
  GROUP_P2,
  get,
  INCOMPLETE,
  location,
  ROWS,
  S1,
  S2,
  SITE,
  TEST_LABELS,
} from './fixture.js';

// ---- dataset and wells ----

test('health and dataset', { skip: needsSample() }, async () => {
  const health = await get('/api/health');
  assert.equal(health.statusCode, 200);
  assert.deepEqual(health.json(), {
    status: 'ok',
    dataset: path.basename(dataset),
    layout: 'official',
    sites: ROWS.length,
    db: 'sqlite',
    competition: true,
    runs: true,
  });
  const body = (await get('/api/dataset')).json();
  assert.equal(body.name, path.basename(dataset));
  // Neither answer tells where the server's files are.
  for (const url of ['/api/health', '/api/dataset']) assert.doesNotMatch((await get(url)).body, /\/tmp\//, url);
  assert.equal(body.layout, 'official');
  assert.equal(body.sites, ROWS.length);
  assert.deepEqual(body.experiments, [
    { experiment: 'HEPG2-01', cellType: 'HEPG2', dataset: 'train', plates: [1, 2] },
    { experiment: 'HEPG2-08', cellType: 'HEPG2', dataset: 'test', plates: [1] },
  ]);
});

test('wells: filters, positions, sites and siRNA groups', { skip: needsSample() }, async () => {
  const all = (await get('/api/wells')).json();
  assert.equal(all.length, 14);
  const b03 = all.find((w: { wellId: string }) => w.wellId === 'HEPG2-01_1_B03');
  assert.deepEqual(b03, {
    wellId: 'HEPG2-01_1_B03',
    experiment: 'HEPG2-01',
    plate: 1,
    well: 'B03',
    row: 1,
    column: 2,
    cellType: 'HEPG2',
    dataset: 'train',
    wellType: 'treatment',
    sirnaId: S1[0],
    sirna: `s${S1[0]}`,
    sirnaGroup: GROUP_P1,
    sites: [1, 2],
  });
  const ids = async (query: string) =>
    (await get(`/api/wells?${query}`)).json().map((w: { wellId: string }) => w.wellId);
  assert.deepEqual(await ids('experiment=HEPG2-01&plate=2'), ['HEPG2-01_2_B02', 'HEPG2-01_2_B03']);
  assert.deepEqual(await ids('wellType=negative_control'), ['HEPG2-01_1_B02', 'HEPG2-01_2_B02', 'HEPG2-08_1_B02']);
  assert.deepEqual(await ids(`sirnaId=${S1[1]},${S2}`), ['HEPG2-01_1_C05', 'HEPG2-01_2_B03']);
  assert.deepEqual(await ids('plate=1&plate=2&experiment=HEPG2-01&wellType=positive_control'), ['HEPG2-01_1_E10']);
  assert.equal((await ids('cellType=HEPG2&dataset=test')).length, 7);
  assert.deepEqual(await ids('cellType=U2OS'), []);
  const page = await get('/api/wells?limit=2&offset=1');
  assert.equal(page.headers['x-total-count'], '14');
  assert.deepEqual(
    page.json().map((w: { wellId: string }) => w.wellId),
    ['HEPG2-01_1_B03', 'HEPG2-01_1_C05'],
  );
  // Groups: the group of the siRNA for treatments (RxRx1 plate groups), null for controls.
  const groups = Object.fromEntries(
    all.map((w: { wellId: string; sirnaGroup: number | null }) => [w.wellId, w.sirnaGroup]),
  );
  assert.equal(groups['HEPG2-01_1_B02'], null);
  assert.equal(groups['HEPG2-01_1_E10'], null);
  assert.equal(groups['HEPG2-01_2_B03'], GROUP_P2);
  const values = (await get('/api/plates/HEPG2-01/1/values?field=sirna_group')).json();
  assert.deepEqual(values, {
    field: 'sirna_group',
    values: [
      { well: 'B02', value: null },
      { well: 'B03', value: GROUP_P1 },
      { well: 'C05', value: GROUP_P1 },
      { well: 'D07', value: GROUP_P1 },
      { well: 'E10', value: null },
    ],
  });
});

test('bad input is a 400 naming the field', { skip: needsSample() }, async () => {
  const cases: [string, RegExp][] = [
    ['/api/wells?plate=9', /^query\.plate: "9": expected plate numbers 1\.\.4$/],
    ['/api/wells?plate=x', /^query\.plate: "x": expected plate numbers 1\.\.4$/],
    [
      '/api/wells?wellType=weird',
      /^query\.wellType: "weird": expected well types \(treatment, negative_control, positive_control\)$/,
    ],
    ['/api/wells?sirnaId=1139', /^query\.sirnaId: "1139": expected siRNA ids 0\.\.1138$/],
    ['/api/wells?experiment=HEPG2', /^query\.experiment: "HEPG2": expected experiment names/],
    ['/api/wells?color=red', /^query\.color: unknown field\(s\)$/],
    ['/api/wells?limit=0', /^query\.limit: expected an integer >= 1$/],
    ['/api/sites/nope', /^params\.siteId: expected a site id \{experiment\}_\{plate\}_\{well\}_\{site\}/],
    [`/api/sites/${SITE}/composite.png?channels=1,7`, /^query\.channels: "7": expected channels 1\.\.6/],
    [`/api/sites/${SITE}/composite.png?channels=1,1`, /^query\.channels: each channel may appear once$/],
    [`/api/sites/${SITE}/composite.png?size=100`, /^query\.size: expected one of 512, 256, 128, 64$/],
    [`/api/sites/${SITE}/composite.png?percentiles=99,1`, /^query\.percentiles: "99,1": expected LOW,HIGH percentiles/],
    [`/api/sites/${SITE}/composite.png?ranges=1:50-10`, /^query\.ranges: "1:50-10": expected CHANNEL:LOW-HIGH/],
    [`/api/sites/${SITE}/composite.png?colors=1:zzzzzz`, /^query\.colors: "1:zzzzzz": expected CHANNEL:RRGGBB/],
    [
      `/api/sites/${SITE}/composite.png?ranges=1:0-10&percentiles=1,99`,
      /^query\.ranges: give either ranges or percentiles, not both$/,
    ],
    [`/api/sites/${SITE}/channels/7.png`, /^params\.file: expected \{channel\}\.png with channel 1\.\.6/],
    ['/api/plates/HEPG2-01/5/values?field=well_type', /^params\.plate: expected a plate number 1\.\.4$/],
    ['/api/plates/HEPG2-01/1/values', /^query\.field: /],
    ['/api/plates/HEPG2-01/1/values?field=f_sin', /^query\.run: required for field "f_sin"/],
    [
      '/api/plates/HEPG2-01/1/values?field=nope&run=run-1',
      /^field: "nope" is not a metadata field, cell_count or a feature of run "run-1"/,
    ],
    ['/api/runs/run-1/embedding?projection=tsne', /^query\.projection: expected pca$/],
    ['/api/runs/run-1/embedding?method=warp', /^method: "warp" is unknown \(expected none, /],
    ['/api/competition/leaderboard?board=secret', /^query\.board: expected public or private$/],
  ];
  for (const [url, message] of cases) {
    const response = await get(url);
    assert.equal(response.statusCode, 400, url);
    assert.match(response.json().error, message, url);
  }
  const team = await app.inject({ method: 'POST', url: '/api/competition/teams', payload: { team: 'x' } });
  assert.equal(team.statusCode, 400);
  assert.match(team.json().error, /^body\.name: expected a team name|^body\.team: unknown field/);
  const json = await app.inject({
    method: 'POST',
    url: '/api/competition/teams',
    headers: { 'content-type': 'application/json' },
    payload: '{nope',
  });
  assert.equal(json.statusCode, 400);
  assert.match(json.json().error, /^body: not valid JSON/);
});

test('unknown things are 404', { skip: needsSample() }, async () => {
  for (const url of [
    '/api/sites/HEPG2-01_1_P23_1',
    '/api/sites/HEPG2-01_3_B02_1/composite.png',
    '/api/plates/HEPG2-01/3/values?field=well_type',
    '/api/runs/run-9/metrics',
    '/api/runs/run-2/report',
    '/api/runs/run-2/embedding',
    '/api/nothing',
    '/nothing',
  ]) {
    const response = await get(url);
    assert.equal(response.statusCode, 404, url);
    assert.equal(typeof response.json().error, 'string', url);
  }
  assert.equal(
    (await get(`/api/sites/${INCOMPLETE}/composite.png?channels=1,5`)).json().error,
    `site ${INCOMPLETE}: no image file for channel(s) 5 (present: 1, 2, 3, 4)`,
  );
  assert.equal((await get(`/api/sites/${INCOMPLETE}/channels/6.png`)).statusCode, 404);
});

test('path traversal attempts never reach a file', { skip: needsSample() }, async () => {
  const attempts = [
    '/api/sites/..%2F..%2F..%2Fetc%2Fpasswd/composite.png',
    '/api/sites/../../etc/passwd',
    `/api/sites/${SITE}/channels/..%2F1.png`,
    '/api/runs/..%2Fsecret.txt/report',
    '/api/runs/../secret.txt',
    '/api/runs/run-1/files/..%2F..%2Fsecret.txt',
    '/api/runs/run-1/files/../../secret.txt',
    '/api/runs/run-1/files/%2e%2e/%2e%2e/secret.txt',
    '/api/runs/run-1/files/plots/..%2F..%2F..%2Fsecret.txt',
    '/api/runs/.../metrics',
    '/api/plates/..%2F..%2F/1/values?field=well_type',
  ];
  for (const url of attempts) {
    const response = await get(url);
    assert.ok([400, 404].includes(response.statusCode), `${url}: ${response.statusCode}`);
    assert.ok(!response.body.includes('not for the web'), url);
  }
  const plot = await get('/api/runs/run-1/files/plots/pca.svg');
  assert.equal(plot.statusCode, 200);
  assert.equal(plot.headers['content-type'], 'image/svg+xml');
});

// ---- sites and images ----

test('a site record carries per-channel statistics of the channels present', { skip: needsSample() }, async () => {
  const body = (await get(`/api/sites/${INCOMPLETE}`)).json();
  assert.equal(body.siteId, INCOMPLETE);
  assert.equal(body.wellType, 'treatment');
  assert.deepEqual(
    body.channels.map((c: { present: boolean }) => c.present),
    [true, true, true, true, false, false],
  );
  assert.equal(body.channels[4].stats, null);
  const tensor = await loadSite(path.join(dataset, 'images'), location(INCOMPLETE), { channels: [1, 2, 3, 4] });
  const expected = channelStats(tensor, { channels: [1, 2, 3, 4], percentiles: [0.1, 1, 25, 50, 75, 99, 99.9] });
  assert.deepEqual(
    body.channels.slice(0, 4).map((c: { stats: unknown }) => c.stats),
    JSON.parse(JSON.stringify(expected)),
  );
  assert.equal(body.channels[0].stain, 'Hoechst');
});

test('the default composite has exactly the pixels of compositeRgb (= phenomap rgb); ETag and 304', {
  skip: needsSample(),
}, async () => {
  const response = await get(`/api/sites/${SITE}/composite.png`);
  assert.equal(response.statusCode, 200);
  assert.equal(response.headers['content-type'], 'image/png');
  assert.match(String(response.headers['cache-control']), /max-age=\d+/);
  const etag = String(response.headers.etag);
  assert.match(etag, /^"[A-Za-z0-9_-]+"$/);
  const expectedRgb = compositeRgb(await loadSite(path.join(dataset, 'images'), location(SITE)));
  const png = decode(response.rawPayload);
  assert.deepEqual([png.width, png.height, png.channels, png.depth], [512, 512, 3, 8]);
  assert.ok(Buffer.from(png.data as Uint8Array).equals(Buffer.from(expectedRgb)), 'pixels equal compositeRgb');
  assert.ok(
    response.rawPayload.equals(encodePng(expectedRgb, 512, 512, 3, SERVER_PNG_LEVEL)),
    'bytes equal the PNG encoder at the server level',
  );

  const again = await get(`/api/sites/${SITE}/composite.png`, { 'if-none-match': etag });
  assert.equal(again.statusCode, 304);
  assert.equal(again.rawPayload.length, 0);
  assert.equal(again.headers.etag, etag);
  assert.equal(
    (await get(`/api/sites/${SITE}/composite.png`, { 'if-none-match': `"other", W/${etag}` })).statusCode,
    304,
  );
  assert.equal((await get(`/api/sites/${SITE}/composite.png`, { 'if-none-match': '"other"' })).statusCode, 200);
  const other = await get(`/api/sites/${SITE}/composite.png?channels=1,2,3`);
  assert.notEqual(other.headers.etag, etag, 'other parameters, other ETag');
});

test('composite options: channels, percentiles, ranges, colours, thumbnails', { skip: needsSample() }, async () => {
  const tensor = await loadSite(path.join(dataset, 'images'), location(SITE));
  const pixels = async (url: string) => {
    const response = await get(url);
    assert.equal(response.statusCode, 200, url);
    return decode(response.rawPayload);
  };
  const same = (png: { data: ArrayLike<number> }, expected: Uint8Array, what: string) =>
    assert.ok(Buffer.from(png.data as Uint8Array).equals(Buffer.from(expected)), what);
  same(
    await pixels(`/api/sites/${SITE}/composite.png?channels=1,2,3`),
    compositeRgb(tensor, { channels: [1, 2, 3] }),
    'channels',
  );
  same(
    await pixels(`/api/sites/${SITE}/composite.png?percentiles=0.1,99.9`),
    compositeRgb(tensor, { percentiles: [0.1, 99.9] }),
    'percentiles',
  );
  same(
    await pixels(`/api/sites/${SITE}/composite.png?ranges=1:0-20,3:0-30`),
    compositeRgb(tensor, { ranges: { 1: [0, 20], 3: [0, 30] } }),
    'ranges',
  );
  const colors = Object.entries(RGB_MAP)
    .map(([c, { rgb }]) => `${c}:${rgb.map((v) => v.toString(16).padStart(2, '0')).join('')}`)
    .join(',');
  same(
    await pixels(`/api/sites/${SITE}/composite.png?colors=${colors}`),
    compositeRgb(tensor),
    'the reference colours given explicitly',
  );
  const red = await pixels(`/api/sites/${SITE}/composite.png?channels=1&colors=1:ff0000`);
  const expectedRed = new Uint8Array(512 * 512 * 3);
  for (let p = 0; p < 512 * 512; p++) expectedRed[p * 3] = Math.trunc(Math.min(tensor[p] / 255 / (51 / 255), 1) * 255);
  same(red, expectedRed, 'a custom colour by the reference formula');
  const thumb = await pixels(`/api/sites/${SITE}/composite.png?size=128`);
  assert.deepEqual([thumb.width, thumb.height], [128, 128]);
  same(thumb, downscale(compositeRgb(tensor), 512, 512, 3, 4), 'box-filtered thumbnail');
  // An incomplete site draws the channels it has by default.
  const incomplete = await loadSite(path.join(dataset, 'images'), location(INCOMPLETE), { channels: [1, 2, 3, 4] });
  same(
    await pixels(`/api/sites/${INCOMPLETE}/composite.png`),
    compositeRgb(incomplete, { channels: [1, 2, 3, 4] }),
    'incomplete site',
  );
  // Single channels: raw, downscaled, stretched.
  const channel = await pixels(`/api/sites/${SITE}/channels/2.png`);
  assert.deepEqual([channel.width, channel.channels], [512, 1]);
  same(channel, tensor.subarray(512 * 512, 2 * 512 * 512), 'raw channel');
  const small = await pixels(`/api/sites/${SITE}/channels/2.png?size=256&percentiles=1,99`);
  assert.deepEqual([small.width, small.height], [256, 256]);
});

test('plate values: metadata fields, features and cell counts of a run', { skip: needsSample() }, async () => {
  const types = (await get('/api/plates/HEPG2-01/2/values?field=well_type')).json();
  assert.deepEqual(types, {
    field: 'well_type',
    values: [
      { well: 'B02', value: 'negative_control' },
      { well: 'B03', value: 'treatment' },
    ],
  });
  const ids = (await get('/api/plates/HEPG2-08/1/values?field=sirna_id')).json();
  assert.deepEqual(
    ids.values.map((v: { value: number }) => v.value),
    [1138, ...TEST_LABELS],
  );
  // Site-level profiles are averaged into wells: B03 has sites 1 and 2 (cell counts 110 and 120).
  const counts = (await get('/api/plates/HEPG2-01/1/values?field=cell_count&run=run-1')).json();
  assert.deepEqual(counts, {
    field: 'cell_count',
    run: 'run-1',
    values: [
      { well: 'B02', value: 115 },
      { well: 'B03', value: 115 },
      { well: 'C05', value: 110 },
      { well: 'D07', value: 110 },
      { well: 'E10', value: 110 },
    ],
  });
  const plate = (await get('/api/plates/HEPG2-01/2/values?field=f_plate&run=run-1')).json();
  assert.deepEqual(plate.values, [
    { well: 'B02', value: 4 },
    { well: 'B03', value: 4 },
  ]);
});
