/**
 * Worker-thread body of the server's image pool (piscina): loads a site (src/image/site.ts loadSite) and does
 * all the CPU work of an image request there (composite, downscale, PNG encoding, statistics), so the event
 * loop only routes requests and moves bytes.
 */
import { SITE_SIZE } from '../rxrx1/index.js';
import { encodePng } from '../codec/png.js';
import { loadSite, SiteLoadError, type SiteLoadProblem, type SiteLocation } from '../image/site.js';
import { channelStats, type ChannelStats } from '../image/stats.js';
import { channelPlane, composite, downscale, type CompositeRequest } from './composite.js';

/**
 * zlib level of the PNGs the server sends: 3 encodes a 512x512 composite about 4x faster than the default 6
 * (15 ms instead of 55 ms here) for about 4% more bytes. Pixels are the same at every level.
 */
export const SERVER_PNG_LEVEL = 3;

export type RenderTask =
  | ({ kind: 'composite'; imageRoot: string; site: SiteLocation; size: number } & CompositeRequest)
  | {
      kind: 'channel';
      imageRoot: string;
      site: SiteLocation;
      channel: number;
      percentiles?: [number, number];
      size: number;
    }
  | { kind: 'stats'; imageRoot: string; site: SiteLocation; channels: number[]; percentiles: number[] };

export type RenderResult =
  | { png: Uint8Array }
  | { stats: ChannelStats[] }
  | { failure: { siteId: string; problems: SiteLoadProblem[] } };

export async function render(task: RenderTask): Promise<RenderResult> {
  try {
    if (task.kind === 'stats') {
      const tensor = await loadSite(task.imageRoot, task.site, { channels: task.channels });
      return { stats: channelStats(tensor, { channels: task.channels, percentiles: task.percentiles }) };
    }
    const factor = SITE_SIZE / task.size;
    if (task.kind === 'composite') {
      const tensor = await loadSite(task.imageRoot, task.site, { channels: task.channels });
      const rgb = downscale(composite(tensor, task), SITE_SIZE, SITE_SIZE, 3, factor);
      return { png: new Uint8Array(encodePng(rgb, task.size, task.size, 3, SERVER_PNG_LEVEL)) };
    }
    const tensor = await loadSite(task.imageRoot, task.site, { channels: [task.channel] });
    const gray = downscale(channelPlane(tensor, task.channel, task.percentiles), SITE_SIZE, SITE_SIZE, 1, factor);
    return { png: new Uint8Array(encodePng(gray, task.size, task.size, 1, SERVER_PNG_LEVEL)) };
  } catch (error) {
    if (error instanceof SiteLoadError) return { failure: { siteId: error.siteId, problems: [...error.problems] } };
    throw error;
  }
}
