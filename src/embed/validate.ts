/**
 * Batch-norm statistics of one experiment (AdaBN over some of its sites, or the running statistics) and the
 * softmax-head accuracy on held-out experiments, each adapted to separately, as embedding does.
 */
import type { SiteRecord } from '../data/site.js';
import type { ChannelNorm } from './data.js';
import { adaptBatchNorm, fixedStatsEmbedder, wholeImageBatch } from './infer.js';
import type { BnStats, Model } from './model.js';
import type { SessionOptions } from './session.js';
import { evenlySpaced, type ImageSource } from './trainData.js';

/** Batch-norm statistics for one experiment's sites: AdaBN over them (in batches), or the running statistics. */
export async function experimentBnStats(
  model: Model,
  images: readonly Uint8Array[],
  size: number,
  norms: readonly ChannelNorm[],
  batchSize: number,
  adabn: boolean,
  options: SessionOptions = {},
): Promise<Map<string, BnStats>> {
  if (!adabn || images.length === 0) return model.bn;
  const batches: { x: Float32Array; n: number; size: number }[] = [];
  for (let i = 0; i < images.length; i += batchSize) {
    const chunk = images.slice(i, i + batchSize);
    if (chunk.length < 2 && batches.length > 0) break; // a batch of one has no variance to estimate
    batches.push({ x: wholeImageBatch(chunk, size, norms.slice(i, i + batchSize)), n: chunk.length, size });
  }
  return adaptBatchNorm(model, batches, options);
}

/** The sites of `chunk` that load, with their images. */
async function present(source: ImageSource, chunk: readonly SiteRecord[]) {
  const images = await source.images(chunk);
  return {
    sites: chunk.filter((_, i) => images[i] !== null),
    images: images.filter((i): i is Uint8Array => i !== null),
  };
}

export interface ValidationInput {
  sites: readonly SiteRecord[];
  source: ImageSource;
  size: number;
  normOf: (site: SiteRecord) => ChannelNorm;
  cellTypes: readonly string[];
  batchSize: number;
  adabn: boolean;
  adabnSites: number;
}

/** Softmax-head accuracy on held-out experiments (sites that load), with per-experiment AdaBN when configured. */
export async function validate(model: Model, input: ValidationInput, options: SessionOptions = {}): Promise<number> {
  let correct = 0;
  let total = 0;
  const byExperiment = new Map<string, SiteRecord[]>();
  for (const s of input.sites) byExperiment.set(s.experiment, [...(byExperiment.get(s.experiment) ?? []), s]);
  for (const members of byExperiment.values()) {
    const adapt = await present(input.source, evenlySpaced(members, input.adabnSites));
    const norms = adapt.sites.map(input.normOf);
    const stats = await experimentBnStats(
      model,
      adapt.images,
      input.size,
      norms,
      input.batchSize,
      input.adabn,
      options,
    );
    const embedder = await fixedStatsEmbedder(model, stats, { ...options, head: true });
    try {
      for (let i = 0; i < members.length; i += input.batchSize) {
        const chunk = await present(input.source, members.slice(i, i + input.batchSize));
        if (chunk.sites.length === 0) continue;
        const x = wholeImageBatch(chunk.images, input.size, chunk.sites.map(input.normOf));
        const cells = chunk.sites.map((s) => input.cellTypes.indexOf(s.cellType));
        const predicted = await embedder.predict(x, chunk.sites.length, input.size, cells);
        chunk.sites.forEach((s, k) => {
          correct += predicted[k] === s.sirnaId ? 1 : 0;
        });
        total += chunk.sites.length;
      }
    } finally {
      await embedder.close();
    }
  }
  return total > 0 ? correct / total : 0;
}
