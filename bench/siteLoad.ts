/**
 * Site-loading benchmark: six channel PNGs decoded into one 6 x 512 x 512 tensor, on the real RxRx1 images
 * (site 1 of every well shipped), measured (a) one site at a time on the main thread, (b) through SiteLoaderPool with 1 and
 * with all cores' worker threads, and (c) against the reference in the same run: PIL + numpy doing what
 * rxrx1-utils' load_site does, in a python3 subprocess. Both sides read files warm from the page cache.
 * Writes bench/results/site-load.json.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadSites, SiteLoaderPool } from '../src/image/pool.js';
import { sitePaths } from '../src/data/site.js';
import { loadSite, SITE_TENSOR_SIZE } from '../src/image/site.js';
import { median, realSites, REAL_IMAGE_ROOT, REPO_ROOT } from './common.js';

/** Issue target: at least this many times PIL's sites/s on one core. */
const TARGET_RATIO_ONE_CORE = 1.5;

export interface SiteLoadBenchOptions {
  imageRoot?: string;
  /** Timed passes over all sites per configuration, after two warm-up passes (default 12). */
  rounds?: number;
  /** Where the JSON goes (default bench/results/site-load.json). */
  outFile?: string;
}
/**
 * Median sites/s over `rounds` timed passes of `pass` (each loads `count` sites), after two warm-up passes (JIT,
 * workers).
 */
async function timeRounds(
  count: number,
  rounds: number,
  pass: () => void | Promise<void>,
): Promise<{ sitesPerSecond: number; msPerSite: number; roundSitesPerSecond: number[] }> {
  for (let warmup = 0; warmup < 2; warmup++) await pass();
  const perRound: number[] = [];
  for (let round = 0; round < rounds; round++) {
    const start = performance.now();
    await pass();
    perRound.push((count * 1000) / (performance.now() - start));
  }
  const sitesPerSecond = median(perRound);
  return {
    sitesPerSecond: round2(sitesPerSecond),
    msPerSite: round2(1000 / sitesPerSecond),
    roundSitesPerSecond: perRound.map(round2),
  };
}

function round2(value: number): number {
  return Math.round(value * 100) / 100;
}

/** rxrx1-utils load_site's work (np.stack of PIL arrays, channels last), timed inside Python. */
const PIL_SCRIPT = `
import json, sys, time
import numpy as np, PIL
from PIL import Image
sites, rounds = json.loads(sys.stdin.read())
def load(paths):
    return np.stack([np.array(Image.open(p)) for p in paths], axis=2)
for paths in sites: load(paths)
per_round = []
for _ in range(rounds):
    start = time.perf_counter()
    for paths in sites: load(paths)
    per_round.append(len(sites) / (time.perf_counter() - start))
print(json.dumps({"python": sys.version.split()[0], "pil": PIL.__version__, "numpy": np.__version__, "perRound": per_round}))
`;

type PilResult =
  | {
      python: string;
      executable: string;
      pil: string;
      numpy: string;
      sitesPerSecond: number;
      msPerSite: number;
      roundSitesPerSecond: number[];
    }
  | { unavailable: string };

function benchPil(paths: string[][], rounds: number): PilResult {
  const failures: string[] = [];
  for (const executable of ['/usr/bin/python3', 'python3']) {
    const run = spawnSync(executable, ['-c', PIL_SCRIPT], {
      input: JSON.stringify([paths, rounds]),
      encoding: 'utf8',
      maxBuffer: 1 << 20,
    });
    if (run.status === 0) {
      const result = JSON.parse(run.stdout) as { python: string; pil: string; numpy: string; perRound: number[] };
      const sitesPerSecond = median(result.perRound);
      return {
        python: result.python,
        executable,
        pil: result.pil,
        numpy: result.numpy,
        sitesPerSecond: round2(sitesPerSecond),
        msPerSite: round2(1000 / sitesPerSecond),
        roundSitesPerSecond: result.perRound.map(round2),
      };
    }
    const lastLine = (run.error?.message ?? run.stderr.trim().split('\n').pop() ?? `exit ${run.status}`).trim();
    failures.push(`${executable}: ${lastLine}`);
  }
  return { unavailable: `no python3 with PIL and numpy (${failures.join('; ')})` };
}

export async function benchSiteLoad(options: SiteLoadBenchOptions = {}): Promise<Record<string, unknown>> {
  const imageRoot = options.imageRoot ?? REAL_IMAGE_ROOT;
  const rounds = options.rounds ?? 12;
  const outFile = options.outFile ?? path.join(REPO_ROOT, 'bench', 'results', 'site-load.json');
  const sites = realSites(imageRoot);
  if (sites.length === 0) throw new Error(`benchSiteLoad: no site 1 images (…_s1_w1.png) below ${imageRoot}`);
  const cores = os.availableParallelism();

  const out = new Uint8Array(SITE_TENSOR_SIZE);
  const sync = await timeRounds(sites.length, rounds, async () => {
    for (const site of sites) await loadSite(imageRoot, site, out);
  });

  const threadCounts = [...new Set([1, cores])];
  const pools = [];
  for (const threads of threadCounts) {
    const pool = new SiteLoaderPool({ threads });
    try {
      const timing = await timeRounds(sites.length, rounds, async () => {
        for await (const loaded of loadSites(imageRoot, sites, {
          pool,
          onError: (_, error) => {
            throw error;
          },
        }))
          void loaded;
      });
      pools.push({ threads, ...timing });
    } finally {
      await pool.close();
    }
  }
  const single = pools[0].sitesPerSecond;
  // Scaling efficiency is against the 1-thread pool (same per-site overhead); speedup is against sync loadSite.
  const poolResults = pools.map((p) => ({
    ...p,
    scalingEfficiency: round2(p.sitesPerSecond / (p.threads * single)),
    speedupOverSync: round2(p.sitesPerSecond / sync.sitesPerSecond),
  }));
  const widest = poolResults[poolResults.length - 1];

  const pil = benchPil(
    sites.map((site) => sitePaths(site).map((file) => path.join(imageRoot, file))),
    rounds,
  );
  const pilSitesPerSecond = 'sitesPerSecond' in pil ? pil.sitesPerSecond : null;
  const ratioToPilOneCore = pilSitesPerSecond ? round2(sync.sitesPerSecond / pilSitesPerSecond) : null;

  const results = {
    benchmark: 'site load: 6 channel PNGs (512x512 8-bit gray) decoded into one 6x512x512 uint8 tensor',
    date: new Date().toISOString(),
    machine: {
      cpuModel: os.cpus()[0]?.model ?? 'unknown',
      cores,
      node: process.version,
      platform: `${os.platform()} ${os.release()} ${os.arch()}`,
      memoryGiB: round2(os.totalmem() / 2 ** 30),
    },
    imageRoot,
    sites: sites.length,
    rounds,
    note: 'median sites/s over the timed rounds, after two warm-up rounds; files warm in the page cache for every contender',
    syncLoadSite: sync,
    pool: poolResults,
    pil,
    ratioToPilOneCore,
    // Throughput per core with every core busy, against PIL on one core.
    ratioToPilPerCoreAllThreads: pilSitesPerSecond
      ? round2(widest.sitesPerSecond / (widest.threads * pilSitesPerSecond))
      : null,
    target: {
      ratioToPilOneCore: TARGET_RATIO_ONE_CORE,
      met: ratioToPilOneCore === null ? null : ratioToPilOneCore >= TARGET_RATIO_ONE_CORE,
    },
  };
  fs.mkdirSync(path.dirname(outFile), { recursive: true });
  // Written whole under a temporary name then renamed, so a killed run never leaves a half-written result.
  fs.writeFileSync(`${outFile}.tmp`, `${JSON.stringify(results, null, 2)}\n`);
  fs.renameSync(`${outFile}.tmp`, outFile);
  return results;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  console.log(JSON.stringify(await benchSiteLoad(), null, 2));
}
