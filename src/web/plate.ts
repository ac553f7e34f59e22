/** 384-well plate geometry as RxRx1 uses it: the library's own module (pure, so the bundle shares it). */
export { PLATE_ROWS, PLATE_COLUMNS, ROW_LETTERS, wellName, wellPosition } from '../data/plate.js';

/** RxRx1 uses rows B..O x columns 02..23 (308 wells); the outer ring is empty. */
export function isUsed(row: number, column: number): boolean {
  return row >= 1 && row <= 14 && column >= 1 && column <= 22;
}

/** `{experiment}_{plate}_{well}` -> parts (the experiment name may itself hold dashes, never underscores). */
export function parseWellId(wellId: string): { experiment: string; plate: number; well: string } | null {
  const match = /^(.+)_(\d+)_([A-P]\d{2})$/.exec(wellId);
  return match ? { experiment: match[1], plate: Number(match[2]), well: match[3] } : null;
}

export function parseSiteId(siteId: string): { experiment: string; plate: number; well: string; site: number } | null {
  const match = /^(.+)_(\d+)_([A-P]\d{2})_(\d+)$/.exec(siteId);
  return match ? { experiment: match[1], plate: Number(match[2]), well: match[3], site: Number(match[4]) } : null;
}

export const WELL_TYPE_LABELS: Record<string, string> = {
  treatment: 'treatment',
  negative_control: 'negative control',
  positive_control: 'positive control',
};
