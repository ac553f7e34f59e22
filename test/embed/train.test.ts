import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { simulate } from '../../src/data/simulate/index.js';
import {
  embedDataset,
  exportModelToOnnx,
  readManifest,
  trainModel,
  writeOnnxModel,
  type TrainConfigInput,
} from '../../src/embed/index.js';
import { createModel, loadModelArrays } from '../../src/embed/model.js';
import { readWeights } from '../../src/embed/store.js';
import { readProfiles, META } from '../../src/store/profiles.js';
import { tempDir } from '../helpers.js';

// A small simulated dataset (3 experiments, one plate each) shared by the tests of this file.
let data = '';
const EXPERIMENTS = ['HEPG2-01', 'U2OS-02', 'HUVEC-17'];
const CONFIG: TrainConfigInput = {
  backbone: 'resnet-tiny',
  imageScale: 0.125,
  crop: 32,
  batchSize: 16,
  embeddingDim: 16,
  epochs: 2,
  datasets: ['train', 'test'],
  validationExperiments: ['HUVEC-17'],
  lr: 0.05,
  mix: 'cutmix',
  mixProbability: 0.5,
  adabnSites: 16,
  holdoutSirnaFraction: 0,
};

before(async () => {
  data = path.join(tempDir('phenomap-embed-'), 'data');
  await simulate({
    out: data,
    preset: { experiments: EXPERIMENTS, groups: [0], sirnasPerGroup: 4, replicates: 1, positiveControls: 2 },
    seed: 3,
    threads: 2,
  });
});

test('train: 2 epochs straight equal 1 epoch + resume 1 epoch (weights, optimizer, history)', async () => {
  const root = tempDir('phenomap-train-');
  const straight = path.join(root, 'straight');
  const split = path.join(root, 'split');
  const events: string[] = [];
  const full = await trainModel({
    data,
    out: straight,
    config: CONFIG,
    threads: 2,
    onProgress: (e) => events.push(e.phase),
  });
  assert.equal(full.finished, true);
  assert.equal(full.epochsDone, 2);
  assert.equal(full.history.length, 2);
  assert.ok(full.history.every((h) => Number.isFinite(h.loss) && h.validationAccuracy !== null));
  assert.ok(events.includes('train') && events.includes('validate') && events.includes('checkpoint'));
  assert.equal(full.device, 'cpu');

  const first = await trainModel({ data, out: split, config: CONFIG, threads: 2, stopAfterEpochs: 1 });
  assert.equal(first.finished, false);
  assert.equal(fs.existsSync(path.join(split, 'weights.bin')), false, 'an unfinished run writes no final model');
  const resumed = await trainModel({ data, out: split, config: CONFIG, threads: 2, resume: true });
  assert.equal(resumed.resumedFrom, 1);
  assert.equal(resumed.finished, true);
  assert.ok(
    fs.readFileSync(path.join(straight, 'weights.bin')).equals(fs.readFileSync(path.join(split, 'weights.bin'))),
    'final weights differ',
  );
  const last = (dir: string) => path.join(dir, 'checkpoints', 'epoch-0002');
  assert.ok(
    fs
      .readFileSync(path.join(last(straight), 'optimizer.bin'))
      .equals(fs.readFileSync(path.join(last(split), 'optimizer.bin'))),
    'momentum buffers differ',
  );
  assert.deepEqual(
    resumed.history.map((h) => h.loss),
    full.history.map((h) => h.loss),
  );

  await assert.rejects(
    trainModel({ data, out: split, config: { ...CONFIG, lr: 0.01 }, threads: 2, resume: true }),
    /different configuration/,
  );

  // Streaming the images from disk per batch trains exactly as holding them in memory.
  const streamed = path.join(root, 'streamed');
  await trainModel({ data, out: streamed, config: { ...CONFIG, cache: 'stream' }, threads: 2, stopAfterEpochs: 1 });
  const epochOne = (dir: string) => path.join(dir, 'checkpoints', 'epoch-0001', 'weights.bin');
  assert.ok(
    fs.readFileSync(epochOne(streamed)).equals(fs.readFileSync(epochOne(straight))),
    'streamed training differs from in-memory training',
  );

  const manifest = readManifest(straight);
  assert.deepEqual(manifest.trainExperiments, ['HEPG2-01', 'U2OS-02']);
  assert.deepEqual(manifest.validationExperiments, ['HUVEC-17']);
  assert.deepEqual(manifest.shape.cellTypes, ['HEPG2', 'HUVEC', 'U2OS']);
  assert.deepEqual(manifest.channels, [1, 2, 3, 4, 5, 6]);

  // embed with the trained model: site and well tables, streamed by plate, a bad site skipped
  const out = path.join(root, 'embeddings');
  const broken = path.join(data, 'images', 'train', 'HEPG2-01', 'Plate4');
  const victim = fs
    .readdirSync(broken)
    .filter((n) => n.endsWith('_w3.png'))
    .sort()[1];
  const saved = fs.readFileSync(path.join(broken, victim));
  fs.writeFileSync(path.join(broken, victim), saved.subarray(0, 100));
  const skipped: string[] = [];
  let result: Awaited<ReturnType<typeof embedDataset>>;
  try {
    result = await embedDataset({
      data,
      model: straight,
      out,
      threads: 2,
      onSiteError: (site) => skipped.push(site.siteId),
    });
  } finally {
    fs.writeFileSync(path.join(broken, victim), saved);
  }
  assert.equal(skipped.length, 1);
  assert.equal(result.failedSites.length, 1);
  assert.equal(result.dimension, 16);
  assert.equal(result.plates, 3);
  const sites = readProfiles(path.join(out, 'sites'));
  const metadataCsv = fs.readFileSync(path.join(data, 'metadata.csv'), 'utf8').trim().split('\n').length - 1;
  assert.equal(sites.rows, metadataCsv - 1);
  assert.deepEqual(
    sites.features,
    Array.from({ length: 16 }, (_, j) => `Embedding_${j}`),
  );
  for (const name of Object.values(META)) assert.ok(name in sites.metadata, `missing ${name}`);
  assert.ok(!sites.metadata[META.siteId].includes(skipped[0]));
  assert.ok(sites.columns.every((c) => c.every(Number.isFinite)));
  const wells = readProfiles(path.join(out, 'wells'));
  assert.equal(wells.rows, new Set(sites.metadata[META.wellId]).size);
  assert.ok(!(META.siteId in wells.metadata));
  // the well row is the mean of its sites
  const w0 = wells.metadata[META.wellId][0];
  const members = sites.metadata[META.wellId].flatMap((id, i) => (id === w0 ? [i] : []));
  const mean = members.reduce((s, i) => s + sites.columns[0][i], 0) / members.length;
  assert.ok(Math.abs(wells.columns[0][0] - mean) < 1e-5);
  // a rerun skips finished plates
  const again = await embedDataset({ data, model: straight, out, threads: 2 });
  assert.equal(again.platesSkipped, 3);

  // The same model exported to ONNX and embedded as an imported model gives the same embeddings (no AdaBN on either
  // side): the export is a standalone ONNX model.
  const plain = path.join(root, 'plain');
  await embedDataset({ data, model: straight, out: plain, threads: 2, adabn: false, experiments: ['U2OS-02'] });
  const model = createModel(manifest.shape, 0);
  loadModelArrays(model, readWeights(straight));
  const onnxDir = path.join(root, 'onnx');
  fs.mkdirSync(onnxDir);
  writeOnnxModel(path.join(onnxDir, 'model.onnx'), exportModelToOnnx(model));
  fs.writeFileSync(
    path.join(onnxDir, 'model.onnx.json'),
    JSON.stringify({
      channels: [1, 2, 3, 4, 5, 6],
      layout: 'NCHW',
      imageScale: 0.125,
      tiling: 'whole',
      normalization: { kind: 'controls', scope: 'experiment' },
    }),
  );
  const viaOnnx = path.join(root, 'via-onnx');
  const onnxResult = await embedDataset({
    data,
    model: path.join(onnxDir, 'model.onnx'),
    out: viaOnnx,
    threads: 2,
    experiments: ['U2OS-02'],
  });
  assert.equal(onnxResult.modelKind, 'onnx');
  const a = readProfiles(path.join(plain, 'sites'));
  const b = readProfiles(path.join(viaOnnx, 'sites'));
  assert.deepEqual(b.metadata[META.siteId], a.metadata[META.siteId]);
  let worst = 0;
  let scale = 0;
  a.columns.forEach((column, j) => {
    for (let i = 0; i < column.length; i++) {
      worst = Math.max(worst, Math.abs(column[i] - b.columns[j][i]));
      scale = Math.max(scale, Math.abs(column[i]));
    }
  });
  assert.ok(worst <= 1e-4 * Math.max(scale, 1), `trained vs imported: max difference ${worst} (scale ${scale})`);
});

test('cli: phenomap train and embed through registerEmbedCommands', async () => {
  const { Command } = await import('commander');
  const { registerEmbedCommands } = await import('../../src/cli/embed.js');
  const root = tempDir('phenomap-embed-cli-');
  const configFile = path.join(root, 'config.json');
  fs.writeFileSync(configFile, JSON.stringify({ ...CONFIG, epochs: 1, holdoutSirnaFraction: 0.5 }));
  const program = new Command().exitOverride();
  registerEmbedCommands(program);
  const write = process.stdout.write.bind(process.stdout);
  const printed: string[] = [];
  process.stdout.write = ((chunk: string) => {
    printed.push(String(chunk));
    return true;
  }) as typeof process.stdout.write;
  try {
    await program.parseAsync([
      'node',
      'phenomap',
      'train',
      data,
      '--out',
      path.join(root, 'model'),
      '--config',
      configFile,
      '--threads',
      '2',
      '--json',
    ]);
    await program.parseAsync([
      'node',
      'phenomap',
      'embed',
      data,
      '--model',
      path.join(root, 'model'),
      '--out',
      path.join(root, 'emb'),
      '--experiments',
      'HEPG2-01',
      '--threads',
      '2',
    ]);
  } finally {
    process.stdout.write = write;
  }
  const trained = JSON.parse(printed[0]);
  assert.equal(trained.epochsDone, 1);
  // Half the 4 treatment siRNAs are kept out of training: their sites are neither trained nor validated on.
  assert.equal(trained.heldOutSirnas.length, 2);
  assert.deepEqual(readManifest(path.join(root, 'model')).heldOutSirnas, trained.heldOutSirnas);
  const rows = fs
    .readFileSync(path.join(data, 'metadata.csv'), 'utf8')
    .trim()
    .split('\n')
    .slice(1)
    .map((line) => line.split(','));
  const header = fs.readFileSync(path.join(data, 'metadata.csv'), 'utf8').split('\n')[0].split(',');
  const sirnaColumn = header.indexOf('sirna_id');
  const kept = rows.filter(
    (r) => r[sirnaColumn] !== '' && !trained.heldOutSirnas.includes(Number(r[sirnaColumn])),
  ).length;
  assert.equal(trained.trainSites + trained.validationSites, kept);
  assert.match(printed.join(''), /embedded \d+ sites \/ \d+ wells \(16 dimensions, cnn model\)/);
  assert.deepEqual(fs.readdirSync(path.join(root, 'emb', 'sites')), ['HEPG2-01_4.parquet']);
  const program2 = new Command().exitOverride().configureOutput({ writeErr: () => {} });
  registerEmbedCommands(program2);
  await assert.rejects(
    program2.parseAsync(['node', 'phenomap', 'train', data, '--out', path.join(root, 'm2'), '--epochs', '0']),
    /--epochs/,
  );

  // evaluate --novel-sirnas reads the held-out siRNAs from the model folder (the profiles path is then read and is
  // missing here).
  const { registerEvaluateCommands } = await import('../../src/cli/evaluate.js');
  const evaluate = new Command().exitOverride().configureOutput({ writeErr: () => {} });
  registerEvaluateCommands(evaluate);
  const missing = path.join(root, 'no-such-profiles');
  await assert.rejects(
    evaluate.parseAsync([
      'node',
      'phenomap',
      'evaluate',
      missing,
      '--out',
      path.join(root, 'r'),
      '--novel-sirnas',
      path.join(root, 'model'),
    ]),
    /no-such-profiles/,
  );
  await assert.rejects(
    evaluate.parseAsync([
      'node',
      'phenomap',
      'evaluate',
      missing,
      '--out',
      path.join(root, 'r'),
      '--novel-sirnas',
      '3,x',
    ]),
    /expected siRNA ids/,
  );
});
