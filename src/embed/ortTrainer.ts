/**
 * Training steps on onnxruntime-node (CPU execution provider; CUDA where installed and PHENOMAP_ONNX_EP=cuda):
 * the graph of trainGraph.ts run once per batch. The model's tfjs variables and the optimiser's momentum buffers stay
 * the state of record (checkpoints,
 * validation, AdaBN and embedding use them unchanged); each step feeds them in and assigns the updated
 * values back, which costs a copy of the parameters (a few MB) against a step of a few hundred ms.
 */
import { tf } from './engine/index.js';
import { INPUT_CHANNELS, type ArcFaceParams, type Model } from './model.js';
import { createOrtSession } from './onnx.js';
import { encodeOnnx } from './onnxWriter.js';
import { updateRunningStats, type Batch, type BnRecord, type LossWeights, type SgdMomentum } from './step.js';
import {
  bnMeanOutput,
  bnVarianceOutput,
  buildTrainGraph,
  paramInput,
  paramOutput,
  velocityInput,
  velocityOutput,
} from './trainGraph.js';

type Ort = typeof import('onnxruntime-node');

export interface OrtTrainerOptions {
  crop: number;
  arc: ArcFaceParams;
  weights: LossWeights;
  momentum: number;
  weightDecay: number;
  /** onnxruntime intra-op threads (default: onnxruntime's, one per core). */
  threads?: number;
}

export class OrtTrainer {
  private constructor(
    private readonly ort: Ort,
    private readonly session: import('onnxruntime-node').InferenceSession,
    /** Execution provider: cpu, or cuda where asked for (PHENOMAP_ONNX_EP) and installed. */
    readonly provider: string,
    private readonly crop: number,
    /** Parameters the graph updates (all of them unless a loss weight is 0). */
    private readonly trained: string[],
    private readonly batchNormAreas: Map<string, number>,
  ) {}

  static async create(model: Model, options: OrtTrainerOptions): Promise<OrtTrainer> {
    const params = [...model.params].map(([name, v]) => ({ name, dims: v.shape }));
    const { graph, batchNormAreas } = buildTrainGraph({
      shape: model.shape,
      params,
      crop: options.crop,
      arc: options.arc,
      weights: options.weights,
      momentum: options.momentum,
      weightDecay: options.weightDecay,
    });
    const { ort, session, provider } = await createOrtSession(encodeOnnx(graph), options.threads);
    const trained = params.map((p) => p.name).filter((name) => session.outputNames.includes(paramOutput(name)));
    return new OrtTrainer(ort, session, provider, options.crop, trained, batchNormAreas);
  }

  /** onnxruntime-node's version. */
  get version(): string {
    return this.ort.env.versions.node ?? this.ort.env.versions.common;
  }

  /** Forward + backward + SGD update on one batch (as step.ts's trainStep); returns the mean loss. */
  async step(model: Model, optimizer: SgdMomentum, batch: Batch, lr: number): Promise<number> {
    if (batch.crop !== this.crop)
      throw new Error(`training step: batch crop ${batch.crop}, the graph was built for ${this.crop}`);
    const { Tensor } = this.ort;
    const n = batch.size;
    const classes = model.shape.numClasses;
    const oneHot = (labels: Int32Array): Float32Array => {
      const out = new Float32Array(n * classes);
      labels.forEach((label, i) => {
        out[i * classes + label] = 1;
      });
      return out;
    };
    const feeds: Record<string, import('onnxruntime-node').Tensor> = {
      x: new Tensor('float32', batch.x, [n, batch.crop, batch.crop, INPUT_CHANNELS]),
      cell: new Tensor('float32', batch.cellTypes, [n, model.shape.cellTypes.length]),
      targetA: new Tensor('float32', oneHot(batch.labelsA), [n, classes]),
      targetB: new Tensor('float32', oneHot(batch.labelsB), [n, classes]),
      lambda: new Tensor('float32', batch.lambda, [n, 1]),
      n: new Tensor('float32', Float32Array.of(n), []),
      lr: new Tensor('float32', Float32Array.of(lr), []),
    };
    for (const [name, v] of model.params)
      feeds[paramInput(name)] = new Tensor('float32', v.dataSync() as Float32Array, v.shape);
    for (const name of this.trained) {
      const p = model.params.get(name)!;
      const velocity = optimizer.velocity.get(name);
      feeds[velocityInput(name)] = new Tensor(
        'float32',
        velocity ? (velocity.dataSync() as Float32Array) : new Float32Array(p.size),
        p.shape,
      );
    }
    const out = await this.session.run(feeds);
    for (const name of this.trained) {
      const p = model.params.get(name)!;
      const next = tf.tensor(out[paramOutput(name)].data as Float32Array, p.shape);
      p.assign(next);
      next.dispose();
      optimizer.velocity.get(name)?.dispose();
      optimizer.velocity.set(name, tf.tensor(out[velocityOutput(name)].data as Float32Array, p.shape));
    }
    const records: BnRecord[] = [...this.batchNormAreas].map(([layer, area]) => ({
      layer,
      stats: {
        mean: out[bnMeanOutput(layer)].data as Float32Array,
        variance: out[bnVarianceOutput(layer)].data as Float32Array,
        count: n * area,
      },
    }));
    updateRunningStats(model, records);
    return (out.loss.data as Float32Array)[0];
  }

  async close(): Promise<void> {
    await this.session.release();
  }
}
