import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { embedDataset } from '../../src/embed/index.js';
import { locateOnnx, OnnxModel, OnnxSidecarSchema, onnxInputs } from '../../src/embed/onnx.js';
import { encodeOnnx, type OnnxGraph } from '../../src/codec/onnx.js';
import { readProfiles, META } from '../../src/store/profiles.js';
import { officialRow, realOfficialDataset } from '../datasetFixtures.js';
import { FIXTURES, readFixture, tempDir, needsSample } from '../helpers.js';

interface TinyFixture {
  input: string;
  output: string;
  shape: [number, number, number, number];
  expected: number[][];
}

test('an ONNX model exported by torch runs in onnxruntime-node with the outputs torch computed', async () => {
  const fixture = readFixture<TinyFixture>('embed-tiny.json');
  const [n, c, h, w] = fixture.shape;
  const x = new Float32Array(n * c * h * w);
  for (let b = 0; b < n; b++)
    for (let ch = 0; ch < c; ch++)
      for (let yy = 0; yy < h; yy++)
        for (let xx = 0; xx < w; xx++)
          x[((b * c + ch) * h + yy) * w + xx] = Math.sin(0.1 * (1 + b) * (ch + 1) * (8 * yy + xx));
  const model = await OnnxModel.open(path.join(FIXTURES, 'embed-tiny.onnx'), OnnxSidecarSchema.parse({}));
  assert.equal(model.inputName, fixture.input);
  assert.equal(model.outputName, fixture.output);
  const { values, width } = await model.run(x, fixture.shape);
  assert.equal(width, 8);
  fixture.expected.flat().forEach((v, i) => {
    assert.ok(Math.abs(values[i] - v) < 1e-5, `output ${i}: ${values[i]} vs torch ${v}`);
  });
  await model.close();
});

test('onnxInputs: declared channel order, normalisation, tiles and layout', () => {
  // Two 4x4 images; channel k (1-based) of image i holds 10*k + i + pixel index.
  const size = 4;
  const images = [0, 1].map((i) =>
    Uint8Array.from({ length: 6 * 16 }, (_, j) => 10 * (Math.floor(j / 16) + 1) + i + (j % 16)),
  );
  const sidecar = OnnxSidecarSchema.parse({
    channels: [3, 1],
    layout: 'NHWC',
    size: 2,
    tiling: 'tiles',
    normalization: { kind: 'fixed', mean: [30, 10], std: [2, 4] },
  });
  const norms = images.map(() => ({ mean: [30, 10], std: [2, 4] }));
  const { data, dims, tilesPerSite } = onnxInputs(images, size, sidecar, norms);
  assert.equal(tilesPerSite, 4);
  assert.deepEqual(dims, [8, 2, 2, 2]);
  // image 1, tile 3 (bottom-right: rows 2..3, cols 2..3), pixel (1, 0) -> source pixel (3, 2) = index 14; input channel
  // 0 is w3.
  const base = (1 * 4 + 3) * 8 + (1 * 2 + 0) * 2;
  assert.equal(data[base], (30 + 1 + 14 - 30) / 2);
  assert.equal(data[base + 1], (10 + 1 + 14 - 10) / 4);
  const nchw = onnxInputs(
    images,
    size,
    OnnxSidecarSchema.parse({
      channels: [2],
      size: 2,
      tiling: 'center',
      normalization: { kind: 'fixed', mean: [0], std: [1] },
    }),
    images.map(() => ({ mean: [0], std: [1] })),
  );
  assert.deepEqual(nchw.dims, [2, 1, 2, 2]);
  assert.deepEqual(Array.from(nchw.data.subarray(0, 4)), [20 + 5, 20 + 6, 20 + 9, 20 + 10]);
});

test('embed with an imported ONNX model: sidecar required, tables written, channels as declared', {
  skip: needsSample(),
}, async () => {
  const rows = ['B02', 'B03'].flatMap((well, i) =>
    [1, 2].map((site) =>
      officialRow({
        dataset: 'train',
        experiment: 'HEPG2-01',
        plate: 1,
        well,
        site,
        wellType: i === 0 ? 'negative_control' : 'treatment',
        sirnaId: i === 0 ? 1138 : 5,
      }),
    ),
  );
  const data = realOfficialDataset(rows);
  const root = tempDir('phenomap-onnx-');
  const modelDir = path.join(root, 'model');
  fs.mkdirSync(modelDir);
  fs.copyFileSync(path.join(FIXTURES, 'embed-tiny.onnx'), path.join(modelDir, 'tiny.onnx'));
  assert.throws(() => locateOnnx(modelDir), /no sidecar JSON/);
  fs.writeFileSync(
    path.join(modelDir, 'embed.json'),
    JSON.stringify({
      layout: 'NCHW',
      imageScale: 0.25,
      size: 64,
      tiling: 'tiles',
      normalization: { kind: 'controls', scope: 'plate' },
    }),
  );
  const result = await embedDataset({ data, model: modelDir, out: path.join(root, 'out'), threads: 1, batchSize: 3 });
  assert.equal(result.modelKind, 'onnx');
  assert.equal(result.dimension, 8);
  assert.equal(result.sites, 4);
  assert.equal(result.wells, 2);
  const sites = readProfiles(path.join(root, 'out', 'sites'));
  assert.equal(sites.rows, 4);
  assert.deepEqual(sites.metadata[META.siteId], [
    'HEPG2-01_1_B02_1',
    'HEPG2-01_1_B02_2',
    'HEPG2-01_1_B03_1',
    'HEPG2-01_1_B03_2',
  ]);
  // every site is a copy of the same real site and all four share the plate's statistics: identical rows
  for (const column of sites.columns) assert.ok(column.every((v) => Math.abs(v - column[0]) < 1e-5));
  const record = JSON.parse(fs.readFileSync(path.join(root, 'out', 'embed.json'), 'utf8'));
  assert.equal(record.embedder.kind, 'onnx');
  assert.equal(record.embedder.executionProvider, 'cpu');
  fs.writeFileSync(path.join(modelDir, 'embed.json'), JSON.stringify({ channels: [1, 9] }));
  assert.throws(() => locateOnnx(modelDir), /channels/);
});

test('the ONNX writer produces a model onnxruntime accepts (Conv with SAME_UPPER, Gemm)', async () => {
  const graph: OnnxGraph = {
    name: 'probe',
    nodes: [
      {
        op: 'Conv',
        inputs: ['input', 'w', 'b'],
        outputs: ['y'],
        attributes: { kernel_shape: [3, 3], strides: [2, 2], auto_pad: 'SAME_UPPER' },
      },
      { op: 'GlobalAveragePool', inputs: ['y'], outputs: ['g'] },
      { op: 'Flatten', inputs: ['g'], outputs: ['output'], attributes: { axis: 1 } },
    ],
    initializers: [
      { name: 'w', dims: [1, 1, 3, 3], data: new Float32Array(9).fill(1) },
      { name: 'b', dims: [1], data: new Float32Array([0.5]) },
    ],
    inputs: [{ name: 'input', dims: ['N', 1, 'H', 'W'] }],
    outputs: [{ name: 'output', dims: ['N', 1] }],
  };
  const file = path.join(tempDir('phenomap-onnxw-'), 'probe.onnx');
  fs.writeFileSync(file, encodeOnnx(graph));
  const model = await OnnxModel.open(file, OnnxSidecarSchema.parse({}));
  // 4x4 of ones, stride 2 SAME_UPPER: pads 0 before, 1 after -> outputs 9, 6, 6, 4 (+0.5 bias) -> mean 6.75
  const { values } = await model.run(new Float32Array(16).fill(1), [1, 1, 4, 4]);
  assert.ok(Math.abs(values[0] - 6.75) < 1e-6, String(values[0]));
  await model.close();
});
