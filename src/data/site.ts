import { CHANNEL_COUNT } from './channels.js';

export type Dataset = 'train' | 'test';
export type WellType = 'treatment' | 'negative_control' | 'positive_control';
export const CELL_TYPES = ['HEPG2', 'HUVEC', 'RPE', 'U2OS'] as const;
export type CellType = (typeof CELL_TYPES)[number];
export const WELL_TYPES: readonly WellType[] = ['treatment', 'negative_control', 'positive_control'];

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

/** `{experiment}_{plate}_{well}` — also the Kaggle id_code. */
export function wellId(experiment: string, plate: number, well: string): string {
  return `${experiment}_${plate}_${well}`;
}

/** `{experiment}_{plate}_{well}_{site}`. */
export function siteId(experiment: string, plate: number, well: string, site: number): string {
  return `${experiment}_${plate}_${well}_${site}`;
}

/** Cell type from an experiment name `{cell type}-{NN}`. */
export function cellTypeOf(experiment: string): string {
  const dash = experiment.lastIndexOf('-');
  return dash > 0 ? experiment.slice(0, dash) : experiment;
}

/** Parses a site id; throws naming the id and the expected form. */
export function parseSiteId(id: string): { experiment: string; plate: number; well: string; site: number } {
  const match = /^(.+)_(\d+)_([A-P]\d{2})_(\d+)$/.exec(id);
  if (!match) throw new Error(`site id "${id}": expected {experiment}_{plate}_{well}_{site}, e.g. HEPG2-01_1_B02_1`);
  return { experiment: match[1], plate: Number(match[2]), well: match[3], site: Number(match[4]) };
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
