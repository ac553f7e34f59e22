/**
 * Images for the CNN: sites read once and kept as downscaled uint8 planes, per-experiment (or per-plate)
 * channel normalisation from negative-control statistics (the standard RxRx1 recipe: each group's controls
 * define its zero and unit), and the batch builders: random crops with the eight dihedral transforms, mixup
 * (Zhang et al. 2018) and cutmix (Yun et al. 2019).
 */
import { CHANNEL_COUNT, SITE_SIZE } from '../rxrx1/index.js';
import { detectLayout } from '../data/layout.js';
import { type MetadataProblem, readUsableSites } from '../data/metadata.js';
import type { SiteRecord } from '../data/site.js';
import { loadSites, type SiteLoaderPool } from '../image/pool.js';
import type { Rng } from '../util/random.js';

export type NormalizationScope = 'experiment' | 'plate';

/** Per-channel mean and standard deviation (of raw 0..255 pixel values) of a normalisation group. */
export interface ChannelNorm {
  mean: number[];
  std: number[];
  /** Sites the statistics come from, and whether they are negative controls (else: all sites of the group). */
  sites: number;
  fromControls: boolean;
}

export function groupKey(site: Pick<SiteRecord, 'experiment' | 'plate'>, scope: NormalizationScope): string {
  return scope === 'plate' ? `${site.experiment}_${site.plate}` : site.experiment;
}

/**
 * A dataset's sites (either layout) and the metadata rows left out of them; throws when rows conflict or none is
 * usable (data/metadata.ts assertUsable).
 */
export async function datasetSites(
  dir: string,
): Promise<{ imageRoot: string; sites: SiteRecord[]; problems: MetadataProblem[] }> {
  const layout = await detectLayout(dir);
  const { sites, problems } = await readUsableSites(layout);
  return { imageRoot: layout.imageRoot, sites, problems };
}

/** Integer downscale factor for an image scale (1, 0.5, 0.25, ...); throws unless 512 * scale is a whole divisor. */
export function downscaleFactor(scale: number): number {
  const factor = Math.round(1 / scale);
  if (!(scale > 0) || Math.abs(1 / factor - scale) > 1e-9 || SITE_SIZE % factor !== 0)
    throw new Error(`imageScale ${scale}: expected 1, 0.5, 0.25 or 0.125`);
  return factor;
}

/** Box-average downscale of a channel-major 6 x 512 x 512 tensor by an integer factor (factor 1: the tensor itself). */
export function downscale(tensor: Uint8Array, factor: number): Uint8Array {
  if (factor === 1) return tensor;
  const size = SITE_SIZE / factor;
  const out = new Uint8Array(CHANNEL_COUNT * size * size);
  const area = factor * factor;
  const row = new Uint32Array(size);
  for (let c = 0; c < CHANNEL_COUNT; c++) {
    const plane = c * SITE_SIZE * SITE_SIZE;
    for (let y = 0; y < size; y++) {
      row.fill(0);
      for (let dy = 0; dy < factor; dy++) {
        const src = plane + (y * factor + dy) * SITE_SIZE;
        for (let x = 0, i = src; x < size; x++) for (let dx = 0; dx < factor; dx++, i++) row[x] += tensor[i];
      }
      const dst = (c * size + y) * size;
      for (let x = 0; x < size; x++) out[dst + x] = Math.round(row[x] / area);
    }
  }
  return out;
}

/** Per-channel mean/std pooled over planes of `size` x `size` pixels (channel-major uint8). */
export function pooledChannelStats(images: readonly Uint8Array[], size: number): { mean: number[]; std: number[] } {
  const sum = new Float64Array(CHANNEL_COUNT);
  const sq = new Float64Array(CHANNEL_COUNT);
  const plane = size * size;
  for (const image of images) {
    for (let c = 0; c < CHANNEL_COUNT; c++) {
      const histogram = new Float64Array(256);
      for (let i = c * plane, end = i + plane; i < end; i++) histogram[image[i]]++;
      for (let v = 0; v < 256; v++) {
        sum[c] += v * histogram[v];
        sq[c] += v * v * histogram[v];
      }
    }
  }
  const n = images.length * plane;
  const mean = Array.from(sum, (s) => s / n);
  const std = Array.from(sq, (s, c) => Math.sqrt(Math.max(s / n - mean[c] * mean[c], 0)));
  return { mean, std };
}

/**
 * Normalisation statistics of each group from up to `maxSites` of its negative-control sites (evenly spread
 * over the group's control sites), falling back to all its sites when it has no negative controls.
 * `image(site)` returns the (downscaled) image, loading it if needed.
 */
export async function controlNormalization(
  sites: readonly SiteRecord[],
  scope: NormalizationScope,
  size: number,
  maxSites: number,
  images: (group: SiteRecord[]) => Promise<Uint8Array[]>,
): Promise<Map<string, ChannelNorm>> {
  const groups = new Map<string, SiteRecord[]>();
  for (const site of sites) {
    const key = groupKey(site, scope);
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key)!.push(site);
  }
  const result = new Map<string, ChannelNorm>();
  for (const [key, members] of [...groups].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const controls = members.filter((s) => s.wellType === 'negative_control');
    const pool = controls.length > 0 ? controls : members;
    const step = Math.max(1, pool.length / maxSites);
    const chosen: SiteRecord[] = [];
    for (let i = 0; i < pool.length && chosen.length < maxSites; i += step) chosen.push(pool[Math.floor(i)]);
    const loaded = await images(chosen);
    if (loaded.length === 0)
      throw new Error(`normalisation group ${key}: none of its ${chosen.length} chosen sites could be loaded`);
    const { mean, std } = pooledChannelStats(loaded, size);
    result.set(key, {
      mean,
      std: std.map((s) => Math.max(s, 1e-3)),
      sites: loaded.length,
      fromControls: controls.length > 0,
    });
  }
  return result;
}

export interface LoadedImages {
  images: Map<string, Uint8Array>;
  failed: { siteId: string; error: string }[];
}

/** Loads sites (in parallel, on worker threads) into downscaled images; a site that fails is reported and left out. */
export async function loadImages(
  imageRoot: string,
  sites: readonly SiteRecord[],
  factor: number,
  options: {
    pool?: SiteLoaderPool;
    threads?: number;
    maxBytes?: number;
    onProgress?: (done: number, total: number) => void;
  } = {},
): Promise<LoadedImages> {
  const size = SITE_SIZE / factor;
  const bytes = sites.length * CHANNEL_COUNT * size * size;
  if (options.maxBytes !== undefined && bytes > options.maxBytes) {
    throw new Error(
      `${sites.length} sites at ${size}x${size} need ${(bytes / 2 ** 20).toFixed(0)} MiB of images in memory, over the limit of ${(options.maxBytes / 2 ** 20).toFixed(0)} MiB (raise maxCacheMB or lower imageScale)`,
    );
  }
  const images = new Map<string, Uint8Array>();
  const failed: { siteId: string; error: string }[] = [];
  let done = 0;
  for await (const { site, tensor } of loadSites(imageRoot, sites, {
    pool: options.pool,
    threads: options.threads,
    onError: (site, error) => {
      failed.push({ siteId: site.siteId, error: error.message });
      options.onProgress?.(++done, sites.length);
    },
  })) {
    images.set(site.siteId, downscale(tensor, factor));
    options.onProgress?.(++done, sites.length);
  }
  return { images, failed };
}

/**
 * The eight symmetries of the square: transform index t in 0..7 = (rotation by t%4 quarter turns) then transpose if t
 * >= 4.
 */
function dihedralSource(t: number, y: number, x: number, n: number): number {
  let sy = y;
  let sx = x;
  if (t >= 4) [sy, sx] = [sx, sy];
  switch (t & 3) {
    case 1:
      [sy, sx] = [n - 1 - sx, sy];
      break;
    case 2:
      [sy, sx] = [n - 1 - sy, n - 1 - sx];
      break;
    case 3:
      [sy, sx] = [sx, n - 1 - sy];
      break;
  }
  return sy * n + sx;
}

/**
 * Writes one normalised NCHW sample: the `crop` x `crop` window at (top, left) of a channel-major image of
 * `size` x `size`, transformed by dihedral symmetry `t`, each channel as (value - mean) / std.
 */
export function writeSample(
  image: Uint8Array,
  size: number,
  top: number,
  left: number,
  crop: number,
  t: number,
  norm: ChannelNorm,
  out: Float32Array,
  offset: number,
): void {
  const plane = size * size;
  const cropPlane = crop * crop;
  for (let c = 0; c < CHANNEL_COUNT; c++) {
    const mean = norm.mean[c];
    const scale = 1 / norm.std[c];
    const src = c * plane + top * size + left;
    const dst = offset + c * cropPlane;
    if (t === 0) {
      for (let y = 0; y < crop; y++)
        for (let x = 0, i = src + y * size, o = dst + y * crop; x < crop; x++)
          out[o + x] = (image[i + x] - mean) * scale;
      continue;
    }
    for (let y = 0; y < crop; y++) {
      for (let x = 0; x < crop; x++) {
        const s = dihedralSource(t, y, x, crop);
        out[dst + y * crop + x] = (image[src + Math.floor(s / crop) * size + (s % crop)] - mean) * scale;
      }
    }
  }
}

export type MixMode = 'none' | 'mixup' | 'cutmix';

export interface MixResult {
  labelsB: Int32Array;
  lambda: Float32Array;
}

/**
 * Mixes a batch in place with a shuffled copy of itself. mixup: x = l x + (1 - l) x[perm]; cutmix: a box of
 * area (1 - l) is pasted from x[perm] and l becomes the exact kept fraction. Cell-type one-hots are mixed
 * with the same weight. l ~ Beta(alpha, alpha), one per batch.
 */
export function mixBatch(
  mode: MixMode,
  alpha: number,
  rng: Rng,
  x: Float32Array,
  cellTypes: Float32Array,
  labels: Int32Array,
  size: number,
  crop: number,
  types: number,
): MixResult {
  const lambda = new Float32Array(size).fill(1);
  const labelsB = Int32Array.from(labels);
  if (mode === 'none' || size < 2) return { labelsB, lambda };
  const perm = rng.shuffle(Array.from({ length: size }, (_, i) => i));
  let l = rng.beta(alpha, alpha);
  const sample = crop * crop * CHANNEL_COUNT;
  const source = Float32Array.from(x);
  const sourceTypes = Float32Array.from(cellTypes);
  if (mode === 'mixup') {
    for (let i = 0; i < size; i++) {
      const a = i * sample;
      const b = perm[i] * sample;
      for (let k = 0; k < sample; k++) x[a + k] = l * source[a + k] + (1 - l) * source[b + k];
    }
  } else {
    const cut = Math.sqrt(1 - l);
    const h = Math.round(crop * cut);
    const w = Math.round(crop * cut);
    const cy = rng.int(crop);
    const cx = rng.int(crop);
    const y0 = Math.max(0, cy - (h >> 1));
    const y1 = Math.min(crop, cy + h - (h >> 1));
    const x0 = Math.max(0, cx - (w >> 1));
    const x1 = Math.min(crop, cx + w - (w >> 1));
    for (let i = 0; i < size; i++) {
      for (let c = 0; c < CHANNEL_COUNT; c++) {
        for (let y = y0; y < y1; y++) {
          const a = i * sample + (c * crop + y) * crop + x0;
          const b = perm[i] * sample + (c * crop + y) * crop + x0;
          x.set(source.subarray(b, b + (x1 - x0)), a);
        }
      }
    }
    l = 1 - ((y1 - y0) * (x1 - x0)) / (crop * crop);
  }
  for (let i = 0; i < size; i++) {
    labelsB[i] = labels[perm[i]];
    lambda[i] = l;
    for (let t = 0; t < types; t++)
      cellTypes[i * types + t] = l * sourceTypes[i * types + t] + (1 - l) * sourceTypes[perm[i] * types + t];
  }
  return { labelsB, lambda };
}
