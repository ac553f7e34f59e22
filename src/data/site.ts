import { CHANNEL_COUNT, type Dataset, type WellType } from '../rxrx1/index.js';

/** One imaging site (field of view): the unit of image loading. Field names follow RxRx1's metadata.csv. */
export interface SiteRecord {
  siteId: string;
  wellId: string;
  cellType: string;
  dataset: Dataset;
  experiment: string;
  plate: number;
  well: string;
  site: number;
  wellType: WellType;
  /** siRNA name (e.g. "s21721"), null when the layout does not give one (Kaggle). */
  sirna: string | null;
  /** Integer siRNA label 0..1138, null when unknown (Kaggle test treatment wells). */
  sirnaId: number | null;
}

/**
 * Relative path of one channel image below a dataset's image root:
 * `{dataset}/{experiment}/Plate{p}/{well}_s{s}_w{c}.png`.
 */
export function channelPath(
  site: Pick<SiteRecord, 'dataset' | 'experiment' | 'plate' | 'well' | 'site'>,
  channel: number,
): string {
  return `${site.dataset}/${site.experiment}/Plate${site.plate}/${site.well}_s${site.site}_w${channel}.png`;
}

/** The six channel paths of a site, w1..w6. */
export function sitePaths(site: Pick<SiteRecord, 'dataset' | 'experiment' | 'plate' | 'well' | 'site'>): string[] {
  return Array.from({ length: CHANNEL_COUNT }, (_, i) => channelPath(site, i + 1));
}
