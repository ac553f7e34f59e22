/**
 * What makes CNN embeddings generalise, measured on the simulator's small preset: each row of the ablation trains
 * a model with one configuration (or reuses the model of an earlier row, or of an earlier run of the bench with the
 * same configuration), embeds the dataset with one readout, and evaluates it as the classical profiles are
 * evaluated (same held-out experiments, correction methods fitted on all rows), adding k-shot accuracy among the
 * treatment siRNAs the model never saw. The reference is the classical pipeline on the same dataset, in the same
 * run. Writes bench/results/cnn-ablation.json: per row the training configuration and embedding options, held-out
 * accuracy per correction method, novel-siRNA 10-shot accuracy per method and its chance level, training seconds.
 *
 * Seeds: PHENOMAP_ABLATION_SEEDS (comma-separated; default 1). Rows: PHENOMAP_ABLATION_ROWS (names; default all).
 * Data and models live under data/ablation/ and are reused by later runs.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { simulate } from '../src/data/simulate/index.js';
import { embedDataset, readManifest, trainModel, type TrainConfigInput } from '../src/embed/index.js';
import type { Readout } from '../src/embed/export.js';
import { evaluateProfiles } from '../src/evaluate/index.js';
import { runPipeline } from '../src/jobs/pipeline.js';
import { readProfiles } from '../src/store/profiles.js';
import { hashKey } from '../src/util/random.js';
import { writeFileAtomic } from '../src/util/files.js';
import { REPO_ROOT } from './common.js';

const METHODS = ['none', 'center_scale', 'robust', 'tvn', 'coral', 'combat'] as const;

interface Row {
  name: string;
  /** What the row changes, in words. */
  change: string;
  train: TrainConfigInput;
  embed?: { readout?: Readout; adabn?: boolean };
  /** Train on another preset's dataset (same seed) and embed the small one. */
  trainPreset?: 'medium';
}

const SUPERVISED: TrainConfigInput = { imageScale: 0.25 };
const HALF: TrainConfigInput = { imageScale: 0.5 };
const CONTRASTIVE: TrainConfigInput = { contrastiveWeight: 0.5, batchSize: 16 };

export const ROWS: Row[] = [
  { name: 'supervised', change: 'softmax + ArcFace on the labelled sites, quarter-scale sites', train: SUPERVISED },
  { name: 'pooled', change: 'readout: last-stage pooled features', train: SUPERVISED, embed: { readout: 'pooled' } },
  { name: 'multiscale', change: 'readout: every stage pooled', train: SUPERVISED, embed: { readout: 'multiscale' } },
  { name: 'no-adabn', change: 'no AdaBN at embedding', train: SUPERVISED, embed: { adabn: false } },
  { name: 'plate-norm', change: 'per-plate control normalisation', train: { ...SUPERVISED, normalization: 'plate' } },
  { name: 'contrastive', change: '+ contrastive loss, unlabelled sites too', train: { ...SUPERVISED, ...CONTRASTIVE } },
  { name: 'half-scale', change: 'half-scale sites (finer texture)', train: HALF },
  { name: 'half-contrastive', change: 'half-scale + contrastive', train: { ...HALF, ...CONTRASTIVE } },
  {
    name: 'half-contrastive-multiscale',
    change: 'half-scale + contrastive, every stage pooled',
    train: { ...HALF, ...CONTRASTIVE },
    embed: { readout: 'multiscale' },
  },
  {
    name: 'nuclei-crops',
    change: 'half-scale + contrastive, half the crops centred on nuclei',
    train: { ...HALF, ...CONTRASTIVE, crops: 'mixed' },
  },
  {
    name: 'intensity-jitter',
    change: 'half-scale + contrastive, per-channel gain/offset jitter 0.1',
    train: { ...HALF, ...CONTRASTIVE, intensityJitter: 0.1 },
  },
  {
    name: 'many-classes',
    change: 'half-scale + contrastive, trained on the medium preset (120 siRNAs)',
    train: { ...HALF, ...CONTRASTIVE },
    trainPreset: 'medium',
  },
];

function round(v: number | null | undefined): number | null {
  return v === null || v === undefined || !Number.isFinite(v) ? null : Math.round(v * 1000) / 1000;
}

async function dataset(root: string, preset: 'small' | 'medium', seed: number): Promise<string> {
  const dir = path.join(root, `${preset}-s${seed}`);
  if (!fs.existsSync(path.join(dir, 'metadata.csv'))) await simulate({ out: dir, preset, seed });
  return dir;
}

/** A finished model of this configuration, trained if there is none yet. */
async function modelFor(root: string, data: string, config: TrainConfigInput, heldOut?: number[]) {
  const full = heldOut ? { ...config, holdoutSirnas: heldOut } : config;
  const key = hashKey(0, path.basename(data), JSON.stringify(full)).toString(16);
  const dir = path.join(root, 'models', `${path.basename(data)}-${key}`);
  if (!fs.existsSync(path.join(dir, 'model.json')))
    await trainModel({
      data,
      out: dir,
      config: full,
      resume: true,
      onProgress: (e) =>
        e.phase === 'checkpoint' && console.error(`${path.basename(dir)} epoch ${e.epoch}/${e.epochs}`),
    });
  const record = JSON.parse(fs.readFileSync(path.join(dir, 'train.json'), 'utf8'));
  return { dir, manifest: readManifest(dir), trainSeconds: record.seconds as number };
}

async function evaluateRow(root: string, seed: number, row: Row, small: string, novel: number[] | null) {
  const trainData = row.trainPreset ? await dataset(root, row.trainPreset, seed) : small;
  const model = await modelFor(root, trainData, row.train, row.trainPreset ? (novel ?? undefined) : undefined);
  const heldOut = model.manifest.heldOutSirnas;
  const out = path.join(root, 'embeddings', `${row.name}-s${seed}`);
  await embedDataset({ data: small, model: model.dir, out, overwrite: true, ...row.embed });
  const evaluated = await evaluateProfiles(readProfiles(path.join(out, 'wells')), {
    methods: [...METHODS],
    controls: 'all',
    novelSirnas: heldOut,
    umap: false,
  });
  const m = evaluated.metrics;
  return {
    heldOut,
    result: {
      row: row.name,
      seed,
      change: row.change,
      trainConfig: model.manifest.config,
      embed: row.embed ?? {},
      trainedOn: path.basename(trainData),
      heldoutAccuracy: Object.fromEntries(METHODS.map((k) => [k, round(m.heldout_accuracy[k])])),
      novel10ShotAccuracy: Object.fromEntries(METHODS.map((k) => [k, round(m.kshot_novel_accuracy?.[k]?.['10'])])),
      novelChance: round(m.kshot_novel_chance),
      trainSeconds: Math.round(model.trainSeconds),
    },
  };
}

export async function benchCnnAblation(): Promise<Record<string, unknown>> {
  const root = path.join(REPO_ROOT, 'data', 'ablation');
  const seeds = (process.env.PHENOMAP_ABLATION_SEEDS ?? '1').split(',').map(Number);
  const wanted = process.env.PHENOMAP_ABLATION_ROWS?.split(',');
  const rows = ROWS.filter((r) => !wanted || wanted.includes(r.name));
  const results: Record<string, unknown>[] = [];
  const classical: Record<string, unknown>[] = [];
  for (const seed of seeds) {
    const small = await dataset(root, 'small', seed);
    const pipeline = path.join(root, `classical-s${seed}`);
    await runPipeline(small, { out: pipeline });
    // The small preset's novel siRNAs (the supervised row's draw) are held out of the medium-preset model too.
    let novel: number[] | null = null;
    for (const row of rows) {
      const { heldOut, result } = await evaluateRow(root, seed, row, small, novel);
      novel ??= heldOut;
      results.push(result);
      console.error(JSON.stringify(result));
    }
    const reference = await evaluateProfiles(readProfiles(path.join(pipeline, 'site_profiles.parquet')), {
      methods: [...METHODS],
      controls: 'all',
      novelSirnas: novel ?? undefined,
      umap: false,
    });
    const m = reference.metrics;
    classical.push({
      seed,
      heldoutAccuracy: Object.fromEntries(METHODS.map((k) => [k, round(m.heldout_accuracy[k])])),
      novel10ShotAccuracy: Object.fromEntries(METHODS.map((k) => [k, round(m.kshot_novel_accuracy?.[k]?.['10'])])),
    });
  }
  const result = {
    benchmark: 'cnn-ablation',
    date: new Date().toISOString(),
    machine: { cpu: os.cpus()[0]?.model, cores: os.availableParallelism(), node: process.version },
    dataset: { preset: 'small', seeds },
    reference: 'classical profiles (phenomap pipeline on the same dataset), evaluated with the same options',
    classical,
    rows: results,
  };
  const file = path.join(REPO_ROOT, 'bench', 'results', 'cnn-ablation.json');
  fs.mkdirSync(path.dirname(file), { recursive: true });
  writeFileAtomic(file, `${JSON.stringify(result, null, 2)}\n`);
  return result;
}
