/** The browser test's fixture: the built web app, a simulated dataset with a run, and page helpers. */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Page } from 'playwright-core';
import { OFFICIAL_COLUMNS } from '../../src/data/metadata.js';
import { channelPath, sitePaths } from '../../src/data/site.js';
import { META, writeProfiles } from '../../src/store/profiles.js';
import { REPO_ROOT, SHARED_RXRX1, tempDir, requirement } from '../helpers.js';

export const CHROMIUM = process.env.PHENOMAP_CHROMIUM ?? '/usr/bin/chromium';
export const WEB_SOURCE = path.join(REPO_ROOT, 'src', 'web');
export const WEB_DIR = path.join(REPO_ROOT, 'dist', 'web');
export const SERVER_MODULE = path.join(REPO_ROOT, 'dist', 'src', 'server', 'index.js');
export const SIMULATE_MODULE = path.join(REPO_ROOT, 'dist', 'src', 'data', 'simulate', 'index.js');
export const ARTIFACTS = path.join(REPO_ROOT, 'test-artifacts', 'e2e');
export const USED_WELLS = 308;

/** What the test needs of src/server (imported at run time so that this file compiles before the server exists). */
export interface ServerModule {
  createServer(options: {
    datasetDir: string;
    db?: string;
    webDir?: string;
    runsDir?: string;
  }): Promise<AppLike> | AppLike;
}
export interface AppLike {
  listen(options: { host: string; port: number }): Promise<string>;
  close(): Promise<unknown>;
}

export function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(full) : fs.statSync(full).mtimeMs);
  }
  return newest;
}

/** Builds the web app with Vite unless dist/web/index.html is newer than every file of src/web. */
export async function buildWeb(): Promise<void> {
  const index = path.join(WEB_DIR, 'index.html');
  if (fs.existsSync(index) && fs.statSync(index).mtimeMs >= newestMtime(WEB_SOURCE)) return;
  const vite = path.join(REPO_ROOT, 'node_modules', 'vite', 'bin', 'vite.js');
  const child = spawn(
    process.execPath,
    [vite, 'build', '--config', path.join('src', 'web', 'vite.config.ts'), '--logLevel', 'warn'],
    { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  assert.equal(code, 0, `vite build failed:\n${output}`);
}

/** The tiny simulated dataset, or (before the simulator exists) a few wells made of copies of real PNGs. */
export async function makeDataset(): Promise<string> {
  const dir = tempDir('phenomap-e2e-data-');
  if (fs.existsSync(SIMULATE_MODULE)) {
    const { simulate } = (await import(pathToFileURL(SIMULATE_MODULE).href)) as {
      simulate(options: { out: string; preset: string; seed: number; threads?: number }): Promise<unknown>;
    };
    await simulate({ out: dir, preset: 'tiny', seed: 1, threads: 2 });
    return dir;
  }
  const rows: string[] = [];
  const wells: [string, string, number][] = [
    ['B02', 'negative_control', 1138],
    ['C05', 'positive_control', 1108],
    ['D07', 'treatment', 12],
    ['E10', 'treatment', 40],
    ['F11', 'treatment', 77],
  ];
  for (const [experiment, dataset] of [
    ['HEPG2-01', 'train'],
    ['HEPG2-08', 'test'],
  ] as const) {
    for (const [well, wellType, sirnaId] of wells) {
      for (const site of [1, 2]) {
        rows.push(
          [
            `${experiment}_1_${well}_${site}`,
            `${experiment}_1_${well}`,
            'HEPG2',
            dataset,
            experiment,
            1,
            well,
            site,
            wellType,
            wellType === 'negative_control' ? 'EMPTY' : `s${sirnaId}`,
            sirnaId,
          ].join(','),
        );
        const source = sitePaths({ dataset: 'train', experiment: 'HEPG2-01', plate: 1, well: 'B02', site: 1 });
        for (let channel = 1; channel <= 6; channel++) {
          const target = path.join(dir, 'images', channelPath({ dataset, experiment, plate: 1, well, site }, channel));
          fs.mkdirSync(path.dirname(target), { recursive: true });
          fs.copyFileSync(path.join(SHARED_RXRX1, 'images', source[channel - 1]), target);
        }
      }
    }
  }
  fs.writeFileSync(path.join(dir, 'metadata.csv'), `${[OFFICIAL_COLUMNS.join(','), ...rows].join('\n')}\n`);
  return dir;
}

export interface WellRow {
  wellId: string;
  experiment: string;
  plate: number;
  well: string;
  cellType: string;
  dataset: string;
  wellType: string;
  sirnaId: number | null;
}

export const RUN = 'e2e-run';
export const FEATURES = [
  'Cells_Count',
  'Nuclei_AreaShape_Area',
  'Nuclei_Intensity_MeanIntensity_w1',
  'Cells_Intensity_MeanIntensity_w2',
  'Cytoplasm_Texture_Contrast_w3',
  'Cells_AreaShape_Eccentricity',
];

/**
 * A pipeline run folder for the map, reports and feature views: well profiles (a per-experiment offset as the
 * batch effect, a per-siRNA offset as the biology, seeded noise) and a small report.html.
 */
export function makeRun(runsDir: string, wells: WellRow[]): void {
  let state = 7;
  const random = () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const experiments = [...new Set(wells.map((w) => w.experiment))];
  const columns = FEATURES.map(() => new Float32Array(wells.length));
  wells.forEach((w, i) => {
    const batch = experiments.indexOf(w.experiment);
    const effect = ((w.sirnaId ?? 0) % 7) / 7;
    FEATURES.forEach((_, j) => {
      columns[j][i] =
        j === 0
          ? Math.round(300 + 60 * batch + 120 * effect + 40 * random())
          : batch * ((j % 3) + 1) + effect * (j + 1) + random();
    });
  });
  const column = <K extends keyof WellRow>(key: K) => wells.map((w) => w[key] as string | number | null);
  writeProfiles(path.join(runsDir, RUN, 'well_profiles.parquet'), {
    rows: wells.length,
    metadata: {
      [META.wellId]: column('wellId'),
      [META.dataset]: column('dataset'),
      [META.experiment]: column('experiment'),
      [META.plate]: column('plate'),
      [META.well]: column('well'),
      [META.cellType]: column('cellType'),
      [META.wellType]: column('wellType'),
      [META.sirnaId]: column('sirnaId'),
    },
    features: FEATURES,
    columns,
  });
  fs.writeFileSync(
    path.join(runsDir, RUN, 'report.html'),
    '<!doctype html><meta charset="utf-8"><title>e2e report</title><body style="font-family:sans-serif"><h1>Evaluation report</h1><p>Run e2e-run: a synthetic run made by the end-to-end test.</p></body>',
  );
}

/** FNV-1a hash of the decoded pixels of the composite <img> (drawn to a canvas in the page). */
export async function imagePixelsHash(
  page: Page,
): Promise<{ hash: string; width: number; height: number; mean: number }> {
  return page.$eval('img[data-testid="composite"]', (element) => {
    const img = element as HTMLImageElement;
    const canvas = document.createElement('canvas');
    canvas.width = img.naturalWidth;
    canvas.height = img.naturalHeight;
    const context = canvas.getContext('2d')!;
    context.drawImage(img, 0, 0);
    const data = context.getImageData(0, 0, canvas.width, canvas.height).data;
    let hash = 0x811c9dc5;
    let sum = 0;
    for (let i = 0; i < data.length; i++) {
      hash = Math.imul(hash ^ data[i], 0x01000193) >>> 0;
      if (i % 4 !== 3) sum += data[i];
    }
    return { hash: hash.toString(16), width: canvas.width, height: canvas.height, mean: sum / ((data.length / 4) * 3) };
  });
}

export async function wellColors(page: Page): Promise<string[]> {
  return page.$$eval('button[data-testid="well"]', (elements) =>
    elements.map((e) => getComputedStyle(e).backgroundColor),
  );
}

/** Waits for the composite to be loaded from a URL other than `previous`; returns the new URL. */
export async function waitForComposite(page: Page, previous?: string): Promise<string> {
  await page.waitForFunction(
    (before) => {
      const img = document.querySelector<HTMLImageElement>('img[data-testid="composite"]');
      return (
        !!img &&
        img.dataset.state === 'loaded' &&
        img.complete &&
        img.naturalWidth > 0 &&
        img.getAttribute('src') !== before
      );
    },
    previous ?? null,
    { timeout: 20_000 },
  );
  return (await page.getAttribute('img[data-testid="composite"]', 'src'))!;
}

export const CHROMIUM_SKIP = requirement(
  fs.existsSync(CHROMIUM),
  `${CHROMIUM} is absent: run .ci/browser.sh (installs Debian's chromium) to run the browser test`,
);
