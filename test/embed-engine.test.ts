import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { initEngine } from '../src/embed/engine/index.js';
import { Rng } from '../src/util/random.js';

/** Gradients of a conv2d on the wasm backend (with the supplied kernels) against tfjs's pure-JS cpu backend. */
async function convGrads(
  backend: string,
  x: tf.Tensor4D,
  w: tf.Tensor4D,
  stride: number,
  pad: 'same' | 'valid',
): Promise<{ dx: Float32Array; dw: Float32Array }> {
  await tf.setBackend(backend);
  const xb = tf.tensor4d(x.dataSync(), x.shape);
  const wb = tf.tensor4d(w.dataSync(), w.shape);
  const g = tf.grads((a: tf.Tensor, b: tf.Tensor) => {
    const y = tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, stride, pad);
    return tf.sum(tf.mul(tf.square(y), tf.cos(y)));
  });
  const [dx, dw] = g([xb, wb]);
  const out = { dx: dx.dataSync() as Float32Array, dw: dw.dataSync() as Float32Array };
  tf.dispose([xb, wb, dx, dw]);
  return out;
}

function maxRelError(a: Float32Array, b: Float32Array): number {
  let scale = 0;
  for (const v of b) scale = Math.max(scale, Math.abs(v));
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  return worst / Math.max(scale, 1e-12);
}

test('wasm conv gradients (supplied kernels) match the cpu backend', async () => {
  await initEngine({ backend: 'wasm' });
  type Shape = [number, number, number, number];
  const cases: [Shape, Shape, number, 'same' | 'valid'][] = [
    [[2, 9, 9, 3], [3, 3, 3, 4], 1, 'same'],
    [[2, 9, 8, 3], [3, 3, 3, 5], 2, 'same'],
    [[1, 10, 10, 4], [1, 1, 4, 6], 2, 'valid'],
    [[2, 7, 7, 2], [5, 5, 2, 3], 1, 'valid'],
    [[1, 11, 11, 6], [7, 7, 6, 4], 2, 'same'],
  ];
  for (const [xs, ws, stride, pad] of cases) {
    await tf.setBackend('cpu');
    const x = tf.randomNormal(xs, 0, 1, 'float32', 1) as tf.Tensor4D;
    const w = tf.randomNormal(ws, 0, 1, 'float32', 2) as tf.Tensor4D;
    const ref = await convGrads('cpu', x, w, stride, pad);
    const got = await convGrads('wasm', x, w, stride, pad);
    assert.equal(got.dw.length, ref.dw.length);
    assert.ok(maxRelError(got.dx, ref.dx) < 1e-4, `dx ${xs} ${ws} s${stride} ${pad}: ${maxRelError(got.dx, ref.dx)}`);
    assert.ok(maxRelError(got.dw, ref.dw) < 1e-4, `dw ${xs} ${ws} s${stride} ${pad}: ${maxRelError(got.dw, ref.dw)}`);
    await tf.setBackend('cpu');
    tf.dispose([x, w]);
  }
  await tf.setBackend('wasm');
});

test('wasm MaxPoolGrad (supplied kernel) matches the cpu backend', async () => {
  await initEngine({ backend: 'wasm' });
  for (const [shape, size, stride, pad] of [
    [[2, 9, 9, 5], 3, 2, 'same'],
    [[1, 8, 8, 3], 2, 2, 'valid'],
    [[2, 7, 6, 4], 3, 1, 'same'],
  ] as const) {
    const values = Float32Array.from(
      { length: (shape as readonly number[]).reduce((a, b) => a * b, 1) },
      (_, i) => Math.round(Math.sin(i * 12.9898) * 20) / 4,
    );
    const results: Float32Array[] = [];
    for (const backend of ['cpu', 'wasm']) {
      await tf.setBackend(backend);
      const x = tf.tensor4d(values, [...shape] as [number, number, number, number]);
      const dx = tf.grad((a: tf.Tensor) =>
        tf.sum(tf.mul(tf.maxPool(a as tf.Tensor4D, size, stride, pad), tf.range(1, 1 + shape[3]))),
      )(x);
      results.push(dx.dataSync() as Float32Array);
      tf.dispose([x, dx]);
    }
    assert.deepEqual(Array.from(results[1]), Array.from(results[0]), `${shape} ${size} ${stride} ${pad}`);
  }
  await tf.setBackend('wasm');
});

test('fused batch norm + ReLU (wasm) matches the composed ops in value and gradient', async () => {
  const { batchNormTrain } = await import('../src/embed/engine/batchNorm.js');
  await initEngine({ backend: 'wasm' });
  const shape: [number, number, number, number] = [3, 5, 4, 6];
  const xv = Float32Array.from({ length: 360 }, (_, i) => Math.sin(i * 1.7) * 3 + (i % 6));
  const gv = Float32Array.from({ length: 6 }, (_, i) => 0.5 + i * 0.3);
  const bv = Float32Array.from({ length: 6 }, (_, i) => i * 0.2 - 0.5);
  const wv = Float32Array.from({ length: 360 }, (_, i) => Math.cos(i));
  const results: Float32Array[][] = [];
  for (const backend of ['cpu', 'wasm']) {
    await tf.setBackend(backend);
    const [x, g, b, w] = [tf.tensor4d(xv, shape), tf.tensor1d(gv), tf.tensor1d(bv), tf.tensor4d(wv, shape)];
    const f = (xi: tf.Tensor, gi: tf.Tensor, bi: tf.Tensor) =>
      tf.sum(tf.mul(batchNormTrain(xi as tf.Tensor4D, gi as tf.Tensor1D, bi as tf.Tensor1D, 1e-5, true), w));
    const y = batchNormTrain(x, g, b, 1e-5, true);
    const grads = tf.grads(f)([x, g, b]);
    results.push([y.dataSync() as Float32Array, ...grads.map((t) => t.dataSync() as Float32Array)]);
    tf.dispose([x, g, b, w, y, ...grads]);
  }
  results[0].forEach((ref, k) => {
    assert.ok(maxRelError(results[1][k], ref) < 1e-4, `output ${k}: ${maxRelError(results[1][k], ref)}`);
  });
});

test('backbones: resnet18 has torchvision resnet-18 parameter count (6 inputs); any input size embeds', async () => {
  const { createModel, disposeModel, embed, embedFolded } = await import('../src/embed/model.js');
  await initEngine({ backend: 'wasm' });
  const model = createModel({ backbone: 'resnet18', embeddingDim: 8, numClasses: 5, cellTypes: ['A', 'B'] }, 1);
  let backbone = 0;
  for (const [name, v] of model.params)
    if (!name.startsWith('embedding') && !name.startsWith('head')) backbone += v.size;
  // torchvision resnet18 without fc is 11,176,512 parameters with 3 input channels; 6 channels add 3 * 64 * 7 * 7.
  assert.equal(backbone, 11_176_512 + 3 * 64 * 49);
  for (const size of [32, 45]) {
    const x = tf.randomNormal([2, size, size, 6], 0, 1, 'float32', 3) as tf.Tensor4D;
    const a = tf.tidy(() => embed(model, x, { kind: 'fixed', stats: model.bn }));
    const b = tf.tidy(() => embedFolded(model, x, model.bn));
    assert.deepEqual(a.shape, [2, 8]);
    assert.ok(
      maxRelError(b.dataSync() as Float32Array, a.dataSync() as Float32Array) < 1e-4,
      'folded batch norm computes the same function',
    );
    tf.dispose([x, a, b]);
  }
  disposeModel(model);
});

test('data-parallel training: pooled batch-norm statistics, deterministic steps, close to one thread', async () => {
  const { poolRecords, DataParallel } = await import('../src/embed/parallel.js');
  const { createModel, disposeModel, modelArrays } = await import('../src/embed/model.js');
  const { SgdMomentum, trainStep } = await import('../src/embed/step.js');
  // two shards: {1, 3} and {5}: pooled mean 3, pooled variance (1 + 4 + 0 + 4 + 0... ) = mean of squares - 9
  const pooled = poolRecords([
    { records: [{ layer: 'l', stats: { mean: Float32Array.of(2), variance: Float32Array.of(1), count: 2 } }] },
    { records: [{ layer: 'l', stats: { mean: Float32Array.of(5), variance: Float32Array.of(0), count: 1 } }] },
  ]);
  assert.equal(pooled[0].stats.count, 3);
  assert.ok(Math.abs(pooled[0].stats.mean[0] - 3) < 1e-6);
  assert.ok(Math.abs(pooled[0].stats.variance[0] - (1 + 9 + 25) / 3 + 9) < 1e-5);

  await initEngine({ backend: 'wasm' });
  const shape = { backbone: 'resnet-small' as const, embeddingDim: 8, numClasses: 6, cellTypes: ['A', 'B'] };
  const B = 8;
  const S = 32;
  // The second half of the batch repeats the first: each thread's shard then has the whole batch's
  // batch-norm statistics, so two threads must compute what one does (up to float rounding).
  const half = B / 2;
  const sample = S * S * 6;
  const x = new Float32Array(B * sample);
  // Random pixels: a periodic pattern makes near-ties in max pooling, where rounding decides which input gets the
  // gradient.
  const rng = new Rng(17);
  for (let i = 0; i < half * sample; i++) x[i] = x[i + half * sample] = rng.normal();
  const batch = {
    x,
    size: B,
    crop: S,
    cellTypes: Float32Array.from({ length: B * 2 }, (_, i) => (i % 2 === (Math.floor(i / 2) % half) % 2 ? 1 : 0)),
    labelsA: Int32Array.from({ length: B }, (_, i) => (i % half) % 6),
    labelsB: Int32Array.from({ length: B }, (_, i) => ((i % half) + 1) % 6),
    lambda: new Float32Array(B).fill(0.8),
  };
  const run = async (threads: number): Promise<{ losses: number[]; weights: Float32Array }> => {
    const model = createModel(shape, 5);
    const optimizer = new SgdMomentum();
    const parallel = threads > 1 ? await DataParallel.start(model, threads) : null;
    const losses: number[] = [];
    for (let i = 0; i < 3; i++)
      losses.push(
        parallel
          ? await parallel.step(model, optimizer, batch, 0.05, { scale: 16, margin: 0.1 }, { softmax: 1, arcface: 0.2 })
          : trainStep(model, optimizer, batch, 0.05, { scale: 16, margin: 0.1 }, { softmax: 1, arcface: 0.2 }),
      );
    await parallel?.close();
    const weights = Float32Array.from(modelArrays(model).get('layer1.0.conv1.weight')!.data);
    optimizer.dispose();
    disposeModel(model);
    return { losses, weights };
  };
  const single = await run(1);
  const a = await run(2);
  const b = await run(2);
  assert.deepEqual(a.losses, b.losses);
  assert.deepEqual(Array.from(a.weights), Array.from(b.weights));
  a.losses.forEach((l, i) => {
    assert.ok(Math.abs(l - single.losses[i]) < 1e-4 * single.losses[i], `step ${i}: ${l} vs ${single.losses[i]}`);
  });
  assert.ok(maxRelError(a.weights, single.weights) < 1e-4, `weights: ${maxRelError(a.weights, single.weights)}`);
});
