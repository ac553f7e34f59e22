/**
 * Renders one site: place cells, paint the clean stains and organelles, add background and unevenness, blur with
 * the objective's point spread function, expose through the simulated camera.
 * Every random draw comes from streams keyed by the run seed and the site's key, so a site's pixels do not
 * depend on which thread renders it or in what order.
 */
import { CHANNEL_COUNT, SITE_SIZE } from '../../rxrx1/index.js';
import { placeCells, type Cell, type PlacementParams } from './cells.js';
import { expose, type SiteImaging } from './imaging.js';
import { blurBinomial } from './optics.js';
import { paintOrganelles } from './organelles.js';
import { rngFor } from '../../util/random.js';
import { addBackground, createCanvas, paintCells, type Canvas, type StainLook } from './stains.js';
import { texturesFor, TEXTURE_SIZE } from './textures.js';

/** Buffers of one thread, reused site after site so rendering allocates almost nothing per pixel. */
export interface RenderBuffers {
  canvas: Canvas;
  /** Illumination field, also the blur's scratch buffer (blurring is done before illumination is needed). */
  illumination: Float32Array;
  images: Uint8Array[];
}

export function createRenderBuffers(): RenderBuffers {
  return {
    canvas: createCanvas(),
    illumination: new Float32Array(SITE_SIZE * SITE_SIZE),
    images: Array.from({ length: CHANNEL_COUNT }, () => new Uint8Array(SITE_SIZE * SITE_SIZE)),
  };
}

/**
 * Paints the clean, optically blurred channels of the site named `key` into `buffers.canvas.channels`; returns its
 * cells.
 */
export function paintSite(
  seed: number,
  key: string,
  placement: PlacementParams,
  look: StainLook,
  buffers: RenderBuffers,
): Cell[] {
  const rng = rngFor(seed, 'cells', key);
  const textures = texturesFor(seed);
  const offset = () => rng.int(TEXTURE_SIZE) | (rng.int(TEXTURE_SIZE) << 9);
  const offsets = {
    chromatin: offset(),
    rna: offset(),
    mito: offset(),
    er: offset(),
    thickness: offset(),
    outline: offset(),
    ruffles: offset(),
    haze: offset(),
  };
  const colonies = { x: rng.int(TEXTURE_SIZE), y: rng.int(TEXTURE_SIZE) };
  const cells = placeCells(placement, rng, textures.coarse, colonies);
  paintCells(cells, look, textures, offsets, buffers.canvas);
  paintOrganelles(cells, look, rng, buffers.canvas);
  addBackground(look, textures, offsets, buffers.canvas);
  for (const channel of buffers.canvas.channels) blurBinomial(channel, buffers.illumination);
  return cells;
}

/** Renders the site named `key` into `buffers.images` (w1..w6, 8-bit); returns its cells. */
export function renderSite(
  seed: number,
  key: string,
  placement: PlacementParams,
  look: StainLook,
  imaging: SiteImaging,
  buffers: RenderBuffers,
): Cell[] {
  const cells = paintSite(seed, key, placement, look, buffers);
  expose(buffers.canvas.channels, imaging, buffers.illumination, rngFor(seed, 'noise', key), buffers.images);
  return cells;
}
