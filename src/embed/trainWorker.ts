/**
 * A data-parallel training replica (worker thread): holds a copy of the model on its own tfjs-wasm instance,
 * takes the current weights and a shard of the batch, and returns the shard's gradients, loss and batch-norm
 * statistics. The optimiser runs only on the main thread (see parallel.ts).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { initEngine, tf } from './engine/index.js';
import { createModel, type ModelShape } from './model.js';
import { computeGradients, type Batch, type LossWeights } from './step.js';
import type { ArcFaceParams } from './model.js';

export interface ShardTask {
  weights: [string, Float32Array][];
  batch: Batch;
  arc: ArcFaceParams;
  lossWeights: LossWeights;
}

export interface ShardResult {
  loss: number;
  grads: [string, Float32Array][];
  records: { layer: string; stats: { mean: Float32Array; variance: Float32Array; count: number } }[];
}

const { shape } = workerData as { shape: ModelShape };
await initEngine({ backend: 'wasm' });
const model = createModel(shape, 0);
const port = parentPort!;
port.on('message', (task: ShardTask) => {
  for (const [name, data] of task.weights) {
    const p = model.params.get(name)!;
    const t = tf.tensor(data, p.shape);
    p.assign(t);
    t.dispose();
  }
  const { loss, grads, records } = computeGradients(model, task.batch, task.arc, task.lossWeights);
  const out: [string, Float32Array][] = [...grads].map(([name, g]) => [
    name,
    Float32Array.from(g.dataSync() as Float32Array),
  ]);
  tf.dispose([...grads.values()]);
  const result: ShardResult = { loss, grads: out, records };
  port.postMessage(
    result,
    out.map(([, a]) => a.buffer as ArrayBuffer),
  );
});
port.postMessage('ready');
