/**
 * Training batches: each site becomes one view (supervised training) or two (with the contrastive loss, images 2i
 * and 2i + 1): a crop, uniformly placed or centred on one of the site's nuclei (trainData.ts), one of the eight
 * dihedral transforms, and optionally a per-channel gain and offset drawn per view (intensityJitter), the kind of
 * shift a batch effect makes. Supervised batches are then mixed (cutmix or mixup, data.ts); view pairs are not,
 * since mixing two sites would make a pair show different sites.
 */
import { CHANNEL_COUNT } from '../rxrx1/index.js';
import type { SiteRecord } from '../data/site.js';
import type { Rng } from '../util/random.js';
import { mixBatch, writeSample } from './data.js';
import type { Batch } from './trainer.js';
import { nucleusCentres, type TrainData } from './trainData.js';

/** Top-left corner of a crop: random, or centred on a random nucleus (clipped to the image). */
function cropOrigin(data: TrainData, site: SiteRecord, image: Uint8Array, rng: Rng): [number, number] {
  const { size, config } = data;
  const room = size - config.crop + 1;
  const nuclei = config.crops === 'nuclei' || (config.crops === 'mixed' && rng.next() < 0.5);
  if (nuclei) {
    let centres = data.centres.get(site.siteId);
    if (!centres) {
      centres = nucleusCentres(image, size);
      data.centres.set(site.siteId, centres);
    }
    if (centres.length > 0) {
      const k = rng.int(centres.length / 2);
      const clip = (v: number): number => Math.min(room - 1, Math.max(0, v - (config.crop >> 1)));
      return [clip(centres[2 * k]), clip(centres[2 * k + 1])];
    }
  }
  return [rng.int(room), rng.int(room)];
}

/** x <- x * gain + offset per channel, gain log-normal with sigma `jitter`, offset normal with sigma `jitter`. */
function jitterIntensity(x: Float32Array, offset: number, crop: number, jitter: number, rng: Rng): void {
  const plane = crop * crop;
  for (let c = 0; c < CHANNEL_COUNT; c++) {
    const gain = Math.exp(jitter * rng.normal());
    const shift = jitter * rng.normal();
    const start = offset + c * plane;
    for (let i = start; i < start + plane; i++) x[i] = x[i] * gain + shift;
  }
}

/**
 * The batch of one step: `sites` (labelled ones have a label, the others weigh 0 in the supervised losses) and
 * their images, in order. Draws from `rng` in a fixed order, so a resumed run builds the same batches.
 */
export function buildBatch(
  data: TrainData,
  sites: readonly SiteRecord[],
  images: readonly Uint8Array[],
  labelled: ReadonlySet<string>,
  rng: Rng,
): Batch {
  const { config, cellTypes } = data;
  const views = config.contrastiveWeight > 0 ? 2 : 1;
  const n = sites.length * views;
  const sample = config.crop * config.crop * CHANNEL_COUNT;
  const x = new Float32Array(n * sample);
  const types = new Float32Array(n * cellTypes.length);
  const labels = new Int32Array(n);
  const weight = new Float32Array(n);
  const labelledImages = sites.filter((s) => labelled.has(s.siteId)).length * views;
  sites.forEach((site, i) => {
    for (let v = 0; v < views; v++) {
      const k = i * views + v;
      const [top, left] = cropOrigin(data, site, images[i], rng);
      writeSample(images[i], data.size, top, left, config.crop, rng.int(8), data.normOf(site), x, k * sample);
      if (config.intensityJitter > 0) jitterIntensity(x, k * sample, config.crop, config.intensityJitter, rng);
      types[k * cellTypes.length + cellTypes.indexOf(site.cellType)] = 1;
      if (labelled.has(site.siteId)) {
        labels[k] = site.sirnaId!;
        weight[k] = 1 / labelledImages;
      }
    }
  });
  const mode = views === 1 && config.mix !== 'none' && rng.next() < config.mixProbability ? config.mix : 'none';
  const { labelsB, lambda } = mixBatch(mode, config.mixAlpha, rng, x, types, labels, n, config.crop, cellTypes.length);
  return { x, size: n, crop: config.crop, cellTypes: types, labelsA: labels, labelsB, lambda, weight };
}
