/**
 * Training configuration. A JSON file (`--config`) and CLI options override any field; fields left out take the
 * defaults below, and the few marked "adapts" are chosen from the dataset's size (`resolveTrainConfig`) so that the
 * defaults train a useful model in bounded time on a CPU (ENGINE.md has the figures). Validated with zod, so a
 * wrong field is reported by name with what was expected. model.json records the resolved configuration.
 */
import fs from 'node:fs';
import { z } from 'zod';
import { BACKBONES, type BackboneName } from './model.js';

const backbones = Object.keys(BACKBONES) as [BackboneName, ...BackboneName[]];

export const TrainConfigSchema = z
  .object({
    backbone: z.enum(backbones).default('resnet-small'),
    embeddingDim: z.number().int().min(2).max(4096).default(128),
    /** Sites are box-downscaled by this factor before cropping (1, 0.5, 0.25, 0.125). Adapts. */
    imageScale: z.number().positive().max(1).optional(),
    /** Side of the square training crop (after downscaling), at most 512. Adapts. */
    crop: z.number().int().min(16).max(512).optional(),
    /** Sites per batch (a contrastive batch holds two views of each). */
    batchSize: z.number().int().min(2).max(1024).default(32),
    /** Adapts: more epochs for smaller datasets, within a bounded number of steps. */
    epochs: z.number().int().min(1).max(10000).optional(),
    /** Peak learning rate of SGD with Nesterov momentum. */
    lr: z.number().positive().default(0.1),
    minLr: z.number().min(0).default(0),
    momentum: z.number().min(0).max(0.999).default(0.9),
    weightDecay: z.number().min(0).default(5e-4),
    warmupEpochs: z.number().min(0).default(1),
    mix: z.enum(['none', 'mixup', 'cutmix']).default('cutmix'),
    mixAlpha: z.number().positive().default(1),
    /** Fraction of batches that are mixed. */
    mixProbability: z.number().min(0).max(1).default(0.5),
    softmaxWeight: z.number().min(0).default(1),
    arcfaceWeight: z.number().min(0).default(0.2),
    arcfaceScale: z.number().positive().default(16),
    arcfaceMargin: z.number().min(0).max(1.5).default(0.1),
    /** Weight of the contrastive (SimCLR NT-Xent) loss on two augmented views of each site; 0 turns it off. */
    contrastiveWeight: z.number().min(0).default(0),
    temperature: z.number().positive().default(0.2),
    projectionDim: z.number().int().min(2).max(4096).default(64),
    /** Sites without usable labels join the contrastive loss: the held-out experiments' and the unlabelled ones. */
    unlabelled: z.boolean().default(true),
    /** Per-channel gain jitter of the views (log-normal sigma), mimicking batch effects; 0 turns it off. */
    intensityJitter: z.number().min(0).max(1).default(0),
    /** Crops: uniformly random, or centred on a nucleus found by segmentation (features/), or half and half. */
    crops: z.enum(['random', 'nuclei', 'mixed']).default('random'),
    normalization: z.enum(['experiment', 'plate']).default('experiment'),
    /** Negative-control sites read per normalisation group. */
    controlSitesPerGroup: z.number().int().min(1).default(16),
    /**
     * Experiments held out for validation; when absent, the labelled experiments of the `test` split when those are
     * not trained on (RxRx1's held-out experiments), else a seeded validationFraction of the experiments.
     */
    validationExperiments: z.array(z.string()).optional(),
    validationFraction: z.number().min(0).max(0.9).default(0.2),
    /** Treatment siRNAs kept out of training, for k-shot evaluation on siRNAs the model never saw
     * (`phenomap evaluate --novel-sirnas MODEL_DIR`): these ids, or else a seeded draw of this fraction. */
    holdoutSirnas: z.array(z.number().int().min(0)).optional(),
    holdoutSirnaFraction: z.number().min(0).max(0.9).default(0.2),
    /** Which metadata rows to train on (sites need a sirna_id). */
    datasets: z.array(z.enum(['train', 'test'])).default(['train']),
    /** What `embed` writes (export.ts): the embedding layer's output, the last stage's pooled features, or every
     * stage's pooled features side by side. */
    readout: z.enum(['embedding', 'pooled', 'multiscale']).default('embedding'),
    /** Re-estimate batch-norm statistics per experiment at validation and embedding time. */
    adabn: z.boolean().default(true),
    /** Sites per experiment used to estimate AdaBN statistics. */
    adabnSites: z.number().int().min(1).default(64),
    seed: z.number().int().default(0),
    /** Upper bound on the memory the cached training images may take. */
    maxCacheMB: z.number().positive().default(8192),
    /** `memory`: read every site once and keep it; `stream`: read each batch from disk on worker threads while
     * the previous batch trains; `auto`: memory when the images fit in maxCacheMB. Results are the same. */
    cache: z.enum(['auto', 'memory', 'stream']).default('auto'),
    /** Where the steps run: onnxruntime's CPU execution provider, or its CUDA one (session.ts). */
    device: z.enum(['cpu', 'cuda']).default('cpu'),
    /** Threads of the training steps and of inference (default: one per core). */
    threads: z.number().int().min(1).optional(),
  })
  .strict();

export type TrainConfigInput = z.input<typeof TrainConfigSchema>;
type Parsed = z.infer<typeof TrainConfigSchema>;
/** A configuration with every adapting field chosen. */
export type TrainConfig = Parsed & Required<Pick<Parsed, 'imageScale' | 'crop' | 'epochs'>>;

export function parseTrainConfig(input: unknown, where = 'config'): Parsed {
  const result = TrainConfigSchema.safeParse(input ?? {});
  if (!result.success) {
    const issues = result.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new Error(`${where}: ${issues}`);
  }
  return result.data;
}

export function readTrainConfig(file: string | undefined, overrides: Partial<TrainConfigInput> = {}): Parsed {
  let raw: Record<string, unknown> = {};
  if (file) {
    try {
      raw = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
    } catch (error) {
      throw new Error(`${file}: cannot be read as a JSON config (${(error as Error).message})`);
    }
  }
  return parseTrainConfig({ ...raw, ...overrides }, file ?? 'config');
}

/** What the adapting defaults look at. */
export interface DatasetSize {
  /** Sites an epoch goes through: the labelled training sites, and the unlabelled ones when the contrastive loss
   * uses them. */
  trainSites: number;
}

/** Optimisation steps the default schedule aims at, whatever the dataset's size (about 6 minutes at 64x64 on 2 cores). */
const DEFAULT_STEPS = 2400;

/**
 * Fills the adapting fields: quarter-scale sites and 64-pixel crops (a cell or two at RxRx1's resolution after
 * downscaling, cheap enough for CPUs), and as many epochs as make about DEFAULT_STEPS steps (at least 10, at most
 * 200), so a small dataset is seen many times and a large one trains in bounded time.
 */
export function resolveTrainConfig(config: Parsed, size: DatasetSize): TrainConfig {
  const imageScale = config.imageScale ?? 0.25;
  const crop = config.crop ?? 64;
  const stepsPerEpoch = Math.max(1, Math.floor(size.trainSites / config.batchSize));
  const epochs = config.epochs ?? Math.min(200, Math.max(10, Math.round(DEFAULT_STEPS / stepsPerEpoch)));
  return { ...config, imageScale, crop, epochs };
}
