/**
 * What a training run reads, set up once before the first step: the labelled sites and their split (held-out
 * experiments for validation, held-out siRNAs for k-shot evaluation on siRNAs the model never saw), the unlabelled
 * sites the contrastive loss may use, the images (held in memory or streamed from disk), each normalisation
 * group's statistics and, for nucleus-centred crops, where the nuclei are.
 */
import { SITE_SIZE } from '../rxrx1/index.js';
import type { SiteRecord } from '../data/site.js';
import { segmentNuclei } from '../features/segment.js';
import { loadSites, SiteLoaderPool } from '../image/pool.js';
import { Rng } from '../util/random.js';
import { parseTrainConfig, resolveTrainConfig, type TrainConfig, type TrainConfigInput } from './config.js';
import {
  controlNormalization,
  datasetSites,
  downscale,
  downscaleFactor,
  groupKey,
  loadImages,
  type ChannelNorm,
} from './data.js';
import { CHANNEL_COUNT } from '../rxrx1/index.js';

/**
 * Validation experiments: the configured ones; else the labelled experiments of RxRx1's `test` split when those
 * are not trained on; else a seeded draw of validationFraction of them (at least one train experiment stays).
 */
export function splitExperiments(
  labelled: readonly Pick<SiteRecord, 'experiment' | 'dataset'>[],
  config: Pick<TrainConfig, 'validationExperiments' | 'validationFraction' | 'seed' | 'datasets'>,
): { train: string[]; validation: string[]; trainOn: (site: Pick<SiteRecord, 'experiment'>) => boolean } {
  const datasets = config.datasets as string[];
  const sorted = [...new Set(labelled.filter((s) => datasets.includes(s.dataset)).map((s) => s.experiment))].sort();
  const heldOut = [...new Set(labelled.filter((s) => !datasets.includes(s.dataset)).map((s) => s.experiment))].sort();
  let validation: string[];
  if (config.validationExperiments) {
    const known = [...new Set(labelled.map((s) => s.experiment))];
    const unknown = config.validationExperiments.filter((e) => !known.includes(e));
    if (unknown.length > 0)
      throw new Error(
        `validationExperiments: ${unknown.join(', ')} not among the dataset's labelled experiments (${known.sort().join(', ')})`,
      );
    validation = [...config.validationExperiments].sort();
  } else if (heldOut.length > 0) {
    validation = heldOut.filter((e) => !sorted.includes(e));
  } else {
    const count =
      sorted.length < 2
        ? 0
        : Math.min(
            sorted.length - 1,
            Math.max(config.validationFraction > 0 ? 1 : 0, Math.round(sorted.length * config.validationFraction)),
          );
    validation = new Rng(config.seed ^ 0x5eed)
      .shuffle([...sorted])
      .slice(0, count)
      .sort();
  }
  const train = sorted.filter((e) => !validation.includes(e));
  if (train.length === 0) throw new Error('no experiment left to train on after the validation split');
  return { train, validation, trainOn: (site) => train.includes(site.experiment) };
}

/** Treatment siRNAs kept out of training: the configured ones, or a seeded draw of holdoutSirnaFraction of them. */
export function holdoutSirnas(
  sites: readonly SiteRecord[],
  config: Pick<TrainConfig, 'holdoutSirnas' | 'holdoutSirnaFraction' | 'seed'>,
): number[] {
  const treatments = [
    ...new Set(sites.filter((s) => s.wellType === 'treatment' && s.sirnaId !== null).map((s) => s.sirnaId!)),
  ].sort((a, b) => a - b);
  if (config.holdoutSirnas) {
    const unknown = config.holdoutSirnas.filter((id) => !treatments.includes(id));
    if (unknown.length > 0)
      throw new Error(`holdoutSirnas: ${unknown.join(', ')} not among the dataset's labelled treatment siRNAs`);
    return [...new Set(config.holdoutSirnas)].sort((a, b) => a - b);
  }
  const count = Math.round(treatments.length * config.holdoutSirnaFraction);
  return new Rng(config.seed ^ 0x51a4)
    .shuffle([...treatments])
    .slice(0, count)
    .sort((a, b) => a - b);
}

export function evenlySpaced<T>(items: readonly T[], count: number): T[] {
  if (items.length <= count) return [...items];
  return Array.from({ length: count }, (_, i) => items[Math.floor((i * items.length) / count)]);
}

/** Where training images come from: all held in memory, or loaded per batch on worker threads. */
export interface ImageSource {
  /** Images of `sites` in order, null for a site that cannot be loaded. */
  images(sites: readonly SiteRecord[]): Promise<(Uint8Array | null)[]>;
  readonly failed: { siteId: string; error: string }[];
}

class MemorySource implements ImageSource {
  constructor(
    private readonly cache: Map<string, Uint8Array>,
    readonly failed: { siteId: string; error: string }[],
  ) {}

  async images(sites: readonly SiteRecord[]): Promise<(Uint8Array | null)[]> {
    return sites.map((s) => this.cache.get(s.siteId) ?? null);
  }
}

/** Streams sites from disk each time they are needed (datasets larger than maxCacheMB); failures are reported once. */
class StreamSource implements ImageSource {
  readonly failed: { siteId: string; error: string }[] = [];
  private readonly reported = new Set<string>();

  constructor(
    private readonly imageRoot: string,
    private readonly factor: number,
    private readonly pool: SiteLoaderPool,
  ) {}

  async images(sites: readonly SiteRecord[]): Promise<(Uint8Array | null)[]> {
    const byId = new Map<string, Uint8Array>();
    const onError = (site: SiteRecord, error: Error): void => {
      if (this.reported.has(site.siteId)) return;
      this.reported.add(site.siteId);
      this.failed.push({ siteId: site.siteId, error: error.message });
    };
    for await (const { site, tensor } of loadSites(this.imageRoot, sites, { pool: this.pool, onError }))
      byId.set(site.siteId, downscale(tensor, this.factor));
    return sites.map((s) => byId.get(s.siteId) ?? null);
  }
}

/**
 * Nucleus centres (y, x pairs) of a downscaled site, from the features/ segmentation with its parameters scaled to
 * the site's resolution; an empty list when none is found (the crop is then random).
 */
export function nucleusCentres(image: Uint8Array, size: number): Int16Array {
  const scale = size / SITE_SIZE;
  const { labels, count } = segmentNuclei(image, size, size, {
    sigma: Math.max(0.5, 2 * scale),
    declumpSigma: Math.max(0.5, 2 * scale),
    diameterRange: [Math.max(1, 8 * scale), 60 * scale],
    excludeBorderObjects: false,
  });
  const sums = new Float64Array(3 * (count + 1));
  for (let i = 0; i < labels.length; i++) {
    const l = labels[i];
    if (l === 0) continue;
    sums[3 * l] += Math.floor(i / size);
    sums[3 * l + 1] += i % size;
    sums[3 * l + 2]++;
  }
  const out = new Int16Array(2 * count);
  for (let l = 1; l <= count; l++) {
    out[2 * (l - 1)] = Math.round(sums[3 * l] / sums[3 * l + 2]);
    out[2 * (l - 1) + 1] = Math.round(sums[3 * l + 1] / sums[3 * l + 2]);
  }
  return out;
}

export interface TrainData {
  config: TrainConfig;
  imageRoot: string;
  /** Side of the downscaled sites. */
  size: number;
  cellTypes: string[];
  numClasses: number;
  heldOutSirnas: number[];
  split: { train: string[]; validation: string[] };
  trainSites: SiteRecord[];
  validationSites: SiteRecord[];
  /** Sites only the contrastive loss sees (no label used): the held-out experiments' and unlabelled ones. */
  unlabelledSites: SiteRecord[];
  source: ImageSource;
  norms: Map<string, ChannelNorm>;
  /** Nucleus centres by site id (nucleus-centred crops; filled as sites are first seen). */
  centres: Map<string, Int16Array>;
  normOf(site: SiteRecord): ChannelNorm;
  close(): Promise<void>;
}

/** Sites of the dataset and their roles; see the module comment. */
async function chooseSites(data: string, input: TrainConfigInput) {
  const parsed = parseTrainConfig(input);
  const { imageRoot, sites } = await datasetSites(data);
  const labelled = sites.filter((s) => s.sirnaId !== null);
  const candidates = labelled.filter((s) => (parsed.datasets as string[]).includes(s.dataset));
  if (candidates.length === 0)
    throw new Error(`${data}: no labelled sites (sirna_id set) in dataset(s) ${parsed.datasets.join(', ')}`);
  // Class ids and cell types come from every labelled site, so held-out siRNAs keep their ids (and head rows).
  const heldOutSirnas = holdoutSirnas(candidates, parsed);
  const heldOut = new Set(heldOutSirnas);
  const usable = labelled.filter((s) => !heldOut.has(s.sirnaId!));
  const split = splitExperiments(usable, parsed);
  const trainSites = usable.filter((s) => split.trainOn(s) && (parsed.datasets as string[]).includes(s.dataset));
  const validationSites = usable.filter((s) => split.validation.includes(s.experiment));
  const trainIds = new Set(trainSites.map((s) => s.siteId));
  // Never a held-out siRNA's site, labelled or not: the k-shot test is on siRNAs the model never saw.
  const unlabelledSites = sites.filter(
    (s) => !trainIds.has(s.siteId) && !(s.sirnaId !== null && heldOut.has(s.sirnaId)),
  );
  const seen = trainSites.length + (parsed.contrastiveWeight > 0 && parsed.unlabelled ? unlabelledSites.length : 0);
  const config = resolveTrainConfig(parsed, { trainSites: seen });
  return { config, imageRoot, sites, labelled, heldOutSirnas, split, trainSites, validationSites, unlabelledSites };
}

/** Sets up a run's data; see the module comment. */
export async function prepareTrainData(
  data: string,
  input: TrainConfigInput,
  options: { threads?: number; onProgress?: (done: number, total: number) => void } = {},
): Promise<TrainData> {
  const chosen = await chooseSites(data, input);
  const { config } = chosen;
  const factor = downscaleFactor(config.imageScale);
  const size = SITE_SIZE / factor;
  if (config.crop > size)
    throw new Error(`crop ${config.crop} is larger than the ${size}x${size} images at imageScale ${config.imageScale}`);
  const wantsUnlabelled = config.contrastiveWeight > 0 && config.unlabelled;
  const unlabelledSites = wantsUnlabelled ? chosen.unlabelledSites : [];
  const needed = [...chosen.trainSites, ...chosen.validationSites, ...unlabelledSites];
  const pool = new SiteLoaderPool({ threads: options.threads });
  const bytes = needed.length * CHANNEL_COUNT * size * size;
  const inMemory = config.cache === 'memory' || (config.cache === 'auto' && bytes <= config.maxCacheMB * 2 ** 20);
  let source: ImageSource;
  let keep = (s: SiteRecord): boolean => s !== undefined;
  if (inMemory) {
    try {
      const loaded = await loadImages(chosen.imageRoot, needed, factor, {
        pool,
        maxBytes: config.maxCacheMB * 2 ** 20,
        onProgress: options.onProgress,
      });
      source = new MemorySource(loaded.images, loaded.failed);
      keep = (s) => loaded.images.has(s.siteId);
    } finally {
      await pool.close();
    }
  } else {
    source = new StreamSource(chosen.imageRoot, factor, pool);
  }
  const usable = chosen.labelled.filter(keep);
  const norms = await controlNormalization(
    [...usable, ...unlabelledSites.filter(keep)],
    config.normalization,
    size,
    config.controlSitesPerGroup,
    async (group) => (await source.images(group)).filter((i): i is Uint8Array => i !== null),
  );
  const trainSites = chosen.trainSites.filter(keep);
  if (trainSites.length === 0) throw new Error('no training site could be loaded');
  return {
    config,
    imageRoot: chosen.imageRoot,
    size,
    cellTypes: [...new Set(chosen.labelled.map((s) => s.cellType))].sort(),
    numClasses: Math.max(...chosen.labelled.map((s) => s.sirnaId!)) + 1,
    heldOutSirnas: chosen.heldOutSirnas,
    split: { train: chosen.split.train, validation: chosen.split.validation },
    trainSites,
    validationSites: chosen.validationSites.filter(keep),
    unlabelledSites: unlabelledSites.filter(keep),
    source,
    norms,
    centres: new Map(),
    normOf: (site) => {
      const norm = norms.get(groupKey(site, config.normalization));
      if (!norm) throw new Error(`no normalisation statistics for ${groupKey(site, config.normalization)}`);
      return norm;
    },
    close: () => pool.close(),
  };
}
