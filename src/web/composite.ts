/**
 * Display settings of the six channels and the composite endpoint's query for them. The defaults are
 * rxrx1-utils' RGB_MAP (src/image/rgb.ts): with them the viewer asks for the composite with no parameters,
 * which the server renders exactly as `phenomap rgb` does.
 */
import { CHANNELS, RGB_MAP, rgbToHex } from '../rxrx1/index.js';

export interface ChannelSetting {
  channel: number;
  enabled: boolean;
  /** "#rrggbb" */
  color: string;
  low: number;
  high: number;
}

export interface DisplaySettings {
  channels: ChannelSetting[];
  contrast: 'fixed' | 'percentiles';
  percentiles: [number, number];
}

/** rxrx1-utils RGB_MAP as display settings: colour and display range of w1..w6. */
export const DEFAULT_CHANNELS: readonly ChannelSetting[] = CHANNELS.map(({ index }) => ({
  channel: index,
  enabled: true,
  color: rgbToHex(RGB_MAP[index].rgb),
  low: RGB_MAP[index].range[0],
  high: RGB_MAP[index].range[1],
}));

export const DEFAULT_SETTINGS: DisplaySettings = {
  channels: DEFAULT_CHANNELS.map((c) => ({ ...c })),
  contrast: 'fixed',
  percentiles: [0.1, 99.9],
};

/**
 * The composite endpoint's query string for these settings: only what differs from the defaults, so the
 * default view is the parameterless request. Empty string when nothing differs; null when no channel is on.
 * `missing` are channels the site has no file for: never requested (the default composite of an incomplete
 * site draws the channels it has).
 */
export function compositeQuery(
  settings: DisplaySettings,
  missing: ReadonlySet<number> = new Set(),
  size?: number,
): string | null {
  const available = settings.channels.filter((c) => !missing.has(c.channel));
  const enabled = available.filter((c) => c.enabled);
  if (enabled.length === 0) return null;
  const parts: string[] = [];
  if (enabled.length !== available.length) parts.push(`channels=${enabled.map((c) => c.channel).join(',')}`);
  const colors = enabled
    .filter((c) => c.color.toLowerCase() !== DEFAULT_CHANNELS[c.channel - 1].color)
    .map((c) => `${c.channel}:${c.color.slice(1).toLowerCase()}`);
  if (colors.length) parts.push(`colors=${colors.join(',')}`);
  if (settings.contrast === 'percentiles') {
    parts.push(`percentiles=${settings.percentiles[0]},${settings.percentiles[1]}`);
  } else {
    const defaults = DEFAULT_CHANNELS;
    const ranges = enabled
      .filter((c) => c.low !== defaults[c.channel - 1].low || c.high !== defaults[c.channel - 1].high)
      .map((c) => `${c.channel}:${c.low}-${c.high}`);
    if (ranges.length) parts.push(`ranges=${ranges.join(',')}`);
  }
  if (size && size !== 512) parts.push(`size=${size}`);
  return parts.length ? `?${parts.join('&')}` : '';
}

const STORAGE_KEY = 'phenomap.display';

export function loadSettings(): DisplaySettings {
  try {
    const stored = JSON.parse(sessionStorage.getItem(STORAGE_KEY) ?? 'null') as DisplaySettings | null;
    if (stored && Array.isArray(stored.channels) && stored.channels.length === 6) return stored;
  } catch {
    // ignore unreadable storage
  }
  return structuredClone(DEFAULT_SETTINGS);
}

export function saveSettings(settings: DisplaySettings): void {
  try {
    sessionStorage.setItem(STORAGE_KEY, JSON.stringify(settings));
  } catch {
    // storage may be unavailable (private mode): settings then last for the page only
  }
}
