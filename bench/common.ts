/** What the benchmarks share: where things are, the real sites, and how results are written. */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { sitePaths } from '../src/data/site.js';
import type { SiteLocation } from '../src/image/site.js';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
/** The real RxRx1 sample: PHENOMAP_RXRX1_SAMPLE, else ../shared/data/rxrx1 beside the repository (as the tests). */
export const SHARED_RXRX1 = path.resolve(
  process.env.PHENOMAP_RXRX1_SAMPLE ?? path.resolve(REPO_ROOT, '..', 'shared', 'data', 'rxrx1'),
);
export const REAL_IMAGE_ROOT = path.join(SHARED_RXRX1, 'images');

export { median } from '../src/numerics/index.js';

/** Site 1 of every well whose six channel files exist below imageRoot/{train,test}/{experiment}/Plate{p}. */
export function realSites(imageRoot: string = REAL_IMAGE_ROOT): SiteLocation[] {
  const sites: SiteLocation[] = [];
  for (const dataset of ['train', 'test'] as const) {
    const datasetDir = path.join(imageRoot, dataset);
    if (!fs.existsSync(datasetDir)) continue;
    for (const experiment of fs.readdirSync(datasetDir).sort()) {
      for (const plateDir of fs.readdirSync(path.join(datasetDir, experiment)).sort()) {
        const plate = Number(/^Plate(\d+)$/.exec(plateDir)?.[1]);
        if (!plate) continue;
        for (const file of fs.readdirSync(path.join(datasetDir, experiment, plateDir)).sort()) {
          const well = /^([A-P]\d{2})_s1_w1\.png$/.exec(file)?.[1];
          const site = { dataset, experiment, plate, well: well ?? '', site: 1 };
          if (well && sitePaths(site).every((p) => fs.existsSync(path.join(imageRoot, p)))) sites.push(site);
        }
      }
    }
  }
  return sites;
}

/** Python with the reference packages: $PHENOMAP_PYTHON, else Debian's /usr/bin/python3 where it exists, else python3. */
export function pythonCommand(): string {
  return process.env.PHENOMAP_PYTHON ?? (fs.existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3');
}
