/** A 12-well solution key split Public/Private, and submissions against it. */
import { makeKey, splitKey } from '../../src/competition/key.js';
import type { SiteRecord } from '../../src/data/site.js';

/** 12 test wells, labels 7 * i; 4 Public (seeded split), 8 Private. */
export const IDS = Array.from({ length: 12 }, (_, i) => `HEPG2-08_1_B${String(i + 3).padStart(2, '0')}`);
export const KEY = splitKey(makeKey(IDS.map((id, i) => ({ id, sirna: 7 * i }))), { seed: 7 });

export function csv(labels: (number | string)[], ids: string[] = IDS): string {
  return `${['id_code,sirna', ...ids.map((id, i) => `${id},${labels[i]}`)].join('\n')}\n`;
}

export const TRUTH = IDS.map((_, i) => 7 * i);
export const publicIndices = () => IDS.map((_, i) => i).filter((i) => KEY.usage![KEY.index.get(IDS[i])!] === 1);
export const privateIndices = () => IDS.map((_, i) => i).filter((i) => KEY.usage![KEY.index.get(IDS[i])!] === 0);

/** Truth with the given positions wrong. */
export function wrongAt(indices: number[]): number[] {
  return TRUTH.map((label, i) => (indices.includes(i) ? (label + 1) % 1108 : label));
}

export function site(
  id: string,
  dataset: 'train' | 'test',
  wellType: SiteRecord['wellType'],
  sirnaId: number | null,
  siteNumber = 1,
): SiteRecord {
  const [experiment, plate, well] = id.split('_');
  return {
    siteId: `${id}_${siteNumber}`,
    wellId: id,
    cellType: 'HEPG2',
    dataset,
    experiment,
    plate: Number(plate),
    well,
    site: siteNumber,
    wellType,
    sirna: null,
    sirnaId,
  };
}
