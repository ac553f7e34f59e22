/**
 * The server tests' fixture: a dataset of real RxRx1 PNGs in the official layout (one incomplete site), a runs
 * folder with profiles, and a server over them with a demo competition on a test clock. Importing it registers the
 * hooks that build the server before the file's tests and close it after; the bindings below fill in then.
 */
import { after, before } from 'node:test';
import fs from 'node:fs';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { createServer } from '../../src/server/index.js';
import { loadRxrx1Structure } from '../../src/data/rxrx1Structure.js';
import { writeProfiles, META } from '../../src/store/profiles.js';
import type { SiteRecord } from '../../src/data/site.js';
import { tempDir, needsSample } from '../helpers.js';
import { officialRow, realOfficialDataset } from '../datasetFixtures.js';

export const structure = loadRxrx1Structure();
export const hepg2 = structure.experiments.find((e) => e.name === 'HEPG2-01')!;
export const GROUP_P1 = hepg2.plateGroups[0];
export const GROUP_P2 = hepg2.plateGroups[1];
export const S1 = structure.groups[GROUP_P1].slice(0, 3);
export const S2 = structure.groups[GROUP_P2][0];
export const TEST_WELLS = ['B03', 'B04', 'B05', 'B06', 'B07', 'B08'];
export const TEST_LABELS = [11, 22, 33, 44, 55, 66];

type Row = Parameters<typeof officialRow>[0];
export const ROWS: Row[] = [
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
export const TEST_IDS = TEST_WELLS.map((well) => `HEPG2-08_1_${well}`);
export const ORGANIZER = 'organizer-token';
/** Missing w5 and w6: an incomplete site, like RxRx1's site 2 of the reference wells. */
export const INCOMPLETE = 'HEPG2-01_1_B03_2';
export const SITE = 'HEPG2-01_1_B02_1';

export let dataset: string;
export let runsDir: string;
export let app: FastifyInstance;
let clock = Date.parse('2026-03-02T08:00:00.000Z');
const now = () => {
  clock += 1000;
  return new Date(clock);
};

export function location(id: string): SiteRecord {
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

export function submissionCsv(labels: number[]): string {
  return `${['id_code,sirna', ...TEST_IDS.map((id, i) => `${id},${labels[i]}`)].join('\n')}\n`;
}

export function multipart(
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

export function makeRuns(): string {
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

export const get = (url: string, headers: Record<string, string> = {}) => app.inject({ method: 'GET', url, headers });
