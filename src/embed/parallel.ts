/**
 * Synchronous data-parallel training on worker threads (tfjs-wasm runs single-threaded in Node, so this is how
 * training uses more than one core). Each step, the batch is split into contiguous shards, one per thread (the
 * main thread takes the first); every replica computes its shard's gradients from the same weights; the main
 * thread averages them (weighted by shard size, so the result is the gradient of the whole batch's mean
 * loss), applies the optimiser and pools the batch-norm statistics into the running statistics. Batch norm
 * normalises each shard with its own statistics during training (as PyTorch DDP without SyncBatchNorm), so
 * results depend on the thread count (but are deterministic for a given count, so resume stays exact).
 */
import { Worker } from 'node:worker_threads';
import { tf } from './engine/index.js';
import type { ArcFaceParams, Model } from './model.js';
import {
  computeGradients,
  updateRunningStats,
  type Batch,
  type BnRecord,
  type LossWeights,
  type SgdMomentum,
} from './step.js';
import type { ShardResult, ShardTask } from './trainWorker.js';

function shardOf(batch: Batch, start: number, end: number, types: number): Batch {
  const sample = batch.crop * batch.crop * 6;
  return {
    x: batch.x.slice(start * sample, end * sample),
    size: end - start,
    crop: batch.crop,
    cellTypes: batch.cellTypes.slice(start * types, end * types),
    labelsA: batch.labelsA.slice(start, end),
    labelsB: batch.labelsB.slice(start, end),
    lambda: batch.lambda.slice(start, end),
  };
}

/** Pools per-shard batch statistics of each layer into whole-batch statistics (exact pooled moments). */
export function poolRecords(shards: { records: BnRecord[] }[]): BnRecord[] {
  const out: BnRecord[] = [];
  shards[0].records.forEach(({ layer }, k) => {
    const parts = shards.map((s) => s.records[k].stats);
    const C = parts[0].mean.length;
    const count = parts.reduce((n, p) => n + p.count, 0);
    const mean = new Float32Array(C);
    const variance = new Float32Array(C);
    for (let c = 0; c < C; c++) {
      let m = 0;
      for (const p of parts) m += (p.mean[c] * p.count) / count;
      let v = 0;
      for (const p of parts) v += ((p.variance[c] + (p.mean[c] - m) ** 2) * p.count) / count;
      mean[c] = m;
      variance[c] = v;
    }
    out.push({ layer, stats: { mean, variance, count } });
  });
  return out;
}

export class DataParallel {
  private constructor(private readonly workers: Worker[]) {}

  /** Starts `threads - 1` replicas of a model of this shape (the main thread is the first replica). */
  static async start(model: Model, threads: number): Promise<DataParallel> {
    const workers = Array.from(
      { length: threads - 1 },
      () => new Worker(new URL('./trainWorker.js', import.meta.url), { workerData: { shape: model.shape } }),
    );
    await Promise.all(
      workers.map(
        (w) =>
          new Promise<void>((resolve, reject) => {
            w.once('message', () => resolve());
            w.once('error', reject);
          }),
      ),
    );
    return new DataParallel(workers);
  }

  get threads(): number {
    return this.workers.length + 1;
  }

  /** One synchronous data-parallel step; returns the batch's mean loss. */
  async step(
    model: Model,
    optimizer: SgdMomentum,
    batch: Batch,
    lr: number,
    arc: ArcFaceParams,
    lossWeights: LossWeights,
  ): Promise<number> {
    const ranks = Math.min(this.threads, batch.size);
    const types = model.shape.cellTypes.length;
    const bounds = Array.from({ length: ranks + 1 }, (_, i) => Math.round((i * batch.size) / ranks));
    const weights: [string, Float32Array][] = [...model.params].map(([name, v]) => [
      name,
      v.dataSync() as Float32Array,
    ]);
    const replies = this.workers.slice(0, ranks - 1).map(
      (w, i) =>
        new Promise<ShardResult>((resolve, reject) => {
          w.once('message', resolve);
          w.once('error', reject);
          const task: ShardTask = {
            weights,
            batch: shardOf(batch, bounds[i + 1], bounds[i + 2], types),
            arc,
            lossWeights,
          };
          w.postMessage(task);
        }),
    );
    const own = computeGradients(model, shardOf(batch, bounds[0], bounds[1], types), arc, lossWeights);
    const others = await Promise.all(replies);
    const sizes = bounds.slice(1).map((b, i) => b - bounds[i]);
    const averaged = new Map<string, tf.Tensor>();
    const ownArrays = new Map([...own.grads].map(([name, g]) => [name, g.dataSync() as Float32Array]));
    const otherArrays = others.map((r) => new Map(r.grads));
    for (const [name, v] of model.params) {
      const first = ownArrays.get(name);
      if (!first) continue;
      const sum = Float32Array.from(first, (g) => (g * sizes[0]) / batch.size);
      otherArrays.forEach((grads, i) => {
        const g = grads.get(name)!;
        const w = sizes[i + 1] / batch.size;
        for (let j = 0; j < sum.length; j++) sum[j] += g[j] * w;
      });
      averaged.set(name, tf.tensor(sum, v.shape));
    }
    tf.dispose([...own.grads.values()]);
    optimizer.apply(model.params, averaged, lr);
    tf.dispose([...averaged.values()]);
    updateRunningStats(model, poolRecords([{ records: own.records }, ...others]));
    return sizes.reduce((s, n, i) => s + (n / batch.size) * (i === 0 ? own.loss : others[i - 1].loss), 0);
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
