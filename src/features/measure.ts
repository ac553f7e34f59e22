/**
 * Per-object measurements of one site, with CellProfiler's feature names `{Object}_{Category}_{Feature}[_{Channel}
 * [_{Scale}]]`: AreaShape (shape.ts), Intensity (intensity.ts), Correlation (colocalization.ts), Texture
 * (texture.ts) and Granularity (granularity.ts), for one object set (Nuclei or Cells) of a label image.
 */
import { CHANNEL_COUNT } from '../rxrx1/index.js';
import { measureColocalization, objectPixels } from './colocalization.js';
import {
  DEFAULT_GRANULARITY,
  measureGranularity,
  type GranularityOptions,
  type GranularityResult,
} from './granularity.js';
import { INTENSITY_FEATURES, IntensityScratch, measureIntensity, objectEdges } from './intensity.js';
import { PixelQueue } from './morphology.js';
import { measureShape, SHAPE_FEATURES, ShapeScratch } from './shape.js';
import { measureTexture, TEXTURE_FEATURES, TextureScratch } from './texture.js';

/** Channel names used in feature names, w1..w6. */
export const CHANNEL_NAMES = Array.from({ length: CHANNEL_COUNT }, (_, i) => `w${i + 1}`);

export interface MeasureOptions {
  /** Which measurement categories to run (all by default). */
  shape: boolean;
  intensity: boolean;
  /** Channel pairs (1-based) for colocalization; default all 15 pairs of w1..w6. */
  colocalizationPairs: [number, number][];
  /** Manders threshold, percent of the object's maximum per channel. */
  mandersThresholdPercent: number;
  texture: boolean;
  /** Co-occurrence distance (the texture scale in feature names) and gray levels. */
  textureDistance: number;
  textureLevels: number;
  granularity: GranularityOptions | false;
}

export const DEFAULT_MEASURE: MeasureOptions = {
  shape: true,
  intensity: true,
  colocalizationPairs: CHANNEL_NAMES.flatMap((_, a) =>
    CHANNEL_NAMES.slice(a + 1).map((__, k): [number, number] => [a + 1, a + 2 + k]),
  ),
  mandersThresholdPercent: 15,
  texture: true,
  textureDistance: 1,
  textureLevels: 8,
  granularity: DEFAULT_GRANULARITY,
};

/** Per-object features: columns[j][o] is feature names[j] of object o + 1. */
export interface ObjectFeatures {
  count: number;
  names: string[];
  columns: Float64Array[];
}

/** Buffers reused across sites by one thread. */
export class MeasureWorkspace {
  readonly shape = new ShapeScratch();
  readonly intensity = new IntensityScratch();
  readonly texture = new TextureScratch();
  readonly queue = new PixelQueue();
  edges = new Uint8Array(0);
  pixels = new Int32Array(0);
  ensure(size: number): void {
    if (this.edges.length < size) {
      this.edges = new Uint8Array(size);
      this.pixels = new Int32Array(size);
    }
  }
}

function add(target: ObjectFeatures, name: string, column: Float64Array): void {
  target.names.push(name);
  target.columns.push(column);
}

/**
 * Measures one object set. `granularity` is the site's granularity per channel (from measureGranularity with this
 * object set at `setIndex`), computed once for all object sets because the openings are per image.
 */
export function measureObjects(
  objectName: string,
  labels: Int32Array,
  count: number,
  tensor: Uint8Array,
  width: number,
  height: number,
  options: Partial<MeasureOptions> = {},
  workspace: MeasureWorkspace = new MeasureWorkspace(),
  granularity?: { perChannel: GranularityResult[]; setIndex: number },
): ObjectFeatures {
  const o = { ...DEFAULT_MEASURE, ...options };
  const size = width * height;
  workspace.ensure(size);
  const out: ObjectFeatures = { count, names: [], columns: [] };
  const plane = (c: number): Uint8Array => tensor.subarray(c * size, (c + 1) * size);
  const pixels = objectPixels(labels, workspace.pixels);
  if (o.shape) {
    const shape = measureShape(labels, count, width, height, workspace.shape);
    for (const name of SHAPE_FEATURES) add(out, `${objectName}_AreaShape_${name}`, shape[name]);
  }
  if (o.intensity) {
    const edges = objectEdges(labels, width, height, workspace.edges);
    for (let c = 0; c < CHANNEL_COUNT; c++) {
      const intensity = measureIntensity(labels, count, plane(c), edges, pixels, workspace.intensity);
      for (const name of INTENSITY_FEATURES)
        add(out, `${objectName}_Intensity_${name}_${CHANNEL_NAMES[c]}`, intensity[name]);
    }
  }
  if (o.colocalizationPairs.length > 0) {
    const pairs = o.colocalizationPairs.map(([a, b]) => ({
      a: a - 1,
      b: b - 1,
      nameA: CHANNEL_NAMES[a - 1],
      nameB: CHANNEL_NAMES[b - 1],
    }));
    const colocalization = measureColocalization(labels, count, tensor, pixels, {
      pairs,
      thresholdPercent: o.mandersThresholdPercent,
    });
    for (const [name, column] of Object.entries(colocalization)) add(out, `${objectName}_Correlation_${name}`, column);
  }
  if (o.texture) {
    for (let c = 0; c < CHANNEL_COUNT; c++) {
      const texture = measureTexture(
        labels,
        count,
        width,
        height,
        plane(c),
        pixels,
        { distance: o.textureDistance, levels: o.textureLevels },
        workspace.texture,
      );
      for (const name of TEXTURE_FEATURES)
        add(out, `${objectName}_Texture_${name}_${CHANNEL_NAMES[c]}_${o.textureDistance}`, texture[name]);
    }
  }
  if (granularity) {
    granularity.perChannel.forEach((result, c) => {
      result.objects[granularity.setIndex].forEach((column, scale) => {
        add(out, `${objectName}_Granularity_${scale + 1}_${CHANNEL_NAMES[c]}`, column);
      });
    });
  }
  return out;
}

/** Granularity of every channel for the given object sets (none when options.granularity is false). */
export function measureSiteGranularity(
  tensor: Uint8Array,
  width: number,
  height: number,
  objectSets: { labels: Int32Array; count: number }[],
  options: Partial<MeasureOptions> = {},
  workspace: MeasureWorkspace = new MeasureWorkspace(),
): GranularityResult[] | null {
  const granularity = options.granularity ?? DEFAULT_MEASURE.granularity;
  if (granularity === false) return null;
  const size = width * height;
  return CHANNEL_NAMES.map((_, c) =>
    measureGranularity(
      tensor.subarray(c * size, (c + 1) * size),
      width,
      height,
      objectSets,
      granularity,
      workspace.queue,
    ),
  );
}
