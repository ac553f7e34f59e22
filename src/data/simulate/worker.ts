/**
 * Piscina worker of the simulator: renders sites and writes their six PNGs (`renderSiteFiles`), and
 * measures clean images for calibration (`measureClean`). Buffers live for the thread's lifetime.
 */
import { encodePng } from '../../codec/png.js';
import { SITE_SIZE } from '../../rxrx1/index.js';
import type { CleanStats } from './batch.js';
import type { PlacementParams } from './cells.js';
import { writeFileAtomic } from '../../util/files.js';
import type { SiteImaging } from './imaging.js';
import { createRenderBuffers, paintSite, renderSite, type RenderBuffers } from './render.js';
import type { StainLook } from './stains.js';

export interface CleanTask {
  seed: number;
  /** Names the site's random streams (a site id, or a calibration key). */
  key: string;
  placement: PlacementParams;
  look: StainLook;
}

export interface SiteTask extends CleanTask {
  imaging: SiteImaging;
  /** Absolute paths of the w1..w6 PNGs. */
  files: string[];
  /** zlib level for the PNGs. */
  pngLevel: number;
}

/** What ground truth keeps of a rendered site. */
export interface SiteOutcome {
  /** Nuclei drawn (the true cell count). */
  cells: number;
  /** Mean true nucleus area, pixels (0 without cells). */
  nucleusArea: number;
}

let buffers: RenderBuffers | null = null;

export function renderSiteFiles(task: SiteTask): SiteOutcome {
  buffers ??= createRenderBuffers();
  const cells = renderSite(task.seed, task.key, task.placement, task.look, task.imaging, buffers);
  buffers.images.forEach((pixels, c) => {
    writeFileAtomic(task.files[c], encodePng(pixels, SITE_SIZE, SITE_SIZE, 1, task.pngLevel));
  });
  const area = cells.reduce((sum, cell) => sum + Math.PI * cell.a * cell.b, 0);
  return { cells: cells.length, nucleusArea: cells.length > 0 ? area / cells.length : 0 };
}

/** Per-channel mean and mean square of the clean image of one site. */
export function measureClean(task: CleanTask): CleanStats {
  buffers ??= createRenderBuffers();
  paintSite(task.seed, task.key, task.placement, task.look, buffers);
  const stats: CleanStats = { mean: [], meanSquare: [] };
  for (const channel of buffers.canvas.channels) {
    let sum = 0;
    let sumSquares = 0;
    for (const v of channel) {
      sum += v;
      sumSquares += v * v;
    }
    stats.mean.push(sum / channel.length);
    stats.meanSquare.push(sumSquares / channel.length);
  }
  return stats;
}
