/**
 * The demo (`npm start`): simulate a small RxRx1-shaped dataset if none is there, validate and index it,
 * write RGB composites of a few sites, run the profiling pipeline (featurize -> correct -> evaluate) into
 * {out}/run, and record what was done in {out}/summary.json.
 */
import fs from 'node:fs';
import path from 'node:path';
import { checkDataset } from '../data/check.js';
import { detectLayout } from '../data/layout.js';
import { ensureSiteIndex, querySiteIndex } from '../data/siteIndex.js';
import { simulate, type PresetName } from '../data/simulate/index.js';
import { SITE_SIZE } from '../rxrx1/index.js';
import type { SiteRecord } from '../data/site.js';
import { loadSite } from '../image/site.js';
import { compositeRgb } from '../image/rgb.js';
import { channelStats } from '../image/stats.js';
import { encodePng } from '../codec/png.js';
import { runPipeline } from './pipeline.js';

export interface DemoOptions {
  dataDir: string;
  outDir: string;
  preset: PresetName;
  seed: number;
}

/** How the caller shows progress of a long step (the CLI passes a progress-bar runner). */
export type ProgressRunner = <T>(
  label: string,
  unit: string,
  step: (onProgress: (done: number, total: number) => void) => Promise<T>,
) => Promise<T>;

const silent: ProgressRunner = (_label, _unit, step) => step(() => {});

/** One site per (cell type, well type): the composites a person looks at first. */
function pickShowcase(sites: SiteRecord[]): SiteRecord[] {
  const picked = new Map<string, SiteRecord>();
  for (const site of sites) {
    const key = `${site.cellType}/${site.wellType}`;
    if (site.site === 1 && !picked.has(key)) picked.set(key, site);
  }
  return [...picked.values()];
}

type Timed = <T>(name: string, work: () => Promise<T>) => Promise<T>;

interface Composite {
  siteId: string;
  cellType: string;
  wellType: string;
  file: string;
  channelMeans: number[];
}

/** The RGB composite and channel means of one site of each cell type and well type. */
async function writeComposites(
  imageRoot: string,
  sites: SiteRecord[],
  rgbDir: string,
  onProgress: (done: number, total: number) => void,
): Promise<Composite[]> {
  fs.mkdirSync(rgbDir, { recursive: true });
  const showcase = pickShowcase(sites);
  const written: Composite[] = [];
  for (const [i, site] of showcase.entries()) {
    const tensor = await loadSite(imageRoot, site);
    const file = path.join(rgbDir, `${site.siteId}.png`);
    fs.writeFileSync(file, encodePng(compositeRgb(tensor), SITE_SIZE, SITE_SIZE, 3));
    const stats = channelStats(tensor);
    written.push({
      siteId: site.siteId,
      cellType: site.cellType,
      wellType: site.wellType,
      file,
      channelMeans: stats.map((s) => Number(s.mean.toFixed(2))),
    });
    onProgress(i + 1, showcase.length);
  }
  return written;
}

/** Simulates the dataset unless one is already there; true when it did. */
async function ensureDataset(options: DemoOptions, progress: ProgressRunner, timed: Timed, log: Log): Promise<boolean> {
  const simulated = !fs.existsSync(path.join(options.dataDir, 'metadata.csv'));
  if (simulated) {
    log(`simulating the '${options.preset}' preset (seed ${options.seed}) into ${options.dataDir}`);
    await timed('simulate', () =>
      progress('simulate', 'sites', (onProgress) =>
        simulate({ out: options.dataDir, preset: options.preset, seed: options.seed, onProgress }),
      ),
    );
  } else {
    log(`using the dataset already in ${options.dataDir}`);
  }
  return simulated;
}

type Log = (line: string) => void;
type DemoSummary = Record<string, unknown> & {
  experiments: string[];
  sitesByCellTypeAndWellType: Record<string, Record<string, number>>;
};

function printSummary(
  summary: DemoSummary,
  composites: Composite[],
  run: { run: string; report: string },
  metrics: { heldout_accuracy: Record<string, number | null>; chance_accuracy: number },
  context: { options: DemoOptions; rgbDir: string; sites: number; timings: Record<string, number> },
  log: Log,
): void {
  const { options, rgbDir, timings } = context;
  log(`\n${context.sites} sites in ${summary.experiments.length} experiments: ${summary.experiments.join(', ')}`);
  for (const [cellType, byType] of Object.entries(summary.sitesByCellTypeAndWellType))
    log(
      `  ${cellType.padEnd(6)} ${Object.entries(byType)
        .map(([t, n]) => `${t} ${n}`)
        .join(', ')}`,
    );
  log(`\nRGB composites (rxrx1-utils colours) in ${rgbDir}:`);
  for (const c of composites)
    log(`  ${c.siteId.padEnd(20)} ${c.wellType.padEnd(17)} channel means ${c.channelMeans.join(' ')}`);
  log(`\nprofiling run (featurize -> select -> normalize -> correct -> evaluate) in ${run.run}`);
  log(`  held-out siRNA accuracy by correction method (chance ${metrics.chance_accuracy.toFixed(3)}):`);
  for (const [method, accuracy] of Object.entries(metrics.heldout_accuracy))
    log(`    ${method.padEnd(13)} ${accuracy === null ? '-' : accuracy.toFixed(3)}`);
  log(`  report: ${run.report}   browse: npx phenomap serve ${options.dataDir} --runs ${options.outDir}`);
  log(`\nsummary: ${path.join(options.outDir, 'summary.json')}  (timings ${JSON.stringify(timings)})`);
}

export async function runDemo(
  options: DemoOptions,
  progress: ProgressRunner = silent,
  log: Log = console.log,
): Promise<Record<string, unknown>> {
  const timings: Record<string, number> = {};
  const timed: Timed = async (name, work) => {
    const started = performance.now();
    try {
      return await work();
    } finally {
      timings[name] = Number(((performance.now() - started) / 1000).toFixed(3));
    }
  };
  const simulated = await ensureDataset(options, progress, timed, log);
  const layout = await detectLayout(options.dataDir);
  const check = await timed('check', () =>
    progress('check', 'plates', (onProgress) => checkDataset(options.dataDir, { onProgress })),
  );
  const verdict = check.ok ? 'no problems' : 'PROBLEMS FOUND (run phenomap check)';
  log(`check: ${check.sites} sites, ${check.foundFiles} images, ${verdict}`);
  const index = await timed('index', () => ensureSiteIndex(layout));
  const sites = await querySiteIndex(index.file);
  log(`index: ${index.file}`);
  const rgbDir = path.join(options.outDir, 'rgb');
  const composites = await timed('rgb', () =>
    progress('rgb', 'sites', async (onProgress) => writeComposites(layout.imageRoot, sites, rgbDir, onProgress)),
  );
  const run = await timed('pipeline', () =>
    progress('featurize', 'sites', (onProgress) =>
      runPipeline(options.dataDir, { out: path.join(options.outDir, 'run'), onProgress }),
    ),
  );
  const metrics = JSON.parse(fs.readFileSync(run.metrics, 'utf8')) as {
    heldout_accuracy: Record<string, number | null>;
    chance_accuracy: number;
  };
  const counts: Record<string, Record<string, number>> = {};
  for (const site of sites) {
    counts[site.cellType] ??= {};
    counts[site.cellType][site.wellType] = (counts[site.cellType][site.wellType] ?? 0) + 1;
  }
  const summary: DemoSummary = {
    dataset: path.resolve(options.dataDir),
    simulated,
    preset: options.preset,
    seed: options.seed,
    sites: sites.length,
    experiments: [...new Set(sites.map((s) => s.experiment))],
    sitesByCellTypeAndWellType: counts,
    check: {
      ok: check.ok,
      problems: Object.fromEntries(Object.entries(check.problems).map(([kind, p]) => [kind, p.count])),
    },
    index: index.file,
    composites,
    run: {
      folder: run.run,
      report: run.report,
      heldoutAccuracy: metrics.heldout_accuracy,
      chanceAccuracy: metrics.chance_accuracy,
    },
    timings,
    versions: { node: process.version },
  };
  fs.writeFileSync(path.join(options.outDir, 'summary.json'), JSON.stringify(summary, null, 2));
  printSummary(summary, composites, run, metrics, { options, rgbDir, sites: sites.length, timings }, log);
  return summary;
}
