/**
 * Parallel site loading on worker threads (piscina). PNG decoding is CPU-bound, so threads scale it across
 * cores; each tensor's ArrayBuffer is transferred back to the caller without a copy.
 */
import os from 'node:os';
import { Piscina } from 'piscina';
import type { LoadFailure, LoadTask } from './loadWorker.js';
import { checkChannels } from '../rxrx1/index.js';
import { SiteLoadError, type SiteLocation } from './site.js';

export interface SiteLoaderPoolOptions {
  /** Worker threads (default os.availableParallelism()). */
  threads?: number;
}

export class SiteLoaderPool {
  readonly threads: number;
  readonly #piscina: Piscina<LoadTask, Uint8Array | LoadFailure>;

  constructor(options: SiteLoaderPoolOptions = {}) {
    this.threads = options.threads ?? os.availableParallelism();
    if (!Number.isInteger(this.threads) || this.threads < 1)
      throw new Error(`threads ${this.threads}: expected an integer >= 1`);
    this.#piscina = new Piscina({
      filename: new URL('./loadWorker.js', import.meta.url).href,
      // A named export: with a default export piscina falls back to an import() that intermittently crashes Node 20.
      name: 'loadTask',
      minThreads: this.threads,
      maxThreads: this.threads,
    });
  }

  /** Loads one site as loadSite does (same tensor layout, same SiteLoadError), on a worker thread. */
  async load(
    imageRoot: string,
    site: SiteLocation,
    options: { channels?: readonly number[] } = {},
  ): Promise<Uint8Array> {
    if (options.channels) checkChannels(options.channels);
    // Only the location crosses the thread boundary, whatever else the caller's record holds.
    const location: SiteLocation = {
      dataset: site.dataset,
      experiment: site.experiment,
      plate: site.plate,
      well: site.well,
      site: site.site,
    };
    const result = await this.#piscina.run({ imageRoot, site: location, channels: options.channels });
    if (result instanceof Uint8Array) return result;
    throw new SiteLoadError(result.siteId, result.problems);
  }

  /** Stops the workers once every load already requested has finished. */
  close(): Promise<void> {
    return this.#piscina.close();
  }
}

export interface LoadSitesOptions<S extends SiteLocation> {
  /** Worker threads of the pool loadSites creates (default os.availableParallelism()); ignored with `pool`. */
  threads?: number;
  /** An existing pool to use (and leave open) instead of starting one. */
  pool?: SiteLoaderPool;
  /** Most sites requested but not yet yielded (default 2 x threads): memory stays at about maxInFlight tensors. */
  maxInFlight?: number;
  /** 1-based channels to load (default all six); see LoadSiteOptions.channels. */
  channels?: readonly number[];
  /** Called, in input order, for each site that fails to load; loading goes on. Default: a process warning. */
  onError?: (site: S, error: Error) => void;
}

/**
 * Loads many sites in parallel and yields `{ site, tensor }` in input order (a slow site holds back later ones
 * already loaded, so at most maxInFlight are held). A site that fails is skipped after onError is called, so one
 * bad file never stops a plate. Leaving the loop early stops the pool (its own, not a given one).
 */
export async function* loadSites<S extends SiteLocation>(
  imageRoot: string,
  sites: Iterable<S>,
  options: LoadSitesOptions<S> = {},
): AsyncGenerator<{ site: S; tensor: Uint8Array }, void, undefined> {
  // Argument checks come before the pool exists, so a bad call leaves no threads behind.
  const { maxInFlight, channels } = options;
  if (maxInFlight !== undefined && (!Number.isInteger(maxInFlight) || maxInFlight < 1))
    throw new Error(`maxInFlight ${maxInFlight}: expected an integer >= 1`);
  if (channels) checkChannels(channels);
  const pool = options.pool ?? new SiteLoaderPool({ threads: options.threads });
  const limit = maxInFlight ?? 2 * pool.threads;
  const onError =
    options.onError ?? ((_site: S, error: Error) => process.emitWarning(error.message, 'SiteLoadWarning'));
  const iterator = sites[Symbol.iterator]();
  // FIFO of loads in input order; rejections become values so an abandoned load is never an unhandled rejection.
  const pending: { site: S; result: Promise<Uint8Array | Error> }[] = [];
  let exhausted = false;
  try {
    for (;;) {
      while (!exhausted && pending.length < limit) {
        const next = iterator.next();
        if (next.done) {
          exhausted = true;
        } else {
          const site = next.value;
          pending.push({
            site,
            result: pool
              .load(imageRoot, site, { channels })
              .catch((error: unknown) => (error instanceof Error ? error : new Error(String(error)))),
          });
        }
      }
      const head = pending.shift();
      if (!head) return;
      const result = await head.result;
      if (result instanceof Uint8Array) yield { site: head.site, tensor: result };
      else onError(head.site, result);
    }
  } finally {
    if (!options.pool) await pool.close();
  }
}
