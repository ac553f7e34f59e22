import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { Command } from 'commander';
import { decode } from 'fast-png';
import type { FastifyInstance } from 'fastify';
import { createServer } from '../src/server/index.js';
import { downscale } from '../src/server/composite.js';
import { pca2 } from '../src/server/pca.js';
import { SERVER_PNG_LEVEL } from '../src/server/renderWorker.js';
import { EigenvalueDecomposition, Matrix } from 'ml-matrix';
import { registerCompetitionCommands } from '../src/cli/competition.js';
import { loadRxrx1Structure } from '../src/data/rxrx1Structure.js';
import { loadSite } from '../src/image/site.js';
import { compositeRgb } from '../src/image/rgb.js';
import { RGB_MAP } from '../src/rxrx1/index.js';
import { channelStats } from '../src/image/stats.js';
import { encodePng } from '../src/codec/png.js';
import { writeProfiles, META } from '../src/store/profiles.js';
import { dropPostgresSchema, openDb } from '../src/competition/db.js';
import { SUBMISSION_MESSAGES } from '../src/competition/submission.js';
import { COMPETITION_MESSAGES } from '../src/competition/store.js';
import type { SiteRecord } from '../src/data/site.js';
import { REPO_ROOT, SHARED_RXRX1, tempDir, needsSample, requirement } from './helpers.js';
import { officialRow, realOfficialDataset } from './datasetFixtures.js';

// ---- the fixture dataset: real PNGs in the official layout ----

const structure = loadRxrx1Structure();
const hepg2 = structure.experiments.find((e) => e.name === 'HEPG2-01')!;
const GROUP_P1 = hepg2.plateGroups[0];
const GROUP_P2 = hepg2.plateGroups[1];
const S1 = structure.groups[GROUP_P1].slice(0, 3);
const S2 = structure.groups[GROUP_P2][0];
const TEST_WELLS = ['B03', 'B04', 'B05', 'B06', 'B07', 'B08'];
const TEST_LABELS = [11, 22, 33, 44, 55, 66];

type Row = Parameters<typeof officialRow>[0];
const ROWS: Row[] = [
  ...[1, 2].map(
    (site): Row => ({
      dataset: 'train',
      experiment: 'HEPG2-01',
      plate: 1,
      well: 'B02',
      site,
      wellType: 'negative_control',
      sirnaId: 1138,
    }),
  ),
  ...[1, 2].map(
    (site): Row => ({
      dataset: 'train',
      experiment: 'HEPG2-01',
      plate: 1,
      well: 'B03',
      site,
      wellType: 'treatment',
      sirnaId: S1[0],
    }),
  ),
  { dataset: 'train', experiment: 'HEPG2-01', plate: 1, well: 'C05', site: 1, wellType: 'treatment', sirnaId: S1[1] },
  { dataset: 'train', experiment: 'HEPG2-01', plate: 1, well: 'D07', site: 1, wellType: 'treatment', sirnaId: S1[2] },
  {
    dataset: 'train',
    experiment: 'HEPG2-01',
    plate: 1,
    well: 'E10',
    site: 1,
    wellType: 'positive_control',
    sirnaId: 1108,
  },
  {
    dataset: 'train',
    experiment: 'HEPG2-01',
    plate: 2,
    well: 'B02',
    site: 1,
    wellType: 'negative_control',
    sirnaId: 1138,
  },
  { dataset: 'train', experiment: 'HEPG2-01', plate: 2, well: 'B03', site: 1, wellType: 'treatment', sirnaId: S2 },
  {
    dataset: 'test',
    experiment: 'HEPG2-08',
    plate: 1,
    well: 'B02',
    site: 1,
    wellType: 'negative_control',
    sirnaId: 1138,
  },
  ...TEST_WELLS.map(
    (well, i): Row => ({
      dataset: 'test',
      experiment: 'HEPG2-08',
      plate: 1,
      well,
      site: 1,
      wellType: 'treatment',
      sirnaId: TEST_LABELS[i],
    }),
  ),
];
const TEST_IDS = TEST_WELLS.map((well) => `HEPG2-08_1_${well}`);
const ORGANIZER = 'organizer-token';
/** Missing w5 and w6: an incomplete site, like RxRx1's site 2 of the reference wells. */
const INCOMPLETE = 'HEPG2-01_1_B03_2';
const SITE = 'HEPG2-01_1_B02_1';

let dataset: string;
let runsDir: string;
let app: FastifyInstance;
let clock = Date.parse('2026-03-02T08:00:00.000Z');
const now = () => {
  clock += 1000;
  return new Date(clock);
};

function location(id: string): SiteRecord {
  const [experiment, plate, well, site] = id.split('_');
  const row = ROWS.find(
    (r) => r.experiment === experiment && r.plate === Number(plate) && r.well === well && r.site === Number(site),
  )!;
  return {
    siteId: id,
    wellId: `${experiment}_${plate}_${well}`,
    cellType: 'HEPG2',
    dataset: row.dataset,
    experiment,
    plate: Number(plate),
    well,
    site: Number(site),
    wellType: row.wellType,
    sirna: null,
    sirnaId: row.sirnaId,
  };
}

function submissionCsv(labels: number[]): string {
  return `${['id_code,sirna', ...TEST_IDS.map((id, i) => `${id},${labels[i]}`)].join('\n')}\n`;
}

function multipart(
  field: string,
  filename: string,
  content: string,
): { payload: Buffer; headers: Record<string, string> } {
  const boundary = '----phenomapTestBoundary';
  const payload = Buffer.from(
    `--${boundary}\r\ncontent-disposition: form-data; name="${field}"; filename="${filename}"\r\ncontent-type: text/csv\r\n\r\n${content}\r\n--${boundary}--\r\n`,
  );
  return { payload, headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } };
}

function makeRuns(): string {
  const root = tempDir('phenomap-runs-');
  const runs = path.join(root, 'runs');
  const run = path.join(runs, 'run-1');
  fs.mkdirSync(path.join(run, 'plots'), { recursive: true });
  fs.writeFileSync(path.join(run, 'metrics.json'), JSON.stringify({ accuracy: 0.5, method: 'none' }));
  fs.writeFileSync(path.join(run, 'report.html'), '<!doctype html><title>run-1</title><img src="plots/pca.svg">');
  fs.writeFileSync(path.join(run, 'plots', 'pca.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
  fs.writeFileSync(path.join(root, 'secret.txt'), 'not for the web');
  // Site-level profiles: three features and a cell count per site.
  const sites = ROWS.map((r) => location(`${r.experiment}_${r.plate}_${r.well}_${r.site}`));
  const metadata: Record<string, (string | number | null)[]> = {
    [META.siteId]: sites.map((s) => s.siteId),
    [META.wellId]: sites.map((s) => s.wellId),
    [META.experiment]: sites.map((s) => s.experiment),
    [META.plate]: sites.map((s) => s.plate),
    [META.well]: sites.map((s) => s.well),
    [META.site]: sites.map((s) => s.site),
    [META.cellType]: sites.map((s) => s.cellType),
    [META.wellType]: sites.map((s) => s.wellType),
    [META.sirnaId]: sites.map((s) => s.sirnaId),
    [META.dataset]: sites.map((s) => s.dataset),
  };
  const columns = [
    Float32Array.from(sites, (_, i) => i),
    Float32Array.from(sites, (s, i) => Math.sin(i) + (s.experiment === 'HEPG2-08' ? 3 : 0)),
    Float32Array.from(sites, (s) => s.plate * 2),
    Float32Array.from(sites, (s) => 100 + s.site * 10),
  ];
  writeProfiles(path.join(run, 'profiles.parquet'), {
    rows: sites.length,
    metadata,
    features: ['f_index', 'f_sin', 'f_plate', 'cell_count'],
    columns,
  });
  fs.mkdirSync(path.join(runs, 'run-2'));
  fs.writeFileSync(path.join(runs, 'run-2', 'metrics.json'), '{"x":1}');
  return runs;
}

before(async () => {
  if (needsSample()) return;
  dataset = realOfficialDataset(ROWS.map(officialRow));
  for (const channel of [5, 6])
    fs.rmSync(path.join(dataset, 'images', 'train', 'HEPG2-01', 'Plate1', `B03_s2_w${channel}.png`));
  runsDir = makeRuns();
  app = await createServer({
    datasetDir: dataset,
    db: path.join(tempDir('phenomap-db-'), 'server.sqlite'),
    runsDir,
    threads: 1,
    competition: { organizerToken: ORGANIZER, dailyLimit: 2, seed: 5, now },
  });
});

after(async () => {
  await app?.close();
});

const get = (url: string, headers: Record<string, string> = {}) => app.inject({ method: 'GET', url, headers });

// ---- dataset and wells ----

test('health and dataset', { skip: needsSample() }, async () => {
  const health = await get('/api/health');
  assert.equal(health.statusCode, 200);
  assert.deepEqual(health.json(), {
    status: 'ok',
    dataset,
    layout: 'official',
    sites: ROWS.length,
    db: 'sqlite',
    competition: true,
    runs: true,
  });
  const body = (await get('/api/dataset')).json();
  assert.equal(body.root, dataset);
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
  const tensor = loadSite(path.join(dataset, 'images'), location(INCOMPLETE), { channels: [1, 2, 3, 4] });
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
  const expectedRgb = compositeRgb(loadSite(path.join(dataset, 'images'), location(SITE)));
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
  const tensor = loadSite(path.join(dataset, 'images'), location(SITE));
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
  const incomplete = loadSite(path.join(dataset, 'images'), location(INCOMPLETE), { channels: [1, 2, 3, 4] });
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

test('box filter downscaling, by hand', () => {
  const gray = Uint8Array.from([0, 2, 10, 11, 4, 6, 20, 20, 1, 1, 1, 1, 1, 1, 1, 2]);
  assert.deepEqual([...downscale(gray, 4, 4, 1, 2)], [3, 15, 1, 1]);
  assert.deepEqual([...downscale(gray, 4, 4, 1, 4)], [5]);
});

test('the 2-D PCA equals the exact principal components of the standardized features', () => {
  const n = 60;
  const p = 7;
  let state = 42;
  const random = () => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state / 2147483648 - 0.5;
  };
  const latent = Array.from({ length: n }, () => [random() * 6, random() * 3]);
  const columns = Array.from({ length: p }, (_, j) =>
    Float32Array.from(latent, ([a, b]) => a * Math.cos(j) + b * Math.sin(j) * (j + 1) + random() * 0.2 + j * 10),
  );
  const projection = pca2({ rows: n, metadata: {}, features: columns.map((_, j) => `f${j}`), columns });
  // Exact: eigenvectors of the correlation matrix (ml-matrix), scores = standardized X times them.
  const X = new Matrix(n, p);
  columns.forEach((column, j) => {
    const mean = column.reduce((a, b) => a + b, 0) / n;
    const sd = Math.sqrt(column.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1));
    for (let i = 0; i < n; i++) X.set(i, j, (column[i] - mean) / sd);
  });
  const evd = new EigenvalueDecomposition(
    X.transpose()
      .mmul(X)
      .div(n - 1),
    { assumeSymmetric: true },
  );
  const order = evd.realEigenvalues.map((v, k) => [v, k]).sort((a, b) => b[0] - a[0]);
  for (const [c, out] of [
    [0, projection.x],
    [1, projection.y],
  ] as const) {
    const k = order[c][1];
    const exact = X.mmul(evd.eigenvectorMatrix.getColumnVector(k)).to1DArray();
    const sign = Math.sign(exact[0]) === Math.sign(out[0]) ? 1 : -1;
    exact.forEach((value, i) => {
      assert.ok(Math.abs(sign * value - out[i]) < 1e-6, `component ${c + 1}, row ${i}`);
    });
    assert.ok(Math.abs(projection.explained[c] - order[c][0] / p) < 1e-9);
  }
});

// ---- plate maps and runs ----

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

describe('competition API', () => {
  let token = '';
  const auth = (t: string) => ({ authorization: `Bearer ${t}` });
  const submit = (body: string, t = token, type = 'text/csv') =>
    app.inject({
      method: 'POST',
      url: '/api/competition/submissions',
      headers: { ...auth(t), 'content-type': type },
      payload: body,
    });

  test('the demo competition is the dataset test treatment wells', { skip: needsSample() }, async () => {
    const info = (await get('/api/competition')).json();
    assert.deepEqual(
      { ...info, openedAt: typeof info.openedAt },
      {
        name: 'phenomap RxRx1 competition',
        state: 'open',
        metric: 'accuracy',
        ids: 6,
        publicIds: 2,
        privateIds: 4,
        dailyLimit: 2,
        maxBytes: 5 * 1024 * 1024,
        header: 'id_code,sirna',
        sirnaRange: [0, 1107],
        openedAt: 'string',
        closedAt: null,
      },
    );
  });

  test('register, submit (raw CSV and multipart), invalid files, daily limit', { skip: needsSample() }, async () => {
    const registered = await app.inject({ method: 'POST', url: '/api/competition/teams', payload: { name: 'Alpha' } });
    assert.equal(registered.statusCode, 201);
    token = registered.json().token;
    assert.equal(registered.json().team.name, 'Alpha');
    const duplicate = await app.inject({ method: 'POST', url: '/api/competition/teams', payload: { name: 'alpha' } });
    assert.equal(duplicate.statusCode, 409);
    assert.equal(duplicate.json().error, COMPETITION_MESSAGES.teamExists('alpha'));

    const noAuth = await app.inject({
      method: 'POST',
      url: '/api/competition/submissions',
      headers: { 'content-type': 'text/csv' },
      payload: submissionCsv(TEST_LABELS),
    });
    assert.deepEqual([noAuth.statusCode, noAuth.json().error], [401, COMPETITION_MESSAGES.unauthorized]);
    assert.deepEqual(
      [(await submit('x', 'pm_wrong')).statusCode, (await submit('x', 'pm_wrong')).json().error],
      [401, COMPETITION_MESSAGES.badToken],
    );

    const invalid = await submit('id_code,sirna\nHEPG2-08_1_B03,5000\n');
    assert.equal(invalid.statusCode, 400);
    assert.equal(
      invalid.json().error,
      `${SUBMISSION_MESSAGES.badSirna(1, 'line 2: "5000"')}; ${SUBMISSION_MESSAGES.missing(5, '"HEPG2-08_1_B04", "HEPG2-08_1_B05", "HEPG2-08_1_B06"')}`,
    );
    assert.equal(invalid.json().submission.valid, false);
    assert.equal(invalid.json().quota.used, 0, 'an invalid file does not count');
    assert.equal((await submit('')).json().error, SUBMISSION_MESSAGES.empty);

    const first = await submit(submissionCsv(TEST_LABELS));
    assert.equal(first.statusCode, 201);
    assert.equal(first.json().submission.publicScore, 1);
    assert.equal(first.json().submission.privateScore, null);
    const form = multipart('file', 'mine.csv', submissionCsv(TEST_LABELS.map((l, i) => (i < 3 ? l : 0))));
    const second = await app.inject({
      method: 'POST',
      url: '/api/competition/submissions',
      headers: { ...auth(token), ...form.headers },
      payload: form.payload,
    });
    assert.equal(second.statusCode, 201, second.body);
    assert.equal(second.json().submission.filename, 'mine.csv');
    assert.deepEqual(second.json().quota.used, 2);
    const third = await submit(submissionCsv(TEST_LABELS));
    assert.equal(third.statusCode, 429);
    assert.match(
      third.json().error,
      /^daily submission limit reached: 2 valid submission\(s\) per UTC day; the next one is possible from 2026-03-03T00:00:00\.000Z$/,
    );
    const mine = (
      await app.inject({ method: 'GET', url: '/api/competition/submissions', headers: auth(token) })
    ).json();
    assert.deepEqual(
      mine.submissions.map((s: { valid: boolean }) => s.valid),
      [true, true, false, false],
    );
    const me = (await app.inject({ method: 'GET', url: '/api/competition/teams/me', headers: auth(token) })).json();
    assert.equal(me.team.name, 'Alpha');
  });

  test('leaderboards, closing, private board', { skip: needsSample() }, async () => {
    const beta = (await app.inject({ method: 'POST', url: '/api/competition/teams', payload: { name: 'Beta' } })).json()
      .token;
    assert.equal((await submit(submissionCsv(TEST_LABELS.map(() => 0)), beta)).statusCode, 201);
    const board = (await get('/api/competition/leaderboard?board=public')).json();
    assert.deepEqual(
      board.entries.map((e: { team: string; rank: number; score: number }) => [e.rank, e.team, e.score]),
      [
        [1, 'Alpha', 1],
        [2, 'Beta', 0],
      ],
    );
    assert.deepEqual((await get('/api/competition/leaderboard')).json(), board, 'public is the default board');
    const hidden = await get('/api/competition/leaderboard?board=private');
    assert.deepEqual([hidden.statusCode, hidden.json().error], [403, COMPETITION_MESSAGES.privateHidden]);
    const wrong = await app.inject({ method: 'POST', url: '/api/competition/close', headers: auth(token) });
    assert.deepEqual([wrong.statusCode, wrong.json().error], [403, COMPETITION_MESSAGES.badOrganizer]);
    const closed = await app.inject({ method: 'POST', url: '/api/competition/close', headers: auth(ORGANIZER) });
    assert.equal(closed.statusCode, 200);
    assert.equal(closed.json().state, 'closed');
    const privateBoard = (await get('/api/competition/leaderboard?board=private')).json();
    assert.deepEqual(
      privateBoard.entries.map((e: { team: string; score: number }) => [e.team, e.score]),
      [
        ['Alpha', 1],
        ['Beta', 0],
      ],
    );
    const late = await submit(submissionCsv(TEST_LABELS), beta);
    assert.deepEqual([late.statusCode, late.json().error], [403, COMPETITION_MESSAGES.closed]);
  });
});

// ---- other servers ----

test('a real listen on 127.0.0.1, and phenomap submit against it', { skip: needsSample() }, async () => {
  const server = await createServer({
    datasetDir: dataset,
    db: path.join(tempDir('phenomap-db-'), 'listen.sqlite'),
    threads: 1,
    competition: { seed: 5 },
  });
  try {
    const address = await server.listen({ port: 0, host: '127.0.0.1' });
    const health = await fetch(`${address}/api/health`);
    assert.equal(health.status, 200);
    const image = await fetch(`${address}/api/sites/${SITE}/composite.png?size=64`);
    assert.equal(image.headers.get('content-type'), 'image/png');
    assert.equal(decode(new Uint8Array(await image.arrayBuffer())).width, 64);
    const { token } = (await (
      await fetch(`${address}/api/competition/teams`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'cli' }),
      })
    ).json()) as { token: string };
    const file = path.join(tempDir(), 'submission.csv');
    fs.writeFileSync(file, submissionCsv(TEST_LABELS));
    const lines: string[] = [];
    const log = console.log;
    console.log = (...parts: unknown[]) => void lines.push(parts.join(' '));
    try {
      const program = new Command().exitOverride();
      registerCompetitionCommands(program);
      await program.parseAsync(['node', 'phenomap', 'submit', file, '--server', address, '--token', token]);
    } finally {
      console.log = log;
    }
    assert.match(lines.join('\n'), /^submission 1: public score 1\.00000 \(1\/5 today\)$/);
  } finally {
    await server.close();
  }
});

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

test('the real RxRx1 files (Kaggle layout, read-only folder): dataset, composites, no demo competition', {
  skip: needsSample(),
}, async () => {
  const server = await createServer({
    datasetDir: SHARED_RXRX1,
    db: path.join(tempDir('phenomap-db-'), 'real.sqlite'),
    threads: 1,
  });
  try {
    const body = (await server.inject('/api/dataset')).json();
    assert.equal(body.layout, 'kaggle');
    assert.equal(body.experiments.length, 51);
    assert.equal(body.sites, 125510);
    const wells = (await server.inject('/api/wells?experiment=HEPG2-08&plate=1')).json();
    assert.equal(wells.length, 308);
    const groups = new Set(
      wells
        .filter((w: { wellType: string }) => w.wellType === 'treatment')
        .map((w: { sirnaGroup: number }) => w.sirnaGroup),
    );
    assert.deepEqual(
      [...groups],
      [structure.experiments.find((e) => e.name === 'HEPG2-08')!.plateGroups[0]],
      'unlabelled test wells get their plate group',
    );
    const id = 'U2OS-01_2_B02_1';
    const response = await server.inject(`/api/sites/${id}/composite.png`);
    const [experiment, plate] = id.split('_');
    const tensor = loadSite(path.join(SHARED_RXRX1, 'images'), {
      dataset: 'train',
      experiment,
      plate: Number(plate),
      well: 'B02',
      site: 1,
    });
    assert.ok(Buffer.from(decode(response.rawPayload).data as Uint8Array).equals(Buffer.from(compositeRgb(tensor))));
    const incomplete = (await server.inject('/api/sites/U2OS-01_2_B02_2')).json();
    assert.deepEqual(
      incomplete.channels.map((c: { present: boolean }) => c.present),
      [true, true, true, true, false, false],
    );
    assert.equal((await server.inject('/api/competition')).statusCode, 404);
  } finally {
    await server.close();
  }
});

test('a simulated dataset gets its demo competition by default', { skip: needsSample() }, async () => {
  const simulator = (await import(['..', 'src', 'data', 'simulate', 'index.js'].join('/')).catch(() => null)) as
    | typeof import('../src/data/simulate/index.js')
    | null;
  if (!simulator) return;
  const out = path.join(tempDir('phenomap-sim-'), 'data');
  await simulator.simulate({
    out,
    preset: {
      experiments: ['HEPG2-01', 'HUVEC-17'],
      groups: [0],
      sirnasPerGroup: 3,
      replicates: 1,
      positiveControls: 1,
    },
    seed: 1,
    threads: 1,
  });
  const server = await createServer({
    datasetDir: out,
    db: path.join(tempDir('phenomap-db-'), 'sim.sqlite'),
    threads: 1,
  });
  try {
    const wells = (await server.inject('/api/wells?dataset=test&wellType=treatment')).json();
    assert.ok(wells.length > 0);
    const info = (await server.inject('/api/competition')).json();
    assert.equal(info.ids, wells.length);
    const sample = [
      'id_code,sirna',
      ...wells.map((w: { wellId: string; sirnaId: number }) => `${w.wellId},${w.sirnaId}`),
    ].join('\n');
    const { token } = (
      await server.inject({ method: 'POST', url: '/api/competition/teams', payload: { name: 'sim' } })
    ).json();
    const result = await server.inject({
      method: 'POST',
      url: '/api/competition/submissions',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'text/csv' },
      payload: sample,
    });
    assert.equal(result.json().submission.publicScore, 1);
  } finally {
    await server.close();
  }
});

// ---- PostgreSQL ----

function pgUrl(): { url: string; fromEnv: boolean } | null {
  if (process.env.PHENOMAP_TEST_PG_URL) return { url: process.env.PHENOMAP_TEST_PG_URL, fromEnv: true };
  const file = path.join(REPO_ROOT, '.ci', 'pg-url');
  return fs.existsSync(file) ? { url: fs.readFileSync(file, 'utf8').trim(), fromEnv: false } : null;
}

const pg = pgUrl();
let pgSkip: string | false = pg
  ? false
  : 'PostgreSQL tests skipped: set PHENOMAP_TEST_PG_URL (CI: .ci/services.sh writes .ci/pg-url)';
if (pg && !pg.fromEnv) {
  const probe = await openDb(pg.url);
  await probe.get('SELECT 1 AS ok').then(
    () => undefined,
    (error: Error) =>
      (pgSkip = `PostgreSQL tests skipped: ${pg.url} does not answer (${error.message}); run .ci/services.sh`),
  );
  await probe.close();
}
if (pgSkip) console.log(requirement(false, pgSkip));

test('the server on PostgreSQL (same migrations, fresh schema)', { skip: needsSample() || pgSkip }, async () => {
  const schema = `phenomap_server_${process.pid}_${Date.now().toString(36)}`;
  const server = await createServer({
    datasetDir: dataset,
    db: pg!.url,
    dbSchema: schema,
    threads: 1,
    competition: { seed: 5, organizerToken: ORGANIZER, dailyLimit: 1 },
  });
  try {
    assert.equal((await server.inject('/api/health')).json().db, 'postgres');
    const { token } = (
      await server.inject({ method: 'POST', url: '/api/competition/teams', payload: { name: 'pg' } })
    ).json();
    const headers = { authorization: `Bearer ${token}`, 'content-type': 'text/csv' };
    assert.equal(
      (await server.inject({ method: 'POST', url: '/api/competition/submissions', headers, payload: 'bad' }))
        .statusCode,
      400,
    );
    assert.equal(
      (
        await server.inject({
          method: 'POST',
          url: '/api/competition/submissions',
          headers,
          payload: submissionCsv(TEST_LABELS),
        })
      ).statusCode,
      201,
    );
    assert.equal(
      (
        await server.inject({
          method: 'POST',
          url: '/api/competition/submissions',
          headers,
          payload: submissionCsv(TEST_LABELS),
        })
      ).statusCode,
      429,
    );
    assert.deepEqual(
      (await server.inject('/api/competition/leaderboard'))
        .json()
        .entries.map((e: { team: string; score: number }) => [e.team, e.score]),
      [['pg', 1]],
    );
    assert.equal(
      (
        await server.inject({
          method: 'POST',
          url: '/api/competition/close',
          headers: { authorization: `Bearer ${ORGANIZER}` },
        })
      ).statusCode,
      200,
    );
    assert.equal((await server.inject('/api/competition/leaderboard?board=private')).json().entries[0].score, 1);
  } finally {
    await server.close();
    await dropPostgresSchema(pg!.url, schema);
  }
});
