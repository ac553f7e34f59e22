/** Colour scales for plate maps and scatter plots. */

/** Tableau 10, then golden-angle hues: distinguishable categories with stable colours. */
const CATEGORICAL = [
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

export function categoricalColor(index: number): string {
  if (index < CATEGORICAL.length) return CATEGORICAL[index];
  const hue = (index * 137.508) % 360;
  const lightness = 42 + ((index * 7) % 3) * 10;
  return `hsl(${hue.toFixed(1)} 62% ${lightness}%)`;
}

/** Fixed colours for RxRx1 well types, so that every view agrees. */
export const WELL_TYPE_COLORS: Record<string, string> = {
  treatment: '#8da0cb',
  negative_control: '#525252',
  positive_control: '#e6550d',
};

/**
 * Colour of a category, by a field-aware rule: well types fixed, siRNA ids by id, else by order of first appearance.
 */
export function categoryColor(field: string, value: string | number, order: Map<string, number>): string {
  const key = String(value);
  if (field === 'well_type' || field === 'wellType')
    return WELL_TYPE_COLORS[key] ?? categoricalColor(order.get(key) ?? 0);
  if ((field === 'sirna_id' || field === 'sirnaId') && typeof value === 'number') return sirnaColor(value);
  return categoricalColor(order.get(key) ?? 0);
}

/** siRNA ids 0..1138: controls (>= 1108) get the well-type colours, treatments a hue per id. */
export function sirnaColor(id: number): string {
  if (id === 1138) return WELL_TYPE_COLORS.negative_control;
  if (id >= 1108) return `hsl(${20 + (id - 1108) * 1.2} 85% ${45 + (id % 3) * 6}%)`;
  const hue = (id * 137.508) % 360;
  return `hsl(${hue.toFixed(1)} 65% ${40 + (id % 4) * 8}%)`;
}

/** Viridis, 9 stops (matplotlib), linearly interpolated. */
const VIRIDIS = ['#440154', '#472d7b', '#3b528b', '#2c728e', '#21918c', '#28ae80', '#5ec962', '#addc30', '#fde725'];

function hexToRgb(hex: string): [number, number, number] {
  const n = parseInt(hex.slice(1), 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}
const VIRIDIS_RGB = VIRIDIS.map(hexToRgb);

/** Viridis colour of t in [0, 1] (clamped). */
export function viridis(t: number): string {
  const x = Math.min(1, Math.max(0, Number.isFinite(t) ? t : 0)) * (VIRIDIS_RGB.length - 1);
  const i = Math.min(VIRIDIS_RGB.length - 2, Math.floor(x));
  const f = x - i;
  const [a, b] = [VIRIDIS_RGB[i], VIRIDIS_RGB[i + 1]];
  const c = a.map((v, k) => Math.round(v + (b[k] - v) * f));
  return `rgb(${c[0]}, ${c[1]}, ${c[2]})`;
}

export const VIRIDIS_GRADIENT = `linear-gradient(to right, ${VIRIDIS.join(', ')})`;

export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  if (Number.isInteger(value)) return value.toLocaleString('en-US');
  const magnitude = Math.abs(value);
  if (magnitude !== 0 && (magnitude < 1e-3 || magnitude >= 1e6)) return value.toExponential(3);
  return value.toLocaleString('en-US', { maximumSignificantDigits: 4 });
}

/** "#rrggbb" <-> "rrggbb" as the composite endpoint takes it, and [r, g, b] from rgb.ts's RGB_MAP. */
export function rgbToHex([r, g, b]: readonly [number, number, number]): string {
  return `#${[r, g, b].map((v) => v.toString(16).padStart(2, '0')).join('')}`;
}
