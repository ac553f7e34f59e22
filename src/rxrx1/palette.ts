/**
 * Colours shared by the report and the web app, so that an experiment, a cell type or a well type has the same
 * colour in every plot: Tableau 10 for categories (then golden-angle hues), fixed well-type and siRNA colours,
 * and viridis for sequential values.
 */
import { FIRST_POSITIVE_CONTROL, NEGATIVE_CONTROL_SIRNA } from './constants.js';

/** Tableau 10. */
export const CATEGORICAL: readonly string[] = [
  '#4e79a7',
  '#f28e2b',
  '#e15759',
  '#76b7b2',
  '#59a14f',
  '#edc948',
  '#b07aa1',
  '#ff9da7',
  '#9c755f',
  '#bab0ac',
];
/** Points that are context rather than data (not highlighted). */
export const MUTED = '#d0d0d0';

/** Colour of the index-th category: Tableau 10, then golden-angle hues, so colours stay stable as more appear. */
export function categoricalColor(index: number): string {
  if (index < CATEGORICAL.length) return CATEGORICAL[index];
  const hue = (index * 137.508) % 360;
  const lightness = 42 + ((index * 7) % 3) * 10;
  return `hsl(${hue.toFixed(1)} 62% ${lightness}%)`;
}

/** Fixed colours for RxRx1 well types, so that every view agrees. */
export const WELL_TYPE_COLORS: Readonly<Record<string, string>> = {
  treatment: '#8da0cb',
  negative_control: '#525252',
  positive_control: '#e6550d',
};

/** siRNA ids 0..1138: controls get the well-type colours' hues, treatments a hue per id. */
export function sirnaColor(id: number): string {
  if (id === NEGATIVE_CONTROL_SIRNA) return WELL_TYPE_COLORS.negative_control;
  if (id >= FIRST_POSITIVE_CONTROL) return `hsl(${20 + (id - FIRST_POSITIVE_CONTROL) * 1.2} 85% ${45 + (id % 3) * 6}%)`;
  const hue = (id * 137.508) % 360;
  return `hsl(${hue.toFixed(1)} 65% ${40 + (id % 4) * 8}%)`;
}

/**
 * Colour of a category, by a field-aware rule: well types fixed, siRNA ids by id, else by order of first
 * appearance (`order`).
 */
export function categoryColor(field: string, value: string | number, order: Map<string, number>): string {
  const key = String(value);
  if (field === 'well_type' || field === 'wellType')
    return WELL_TYPE_COLORS[key] ?? categoricalColor(order.get(key) ?? 0);
  if ((field === 'sirna_id' || field === 'sirnaId') && typeof value === 'number') return sirnaColor(value);
  return categoricalColor(order.get(key) ?? 0);
}

/** Viridis, 9 stops (matplotlib). */
export const VIRIDIS: readonly string[] = [
  '#440154',
  '#472d7b',
  '#3b528b',
  '#2c728e',
  '#21918c',
  '#28ae80',
  '#5ec962',
  '#addc30',
  '#fde725',
];

function hexToRgb(hex: string): [number, number, number] {
  const n = Number.parseInt(hex.slice(1), 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}
const VIRIDIS_RGB = VIRIDIS.map(hexToRgb);

/** Viridis colour of t in [0, 1] (clamped; non-finite as 0), linearly interpolated between the stops. */
export function viridis(t: number): string {
  const x = Math.min(1, Math.max(0, Number.isFinite(t) ? t : 0)) * (VIRIDIS_RGB.length - 1);
  const i = Math.min(VIRIDIS_RGB.length - 2, Math.floor(x));
  const f = x - i;
  const [a, b] = [VIRIDIS_RGB[i], VIRIDIS_RGB[i + 1]];
  const c = a.map((v, k) => Math.round(v + (b[k] - v) * f));
  return `rgb(${c[0]}, ${c[1]}, ${c[2]})`;
}

/** [r, g, b] (0..255) -> "#rrggbb". */
export function rgbToHex([r, g, b]: readonly [number, number, number]): string {
  return `#${[r, g, b].map((v) => v.toString(16).padStart(2, '0')).join('')}`;
}
