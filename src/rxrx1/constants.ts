/**
 * The facts of the RxRx1 release (Recursion, NeurIPS 2019) that code relies on, defined once: cell types, the
 * six channels and their stains, siRNA id ranges and plate groups, and rxrx1-utils' display colours. Pure data
 * with no Node imports, so the server side and the web bundle share it.
 */

export const CELL_TYPES = ['HEPG2', 'HUVEC', 'RPE', 'U2OS'] as const;
export type CellType = (typeof CELL_TYPES)[number];
export type Dataset = 'train' | 'test';
export const DATASETS: readonly Dataset[] = ['train', 'test'];
/** The two layouts RxRx1 was released in: rxrx.ai's (metadata.csv) and the 2019 Kaggle competition's. */
export type LayoutKind = 'official' | 'kaggle';
export type WellType = 'treatment' | 'negative_control' | 'positive_control';
export const WELL_TYPES: readonly WellType[] = ['treatment', 'negative_control', 'positive_control'];
/** Well types in words, for people. */
export const WELL_TYPE_LABELS: Readonly<Record<string, string>> = {
  treatment: 'treatment',
  negative_control: 'negative control',
  positive_control: 'positive control',
};

/** The six RxRx1 channels, always ordered w1..w6 (Cell Painting-style stains). */
export const CHANNELS = [
  { index: 1, stain: 'Hoechst', target: 'nucleus' },
  { index: 2, stain: 'Concanavalin A', target: 'endoplasmic reticulum' },
  { index: 3, stain: 'Phalloidin', target: 'actin' },
  { index: 4, stain: 'Syto14', target: 'nucleoli and cytoplasmic RNA' },
  { index: 5, stain: 'MitoTracker', target: 'mitochondria' },
  { index: 6, stain: 'Wheat germ agglutinin', target: 'Golgi and plasma membrane' },
] as const;
export const CHANNEL_COUNT = 6;
/** RxRx1 sites are 512x512 pixels. */
export const SITE_SIZE = 512;

/** 1,108 treatment siRNAs (ids 0..1107) in 4 disjoint groups of 277; a plate holds exactly one group. */
export const TREATMENT_SIRNA_COUNT = 1108;
export const GROUP_COUNT = 4;
export const GROUP_SIZE = 277;
/** Positive controls are sirna_id 1108..1137, the negative control 1138 (always well B02). */
export const FIRST_POSITIVE_CONTROL = 1108;
export const LAST_POSITIVE_CONTROL = 1137;
export const NEGATIVE_CONTROL_SIRNA = 1138;
/** Highest RxRx1 siRNA label. */
export const MAX_SIRNA_ID = NEGATIVE_CONTROL_SIRNA;

/** True for a treatment siRNA id (0..1107): the classes of the competition. */
export function isTreatmentSirna(id: number): boolean {
  return Number.isInteger(id) && id >= 0 && id < FIRST_POSITIVE_CONTROL;
}

/** The well type an siRNA id implies: 1138 negative control, 1108..1137 positive control, else treatment. */
export function wellTypeOfSirna(id: number): WellType {
  if (id === NEGATIVE_CONTROL_SIRNA) return 'negative_control';
  return id >= FIRST_POSITIVE_CONTROL ? 'positive_control' : 'treatment';
}

export type DisplayRange = readonly [low: number, high: number];

export interface ChannelColor {
  rgb: readonly [number, number, number];
  /** Intensity range mapped to the full colour; brighter pixels saturate. */
  range: DisplayRange;
}

/** rxrx1-utils RGB_MAP (rxrx/io.py): colour and fixed display range of channels w1..w6. */
export const RGB_MAP: Readonly<Record<number, ChannelColor>> = {
  1: { rgb: [19, 0, 249], range: [0, 51] },
  2: { rgb: [42, 255, 31], range: [0, 107] },
  3: { rgb: [255, 0, 25], range: [0, 64] },
  4: { rgb: [45, 255, 252], range: [0, 191] },
  5: { rgb: [250, 0, 253], range: [0, 89] },
  6: { rgb: [254, 255, 40], range: [0, 191] },
};
