import { test } from 'node:test';
import assert from 'node:assert/strict';
import { initEngine } from '../src/embed/engine/index.js';
import { createModel, disposeModel, loadModelArrays, modelArrays, type ModelShape } from '../src/embed/model.js';
import { fixedStatsEmbedder } from '../src/embed/infer.js';
import { OrtTrainer } from '../src/embed/ortTrainer.js';
import { Rng } from '../src/util/random.js';
import { SgdMomentum, trainStep, type Batch } from '../src/embed/step.js';
import { samePadding } from '../src/embed/trainGraph.js';

function randomBatch(shape: ModelShape, size: number, crop: number, seed: number): Batch {
  const rng = new Rng(seed);
  const x = Float32Array.from({ length: size * crop * crop * 6 }, () => rng.normal());
  const cellTypes = new Float32Array(size * shape.cellTypes.length);
  const labelsA = new Int32Array(size);
  const labelsB = new Int32Array(size);
  const lambda = new Float32Array(size);
  for (let i = 0; i < size; i++) {
    cellTypes[i * shape.cellTypes.length + rng.int(shape.cellTypes.length)] = 1;
    labelsA[i] = rng.int(shape.numClasses);
    labelsB[i] = rng.int(shape.numClasses);
    lambda[i] = i % 2 === 0 ? 1 : rng.next();
  }
  return { x, size, crop, cellTypes, labelsA, labelsB, lambda };
}

/** Largest |a - b| relative to the largest |a| of the tensor. */
function relativeError(a: Float32Array, b: Float32Array): number {
  let diff = 0;
  let scale = 1e-12;
  for (let i = 0; i < a.length; i++) {
    diff = Math.max(diff, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(a[i]));
  }
  return diff / scale;
}

test('samePadding is TensorFlow "same" padding (extra pad at the end)', () => {
  assert.deepEqual(samePadding(128, 3, 2), { out: 64, before: 0, after: 1 });
  assert.deepEqual(samePadding(32, 1, 2), { out: 16, before: 0, after: 0 });
  assert.deepEqual(samePadding(32, 3, 1), { out: 32, before: 1, after: 1 });
  assert.deepEqual(samePadding(64, 7, 2), { out: 32, before: 2, after: 3 });
});

// resnet18 at crop 24 also covers odd feature-map sizes (24, 12, 6, 3, 2, 1), its 7x7 stem and identity blocks.
const CASES = [
  { backbone: 'resnet-small', crop: 32, arcface: 0.2 },
  { backbone: 'resnet-small', crop: 32, arcface: 0 },
  { backbone: 'resnet18', crop: 24, arcface: 0.2 },
] as const;

for (const { backbone, crop, arcface } of CASES) {
  test(`onnxruntime training step equals tfjs autodiff (loss, every parameter, momentum, BN statistics; ${backbone}, crop ${crop}, arcface weight ${arcface})`, async () => {
    await initEngine({ backend: 'wasm' });
    const shape: ModelShape = { backbone, embeddingDim: 16, numClasses: 7, cellTypes: ['A', 'B', 'C'] };
    const arc = { scale: 16, margin: 0.1 };
    const weights = { softmax: 1, arcface };
    const reference = createModel(shape, 11);
    const candidate = createModel(shape, 11);
    const referenceOptimizer = new SgdMomentum(0.9, 5e-4, true);
    const candidateOptimizer = new SgdMomentum(0.9, 5e-4, true);
    const trainer = await OrtTrainer.create(candidate, {
      crop,
      arc,
      weights,
      momentum: 0.9,
      weightDecay: 5e-4,
      threads: 1,
    });
    try {
      // Two steps, so the second one also exercises the momentum buffers and the updated running statistics. The
      // second starts from the reference's state: float rounding differences of 1e-6 after one step grow to 1e-3
      // in the next step's gradients (tiny batches, large lr), which would hide what is compared.
      for (let step = 0; step < 2; step++) {
        if (step > 0) {
          loadModelArrays(candidate, modelArrays(reference));
          candidateOptimizer.load(referenceOptimizer.state());
        }
        const batch = randomBatch(shape, 6, crop, 100 + step);
        const expectedLoss = trainStep(reference, referenceOptimizer, batch, 0.05, arc, weights);
        const loss = await trainer.step(candidate, candidateOptimizer, batch, 0.05);
        assert.ok(
          Math.abs(loss - expectedLoss) < 1e-4 * Math.abs(expectedLoss),
          `step ${step}: loss ${loss} vs ${expectedLoss}`,
        );
      }
      const expected = modelArrays(reference);
      const actual = modelArrays(candidate);
      assert.equal(actual.size, expected.size);
      for (const [name, e] of expected) {
        const error = relativeError(e.data, actual.get(name)!.data);
        assert.ok(error < 2e-4, `${name}: relative error ${error}`);
      }
      const expectedVelocity = referenceOptimizer.state();
      const actualVelocity = candidateOptimizer.state();
      assert.deepEqual([...actualVelocity.keys()].sort(), [...expectedVelocity.keys()].sort());
      if (arcface === 0)
        assert.equal(actualVelocity.has('head.arcface.weight'), false, 'an unused head is not trained');
      for (const [name, e] of expectedVelocity) {
        const error = relativeError(e.data, actualVelocity.get(name)!.data);
        assert.ok(error < 1e-3, `velocity ${name}: relative error ${error}`);
      }
    } finally {
      await trainer.close();
      referenceOptimizer.dispose();
      candidateOptimizer.dispose();
      disposeModel(reference);
      disposeModel(candidate);
    }
  });
}

test('fixed-statistics embedding: onnxruntime (statistics folded, NHWC input) equals tfjs', async () => {
  await initEngine({ backend: 'wasm' });
  const shape: ModelShape = { backbone: 'resnet-small', embeddingDim: 8, numClasses: 3, cellTypes: ['A'] };
  const model = createModel(shape, 4);
  const rng = new Rng(9);
  // Statistics unlike the defaults (zero mean, unit variance), as AdaBN produces.
  const stats = new Map(
    [...model.bn].map(([layer, s]) => [
      layer,
      { mean: s.mean.map(() => rng.normal() * 0.3), variance: s.variance.map(() => 0.5 + rng.next()) },
    ]),
  );
  const size = 40;
  const x = Float32Array.from({ length: 3 * size * size * 6 }, () => rng.normal());
  const onnx = await fixedStatsEmbedder(model, stats, true, 1);
  const reference = await fixedStatsEmbedder(model, stats, false);
  try {
    const expected = await reference.embed(x, 3, size);
    const actual = await onnx.embed(x, 3, size);
    assert.equal(actual.length, 3 * 8);
    assert.ok(relativeError(expected, actual) < 1e-4, `relative error ${relativeError(expected, actual)}`);
  } finally {
    await onnx.close();
    await reference.close();
    disposeModel(model);
  }
});
