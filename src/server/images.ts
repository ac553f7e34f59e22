/**
 * Site images for the API: composites, single channels and statistics rendered on a worker pool, identified by
 * an ETag over the request and the source files' sizes and modification times, and kept in an LRU cache of
 * encoded PNGs. Concurrent requests for the same image share one render.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Piscina } from 'piscina';
import { CHANNEL_COUNT } from '../rxrx1/index.js';
import { channelPath, type SiteRecord } from '../data/site.js';
import type { ChannelStats } from '../image/stats.js';
import { HttpError } from './errors.js';
import { LruCache } from './lru.js';
import type { RenderResult, RenderTask } from './renderWorker.js';
import type { CompositeRequest } from './composite.js';

export interface ImageServiceOptions {
  /** Worker threads (default: available cores - 1, at least 1, at most 4). */
  threads?: number;
  /** Bytes of encoded PNGs kept (default 128 MiB; 0 disables the cache and the sharing of concurrent renders). */
  cacheBytes?: number;
}

export interface RenderedImage {
  png: Buffer;
  etag: string;
}

/** Bumped when rendering changes, so clients do not keep stale images under an old ETag. */
const RENDER_VERSION = 1;
export const STATS_PERCENTILES = [0.1, 1, 25, 50, 75, 99, 99.9];

export class ImageService {
  readonly #pool: Piscina<RenderTask, RenderResult>;
  readonly #cache: LruCache<Buffer>;
  readonly #inFlight = new Map<string, Promise<Buffer>>();
  readonly cacheEnabled: boolean;

  constructor(
    readonly imageRoot: string,
    options: ImageServiceOptions = {},
  ) {
    const threads = options.threads ?? Math.min(4, Math.max(1, os.availableParallelism() - 1));
    this.#pool = new Piscina({
      filename: new URL('./renderWorker.js', import.meta.url).href,
      name: 'render',
      minThreads: threads,
      maxThreads: threads,
      idleTimeout: 60_000,
    });
    const cacheBytes = options.cacheBytes ?? 128 * 1024 * 1024;
    this.cacheEnabled = cacheBytes > 0;
    this.#cache = new LruCache<Buffer>(cacheBytes, 4096, (png) => png.byteLength);
  }

  file(site: SiteRecord, channel: number): string {
    return path.join(this.imageRoot, channelPath(site, channel));
  }

  /** Size and modification time of each channel file, null where absent. */
  async channelFiles(site: SiteRecord): Promise<({ size: number; mtimeMs: number } | null)[]> {
    return Promise.all(
      Array.from({ length: CHANNEL_COUNT }, async (_, i) => {
        const stat = await fs.promises.stat(this.file(site, i + 1)).catch(() => null);
        return stat?.isFile() ? { size: stat.size, mtimeMs: Math.trunc(stat.mtimeMs) } : null;
      }),
    );
  }

  /** Channels 1..6 whose files exist. */
  async presentChannels(site: SiteRecord): Promise<number[]> {
    return (await this.channelFiles(site)).flatMap((file, i) => (file ? [i + 1] : []));
  }

  /** The ETag of an image: request parameters plus the identity of the files it is made from. */
  async etag(site: SiteRecord, request: object, channels: readonly number[]): Promise<string> {
    const files = await this.channelFiles(site);
    const missing = channels.filter((channel) => !files[channel - 1]);
    if (missing.length > 0) {
      throw new HttpError(
        404,
        `site ${site.siteId}: no image file for channel(s) ${missing.join(', ')} (present: ` +
          `${files.flatMap((f, i) => (f ? [i + 1] : [])).join(', ') || 'none'})`,
      );
    }
    const identity = JSON.stringify({
      v: RENDER_VERSION,
      site: site.siteId,
      request,
      files: channels.map((channel) => files[channel - 1]),
    });
    return `"${crypto.createHash('sha1').update(identity).digest('base64url')}"`;
  }

  /** The ETag of a composite (404 when a requested channel's file is absent). */
  compositeTag(site: SiteRecord, request: CompositeRequest & { size: number }): Promise<string> {
    return this.etag(site, { kind: 'composite', ...request }, request.channels);
  }

  channelTag(
    site: SiteRecord,
    request: { channel: number; size: number; percentiles?: [number, number] },
  ): Promise<string> {
    return this.etag(site, { kind: 'channel', ...request }, [request.channel]);
  }

  /** The composite PNG (from the cache when it holds `etag`, else rendered on the pool). */
  async composite(
    site: SiteRecord,
    request: CompositeRequest & { size: number },
    etag?: string,
  ): Promise<RenderedImage> {
    etag ??= await this.compositeTag(site, request);
    return {
      etag,
      png: await this.#cached(etag, () =>
        this.#render({ kind: 'composite', imageRoot: this.imageRoot, site: location(site), ...request }),
      ),
    };
  }

  async channel(
    site: SiteRecord,
    request: { channel: number; size: number; percentiles?: [number, number] },
    etag?: string,
  ): Promise<RenderedImage> {
    etag ??= await this.channelTag(site, request);
    return {
      etag,
      png: await this.#cached(etag, () =>
        this.#render({ kind: 'channel', imageRoot: this.imageRoot, site: location(site), ...request }),
      ),
    };
  }

  async stats(site: SiteRecord, channels: number[]): Promise<ChannelStats[]> {
    if (channels.length === 0) return [];
    const result = await this.#pool.run({
      kind: 'stats',
      imageRoot: this.imageRoot,
      site: location(site),
      channels,
      percentiles: STATS_PERCENTILES,
    });
    if ('failure' in result) throw loadFailure(result.failure);
    if (!('stats' in result)) throw new Error('render worker: expected stats');
    return result.stats;
  }

  async #render(task: RenderTask): Promise<Buffer> {
    const result = await this.#pool.run(task);
    if ('failure' in result) throw loadFailure(result.failure);
    if (!('png' in result)) throw new Error('render worker: expected a PNG');
    return Buffer.from(result.png.buffer, result.png.byteOffset, result.png.byteLength);
  }

  async #cached(etag: string, render: () => Promise<Buffer>): Promise<Buffer> {
    if (!this.cacheEnabled) return render();
    const hit = this.#cache.get(etag);
    if (hit) return hit;
    let pending = this.#inFlight.get(etag);
    if (!pending) {
      pending = render().finally(() => this.#inFlight.delete(etag));
      this.#inFlight.set(etag, pending);
      pending.then(
        (png) => this.#cache.set(etag, png),
        () => undefined,
      );
    }
    return pending;
  }

  close(): Promise<void> {
    this.#cache.clear();
    return this.#pool.destroy();
  }
}

function location(site: SiteRecord) {
  return { dataset: site.dataset, experiment: site.experiment, plate: site.plate, well: site.well, site: site.site };
}

function loadFailure(failure: { siteId: string; problems: { file: string; reason: string }[] }): HttpError {
  // Paths are reported relative to nothing: the client learns which channel is bad, not where the data lives.
  const detail = failure.problems.map((p) => `${path.basename(p.file)}: ${p.reason}`).join('; ');
  return new HttpError(
    failure.problems.every((p) => p.reason === 'missing file') ? 404 : 422,
    `site ${failure.siteId}: ${detail}`,
  );
}
