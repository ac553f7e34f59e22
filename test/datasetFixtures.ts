import fs from 'node:fs';
import path from 'node:path';
import { OFFICIAL_COLUMNS } from '../src/data/metadata.js';
import { channelPath, sitePaths, type SiteRecord } from '../src/data/site.js';
import { siteId, wellId } from '../src/rxrx1/index.js';
import { SHARED_RXRX1, tempDir } from './helpers.js';

/** A metadata.csv row for a site, in the official column order. */
export function officialRow(
  site: Pick<SiteRecord, 'dataset' | 'experiment' | 'plate' | 'well' | 'site' | 'wellType'> & { sirnaId: number },
): string {
  const cellType = site.experiment.split('-')[0];
  const sirna = site.wellType === 'negative_control' ? 'EMPTY' : `s${site.sirnaId}`;
  return [
    siteId(site.experiment, site.plate, site.well, site.site),
    wellId(site.experiment, site.plate, site.well),
    cellType,
    site.dataset,
    site.experiment,
    site.plate,
    site.well,
    site.site,
    site.wellType,
    sirna,
    site.sirnaId,
  ].join(',');
}

/**
 * A small official-layout dataset built from the real PNGs of train/{experiment}/Plate1/B02 site 1: every
 * listed site gets copies of those six real channel images. Returns the dataset folder.
 */
export function realOfficialDataset(rows: string[], sourceExperiment = 'HEPG2-01'): string {
  const dir = tempDir('phenomap-official-');
  fs.writeFileSync(path.join(dir, 'metadata.csv'), `${[OFFICIAL_COLUMNS.join(','), ...rows].join('\n')}\n`);
  const source = { dataset: 'train' as const, experiment: sourceExperiment, plate: 1, well: 'B02', site: 1 };
  const sourcePaths = sitePaths(source).map((p) => path.join(SHARED_RXRX1, 'images', p));
  for (const row of rows) {
    const [, , , dataset, experiment, plate, well, site] = row.split(',');
    const location = {
      dataset: dataset as 'train' | 'test',
      experiment,
      plate: Number(plate),
      well,
      site: Number(site),
    };
    for (let channel = 1; channel <= 6; channel++) {
      const target = path.join(dir, 'images', channelPath(location, channel));
      fs.mkdirSync(path.dirname(target), { recursive: true });
      fs.copyFileSync(sourcePaths[channel - 1], target);
    }
  }
  return dir;
}
