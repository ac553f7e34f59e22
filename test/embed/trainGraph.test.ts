import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { planConv } from '../../src/embed/convPlans.js';
import type { LossWeights } from '../../src/embed/heads.js';
import {
  createModel,
  layoutOf,
  loadModelArrays,
  modelArrays,
  outSize,
  type BackboneSpec,
  type ModelShape,
} from '../../src/embed/model.js';
import { nchwcBlockSize } from '../../src/embed/session.js';
import { decodeTensors, type TensorMap } from '../../src/embed/store.js';
import { Trainer, type Batch } from '../../src/embed/trainer.js';
import { FIXTURES, readFixture } from '../helpers.js';

interface GradientCase {
  name: string;
  file: string;
  spec: BackboneSpec;
  crop: number;
  batch: number;
  embeddingDim: number;
  numClasses: number;
  cellTypes: number;
  projectionDim: number | null;
  steps: number;
  weights: LossWeights;
  arc: { scale: number; margin: number };
  temperature: number;
  momentum: number;
  weightDecay: number;
  lr: number;
}

/** The fixture script's batch_pixels: sin(0.37 i + 0.1 step) * 2, computed in float64 and rounded to float32. */
function batchPixels(c: GradientCase, step: number): Float32Array {
  return Float32Array.from({ length: c.batch * 6 * c.crop * c.crop }, (_, i) => Math.sin(0.37 * i + 0.1 * step) * 2);
}

/** Tensors of the fixture under `prefix/`, without the prefix. */
function section(all: TensorMap, prefix: string): TensorMap {
  return new Map(
    [...all].filter(([name]) => name.startsWith(`${prefix}/`)).map(([n, t]) => [n.slice(prefix.length + 1), t]),
  );
}

/** Largest |a - b| relative to the largest |b| of the tensor. */
function relativeError(a: Float32Array, b: Float32Array): number {
  let diff = 0;
  let scale = 1e-12;
  for (let i = 0; i < a.length; i++) {
    diff = Math.max(diff, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return diff / scale;
}

const fixture = readFixture<{ producer: string; cases: GradientCase[] }>('embed-gradients.json');

for (const c of fixture.cases) {
  test(`training step equals PyTorch autograd (${c.name}: loss, every parameter, momentum buffer and BN statistic)`, async () => {
    const all = decodeTensors(fs.readFileSync(path.join(FIXTURES, c.file)), c.file);
    const shape: ModelShape = {
      backbone: c.name,
      spec: c.spec,
      embeddingDim: c.embeddingDim,
      numClasses: c.numClasses,
      cellTypes: Array.from({ length: c.cellTypes }, (_, i) => `cell${i}`),
      ...(c.projectionDim ? { projectionDim: c.projectionDim } : {}),
    };
    const model = createModel(shape, 0);
    loadModelArrays(model, section(all, 'init'));
    const trainer = await Trainer.create(model, {
      crop: c.crop,
      arc: c.arc,
      weights: c.weights,
      temperature: c.temperature,
      momentum: c.momentum,
      weightDecay: c.weightDecay,
      threads: 1,
    });
    try {
      let velocity: TensorMap = new Map();
      for (let step = 1; step <= c.steps; step++) {
        // Each step starts from PyTorch's state before it, so one step is compared at a time.
        if (step === 2) {
          const previous = section(all, 'step1');
          loadModelArrays(model, previous);
          velocity = section(previous, 'velocity');
        }
        const b = section(all, `batch${step}`);
        const batch: Batch = {
          x: batchPixels(c, step),
          size: c.batch,
          crop: c.crop,
          cellTypes: b.get('cell')!.data,
          labelsA: Int32Array.from(b.get('labelsA')!.data),
          labelsB: Int32Array.from(b.get('labelsB')!.data),
          lambda: b.get('lambda')!.data,
          weight: b.get('weight')!.data,
        };
        const loss = await trainer.step(model, velocity, batch, c.lr);
        const expected = section(all, `step${step}`);
        const expectedLoss = expected.get('loss')!.data[0];
        assert.ok(
          Math.abs(loss - expectedLoss) < 1e-5 * Math.abs(expectedLoss),
          `step ${step}: loss ${loss} vs ${expectedLoss}`,
        );
        const actual = modelArrays(model);
        for (const [name, t] of actual) {
          const error = relativeError(t.data, expected.get(name)!.data);
          assert.ok(error < 2e-4, `step ${step} ${name}: relative error ${error}`);
        }
        const expectedVelocity = section(expected, 'velocity');
        assert.deepEqual([...velocity.keys()].sort(), [...expectedVelocity.keys()].sort(), 'trained parameters');
        for (const [name, t] of expectedVelocity) {
          const error = relativeError(velocity.get(name)!.data, t.data);
          assert.ok(error < 1e-3, `step ${step} velocity ${name}: relative error ${error}`);
        }
      }
      if (c.weights.softmax === 0) assert.equal(trainer.trained.includes('head.softmax.weight'), false);
    } finally {
      await trainer.close();
    }
  });
}

test('the blocked fixture case runs every convolution formulation where NCHWc kernels exist', async () => {
  const blocked = fixture.cases.find((c) => c.name === 'blocked')!;
  const layout = layoutOf(blocked.spec);
  const plans = [layout.stem, ...layout.blocks.flatMap((b) => [...b.convs, ...(b.downsample ? [b.downsample] : [])])];
  let side = outSize(outSize(blocked.crop, 3, 2, 1), 3, 2, 1);
  const used = { forward: new Set<string>(), inputGradient: new Set<string>(), weightGradient: new Set<string>() };
  for (const conv of plans) {
    const out =
      conv === layout.stem ? outSize(blocked.crop, 3, 2, 1) : outSize(side, conv.kernel, conv.stride, conv.pad);
    const plan = planConv(conv, out, 16, blocked.batch);
    used.forward.add(plan.forward);
    used.inputGradient.add(plan.inputGradient);
    used.weightGradient.add(plan.weightGradient);
    if (conv !== layout.stem && !conv.name.endsWith('downsample.0')) side = out;
  }
  assert.deepEqual([...used.forward].sort(), ['nchwc', 'standard']);
  assert.deepEqual([...used.inputGradient].sort(), ['nchwc', 'transpose']);
  assert.deepEqual([...used.weightGradient].sort(), ['conv', 'nchwc', 'patches', 'slices']);
  // Where this machine has them (block 16 with AVX-512), the parity test above ran these plans.
  assert.ok([0, 8, 16].includes(await nchwcBlockSize()));
});
