/**
 * Featurization benchmark on the real RxRx1 sites (site 1 of every well shipped, all six channels), one core:
 * (a) phenomap's segmentation (nuclei + cells) with shape and 6-channel intensity of both object sets: the same
 *     work as the reference; (b) the full phenomap site featurization (adds colocalization of 15 channel pairs,
 *     Haralick texture on 6 channels, granularity, site aggregation); (c) the reference in the same run:
 *     scikit-image 0.19 + scipy doing the same segmentation and regionprops_table (shape + intensity on 6 channels),
 *     scripts/fixtures/features_skimage_pipeline.py in a python3 subprocess pinned to one thread.
 * Images are decoded before timing on both sides. Writes bench/results/featurize.json.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { sitePaths } from '../src/data/site.js';
import { DEFAULT_FEATURIZE, featurizeSite, FeaturizeWorkspace } from '../src/features/pipeline.js';
import { measureObjects } from '../src/features/measure.js';
import { segmentCells, segmentNuclei } from '../src/features/segment.js';
import { loadSite } from '../src/image/site.js';
import { median, pythonCommand, realSites, REAL_IMAGE_ROOT, REPO_ROOT } from './common.js';

const REFERENCE_SCRIPT = path.join(REPO_ROOT, 'scripts', 'fixtures', 'features_skimage_pipeline.py');
/** Issue target: at least this many times scikit-image's sites/s per core. */
const TARGET_RATIO = 2;

export interface FeaturizeBenchOptions {
  imageRoot?: string;
  /** Timed passes over all sites, after one warm-up pass (default 3). */
  rounds?: number;
  /** Python with scikit-image (default $PHENOMAP_PYTHON, else /usr/bin/python3 where it exists, else python3). */
  python?: string;
  outFile?: string;
}
function round2(value: number): number {
  return Math.round(value * 100) / 100;
}

/** Median per-site time over `rounds` timed passes (after a warm-up pass). */
function timeRounds(count: number, rounds: number, pass: () => void): { sitesPerSecond: number; msPerSite: number } {
  pass();
  const perSite: number[] = [];
  for (let round = 0; round < rounds; round++) {
    const start = performance.now();
    pass();
    perSite.push((performance.now() - start) / count);
  }
  const ms = median(perSite);
  return { sitesPerSecond: round2(1000 / ms), msPerSite: round2(ms) };
}

export async function benchFeaturize(options: FeaturizeBenchOptions = {}): Promise<Record<string, unknown>> {
  const imageRoot = options.imageRoot ?? REAL_IMAGE_ROOT;
  const rounds = options.rounds ?? 3;
  const sites = realSites(imageRoot);
  if (sites.length === 0) throw new Error(`benchFeaturize: no complete site 1 found below ${imageRoot}`);
  const tensors = await Promise.all(sites.map((site) => loadSite(imageRoot, site)));
  const workspace = new FeaturizeWorkspace();
  const { width, height } = workspace;
  const same = { colocalizationPairs: [], texture: false, granularity: false as const };
  const nucleiCounts: number[] = [];

  const subset = timeRounds(sites.length, rounds, () => {
    nucleiCounts.length = 0;
    for (const tensor of tensors) {
      const nuclei = segmentNuclei(
        tensor,
        width,
        height,
        DEFAULT_FEATURIZE.nuclei,
        workspace.segmentation,
        workspace.nucleiLabels,
      );
      const cells = segmentCells(
        tensor,
        width,
        height,
        nuclei,
        DEFAULT_FEATURIZE.cells,
        workspace.segmentation,
        workspace.cellLabels,
      );
      measureObjects('Nuclei', nuclei.labels, nuclei.count, tensor, width, height, same, workspace.measure);
      measureObjects('Cells', cells.labels, cells.count, tensor, width, height, same, workspace.measure);
      nucleiCounts.push(nuclei.count);
    }
  });
  let features = 0;
  const full = timeRounds(sites.length, rounds, () => {
    for (const tensor of tensors) features = featurizeSite(tensor, DEFAULT_FEATURIZE, workspace).names.length;
  });

  const python = options.python ?? pythonCommand();
  const request = JSON.stringify({
    files: sites.map((site) => sitePaths(site).map((p) => path.join(imageRoot, p))),
    rounds,
  });
  const single = { OMP_NUM_THREADS: '1', OPENBLAS_NUM_THREADS: '1', MKL_NUM_THREADS: '1' };
  const child = spawnSync(python, [REFERENCE_SCRIPT, 'bench'], {
    input: request,
    encoding: 'utf8',
    env: { ...process.env, ...single },
    maxBuffer: 1 << 24,
  });
  let reference: { sitesPerSecond: number; msPerSite: number; nuclei: number[] } | { error: string };
  if (child.status === 0) {
    reference = JSON.parse(child.stdout);
  } else {
    reference = {
      error: `${python} ${path.relative(REPO_ROOT, REFERENCE_SCRIPT)} failed: ${(child.stderr || String(child.error)).trim().split('\n').slice(-3).join(' | ')}`,
    };
  }
  const ratio = 'sitesPerSecond' in reference ? round2(subset.sitesPerSecond / reference.sitesPerSecond) : null;
  const result = {
    benchmark: 'featurize',
    date: new Date().toISOString(),
    machine: {
      cpus: os.cpus().length,
      cpu: os.cpus()[0]?.model,
      loadAverage: os.loadavg().map(round2),
      node: process.version,
    },
    sites: sites.length,
    rounds,
    note: 'sites per second on one core, decoding excluded; reference = scikit-image segmentation + regionprops_table (shape + intensity on 6 channels) of nuclei and cells',
    phenomap: {
      sameWorkAsReference: subset,
      fullFeaturization: { ...full, features },
      nucleiPerSite: nucleiCounts,
    },
    reference: { ...reference, python },
    ratio,
    fullFeaturizationRatio:
      'sitesPerSecond' in reference ? round2(full.sitesPerSecond / reference.sitesPerSecond) : null,
    target: TARGET_RATIO,
    meetsTarget: ratio !== null && ratio >= TARGET_RATIO,
  };
  const outFile = options.outFile ?? path.join(REPO_ROOT, 'bench', 'results', 'featurize.json');
  fs.mkdirSync(path.dirname(outFile), { recursive: true });
  fs.writeFileSync(outFile, `${JSON.stringify(result, null, 2)}\n`);
  return result;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  console.log(JSON.stringify(await benchFeaturize(), null, 2));
}
