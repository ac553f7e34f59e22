/**
 * Worker-thread body of SiteLoaderPool: loads one site and moves the tensor's ArrayBuffer to the main thread
 * (transferred, not copied). A SiteLoadError is returned as plain data, because structured cloning would
 * strip it to a bare Error; the pool turns it back into a SiteLoadError.
 */
import { move } from 'piscina';
import { loadSite, SiteLoadError, type SiteLoadProblem, type SiteLocation } from './site.js';

export interface LoadTask {
  imageRoot: string;
  site: SiteLocation;
  channels?: readonly number[];
}

export interface LoadFailure {
  siteId: string;
  problems: SiteLoadProblem[];
}

export async function loadTask(task: LoadTask): Promise<Uint8Array | LoadFailure> {
  try {
    // A fresh tensor per task: its buffer is transferred away, so it cannot be reused here.
    return move(await loadSite(task.imageRoot, task.site, { channels: task.channels })) as Uint8Array;
  } catch (error) {
    if (error instanceof SiteLoadError) return { siteId: error.siteId, problems: [...error.problems] };
    throw error;
  }
}
