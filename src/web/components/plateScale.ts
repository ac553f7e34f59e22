/** What a plate map can be coloured by, and the colour scale of a field's values (categories or viridis). */
import type { PlateValue } from '../../api/types.js';
import { formatNumber } from '../colors';
import { categoryColor, viridis, WELL_TYPE_LABELS } from '../../rxrx1/index.js';

export interface FieldOption {
  value: string;
  label: string;
  numeric: boolean;
  usesRun?: boolean;
}

export const METADATA_FIELDS: FieldOption[] = [
  { value: 'well_type', label: 'Well type', numeric: false },
  { value: 'sirna_group', label: 'siRNA group', numeric: false },
  { value: 'sirna_id', label: 'siRNA id', numeric: false },
  { value: 'cell_count', label: 'Cell count', numeric: true, usesRun: true },
];
/** The "Colour by" choice that takes a feature name. */
export const FEATURE = '__feature';

export function fieldLabel(field: string): string {
  return METADATA_FIELDS.find((f) => f.value === field)?.label ?? field;
}

export function categoryLabel(field: string, value: PlateValue): string {
  if (value === null) return 'no value';
  if (field === 'well_type') return WELL_TYPE_LABELS[String(value)] ?? String(value);
  if (field === 'sirna_group') return `group ${value}`;
  if (field === 'sirna_id') return `siRNA ${value}`;
  return typeof value === 'number' ? formatNumber(value) : value;
}

export interface Category {
  key: string;
  label: string;
  color: string;
  count: number;
}

export type Scale =
  | { kind: 'categorical'; colorOf: (v: PlateValue) => string | undefined; categories: Category[] }
  | { kind: 'numeric'; colorOf: (v: PlateValue) => string | undefined; min: number; max: number; missing: number };

export function buildScale(field: string, numericField: boolean, values: Map<string, PlateValue>): Scale {
  const present = [...values.values()].filter((v): v is string | number => v !== null && v !== undefined);
  const allNumbers = present.every((v) => typeof v === 'number');
  if (numericField && allNumbers && present.length > 0) {
    const numbers = present as number[];
    const min = Math.min(...numbers);
    const max = Math.max(...numbers);
    const span = max - min || 1;
    return {
      kind: 'numeric',
      min,
      max,
      missing: values.size - numbers.length,
      colorOf: (v) => (typeof v === 'number' ? viridis((v - min) / span) : undefined),
    };
  }
  const counts = new Map<string, { value: string | number; count: number }>();
  for (const v of present) {
    const entry = counts.get(String(v));
    if (entry) entry.count++;
    else counts.set(String(v), { value: v, count: 1 });
  }
  const sorted = [...counts.values()].sort((a, b) =>
    typeof a.value === 'number' && typeof b.value === 'number'
      ? a.value - b.value
      : String(a.value).localeCompare(String(b.value)),
  );
  const order = new Map(sorted.map((entry, i) => [String(entry.value), i]));
  const categories = sorted.map((entry) => ({
    key: String(entry.value),
    label: categoryLabel(field, entry.value),
    color: categoryColor(field, entry.value, order),
    count: entry.count,
  }));
  const byKey = new Map(categories.map((c) => [c.key, c.color]));
  return {
    kind: 'categorical',
    categories,
    colorOf: (v) => (v === null || v === undefined ? undefined : byKey.get(String(v))),
  };
}
