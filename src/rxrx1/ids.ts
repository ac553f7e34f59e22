/** RxRx1 identifiers: well ids (also Kaggle's id_code), site ids, experiment names and channel names. */
import { CHANNEL_COUNT } from './constants.js';

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

export interface WellIdParts {
  experiment: string;
  plate: number;
  well: string;
}

export interface SiteIdParts extends WellIdParts {
  site: number;
}

/**
 * `{experiment}_{plate}_{well}` -> parts (an experiment name may hold dashes, never underscores); null if
 * malformed.
 */
export function parseWellId(id: string): WellIdParts | null {
  const match = /^(.+)_(\d+)_([A-P]\d{2})$/.exec(id);
  return match ? { experiment: match[1], plate: Number(match[2]), well: match[3] } : null;
}

/** `{experiment}_{plate}_{well}_{site}` -> parts; null if malformed. */
export function parseSiteId(id: string): SiteIdParts | null {
  const match = /^(.+)_(\d+)_([A-P]\d{2})_(\d+)$/.exec(id);
  return match ? { experiment: match[1], plate: Number(match[2]), well: match[3], site: Number(match[4]) } : null;
}

/** The message for a malformed site id. */
export function siteIdError(id: string): string {
  return `site id "${id}": expected {experiment}_{plate}_{well}_{site}, e.g. HEPG2-01_1_B02_1`;
}

/** Channel numbers 1..6, the default everywhere a channel subset can be given. */
export const ALL_CHANNELS: readonly number[] = Array.from({ length: CHANNEL_COUNT }, (_, i) => i + 1);

/** Throws a plain Error naming the bad value: a wrong channel list is a caller bug, not a data problem. */
export function checkChannels(channels: readonly number[]): void {
  for (const channel of channels) {
    if (!Number.isInteger(channel) || channel < 1 || channel > CHANNEL_COUNT)
      throw new Error(`channel ${channel}: expected an integer 1..${CHANNEL_COUNT}`);
  }
  if (new Set(channels).size !== channels.length)
    throw new Error(`channels [${channels.join(', ')}]: each channel may appear once`);
}

/** Parses "1".."6" or "w1".."w6" into a channel number; throws naming the bad value. */
export function parseChannel(value: string): number {
  const match = new RegExp(`^w?([1-${CHANNEL_COUNT}])$`).exec(value.trim());
  if (!match) throw new Error(`channel "${value}": expected 1..${CHANNEL_COUNT} or w1..w${CHANNEL_COUNT}`);
  return Number(match[1]);
}
