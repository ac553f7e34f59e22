/**
 * Training configuration: defaults for a CPU run of the small backbone; a JSON file (`--config`) overrides any
 * field. Validated with zod, so a wrong field is reported by name with what was expected. The loss weights
 * were chosen on the simulator's small preset (bench/cnn.ts accuracy): ArcFace at weight 1 and scale 30 from
 * the first step slowed learning badly (3x chance after 12 epochs, against 12x with these values).
 */
import fs from 'node:fs';
import { z } from 'zod';

export const TrainConfigSchema = z
  .object({
    backbone: z.enum(['resnet-small', 'resnet18']).default('resnet-small'),
    embeddingDim: z.number().int().min(2).max(4096).default(128),
    /** Sites are box-downscaled by this factor before cropping (1, 0.5, 0.25, 0.125). */
    imageScale: z.number().positive().max(1).default(0.5),
    /** Side of the square random crop (after downscaling), at most 512. */
    crop: z.number().int().min(16).max(512).default(128),
    batchSize: z.number().int().min(2).max(1024).default(32),
    epochs: z.number().int().min(1).max(10000).default(10),
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
    normalization: z.enum(['experiment', 'plate']).default('experiment'),
    /** Negative-control sites read per normalisation group. */
    controlSitesPerGroup: z.number().int().min(1).default(16),
    /** Experiments held out for validation; when absent, validationFraction of the experiments (seeded). */
    validationExperiments: z.array(z.string()).optional(),
    validationFraction: z.number().min(0).max(0.9).default(0.2),
    /** Treatment siRNAs kept out of training, for k-shot evaluation on siRNAs the model never saw
     * (`phenomap evaluate --novel-sirnas MODEL_DIR`): these ids, or else a seeded draw of this fraction. */
    holdoutSirnas: z.array(z.number().int().min(0)).optional(),
    holdoutSirnaFraction: z.number().min(0).max(0.9).default(0),
    /** Which metadata rows to train on (sites need a sirna_id). */
    datasets: z.array(z.enum(['train', 'test'])).default(['train']),
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
    /** tfjs backend for validation, AdaBN and embedding (and training when `trainer` is tfjs). */
    backend: z.enum(['auto', 'wasm', 'webgpu', 'cpu']).default('auto'),
    /** What runs the training steps: `onnxruntime` (the step as one ONNX graph, trainGraph.ts; the fastest on
     * CPUs), `tfjs` (autodiff on the tfjs backend), or `auto`: tfjs when the backend is webgpu, else onnxruntime. */
    trainer: z.enum(['auto', 'onnxruntime', 'tfjs']).default('auto'),
    /** Threads of the onnxruntime trainer (default: one per core), and of the wasm backend where Node gives it any. */
    threads: z.number().int().min(1).optional(),
    /** Data-parallel replicas on worker threads for the tfjs trainer on wasm (which is single-threaded in Node).
     * 1 keeps batch norm on the whole batch; more splits each batch into per-thread shards (see parallel.ts). */
    workers: z.number().int().min(1).max(64).default(1),
  })
  .strict();

export type TrainConfig = z.infer<typeof TrainConfigSchema>;

export function parseTrainConfig(input: unknown, where = 'config'): TrainConfig {
  const result = TrainConfigSchema.safeParse(input ?? {});
  if (!result.success) {
    const issues = result.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new Error(`${where}: ${issues}`);
  }
  return result.data;
}

export function readTrainConfig(file: string | undefined, overrides: Partial<TrainConfig> = {}): TrainConfig {
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
