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

/** Parses "1".."6" or "w1".."w6" into a channel number; throws naming the bad value. */
export function parseChannel(value: string): number {
  const match = /^w?([1-6])$/.exec(value.trim());
  if (!match) throw new Error(`channel "${value}": expected 1..6 or w1..w6`);
  return Number(match[1]);
}
