/**
 * CNN benchmark: the small backbone (resnet-small, six channels) at 128 x 128, batch 32, on the CPU.
 * - training images/s: one full step (forward, softmax + ArcFace losses, backward, SGD with Nesterov momentum,
 *   batch-norm running statistics) on onnxruntime-node (the step as one ONNX graph, trainGraph.ts; the default
 *   trainer) at one thread and all cores, and with tfjs on the wasm backend plus phenomap's gradient kernels, on
 *   one thread and data-parallel on all cores (parallel.ts);
 * - inference images/s: backbone + embedding layer, batch norm folded, with tfjs-wasm and with onnxruntime-node
 *   running the same model exported to ONNX;
 * next to PyTorch (Debian's python3-torch) doing the same architecture, losses and optimiser in the same run,
 * at one thread (tfjs-wasm runs single-threaded in Node) and at the machine's default threads.
 * Both sides report wall time and process CPU time; the targets use the one-thread wall-time ratios.
 * Writes bench/results/cnn.json. Targets: training >= 0.5x PyTorch's, inference >= 1x. The accuracy of trained
 * models is the cnn-vs-classical-small benchmark's (cnnVsClassical.ts).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { initEngine } from '../src/embed/index.js';
import { tf } from '../src/embed/engine/index.js';
import { createModel, disposeModel, embedFolded } from '../src/embed/model.js';
import { OnnxModel, OnnxSidecarSchema } from '../src/embed/onnx.js';
import { DataParallel } from '../src/embed/parallel.js';
import { exportModelToOnnx, writeOnnxModel } from '../src/embed/onnxWriter.js';
import { OrtTrainer } from '../src/embed/ortTrainer.js';
import { SgdMomentum, trainStep } from '../src/embed/step.js';
import { REPO_ROOT } from './common.js';

const BATCH = 32;
const SIZE = 128;
const CLASSES = 1139;
const EMBEDDING = 128;
const TRAIN_STEPS = 4;
const INFER_STEPS = 6;

interface Timing {
  wallS: number[];
  cpuS: number[];
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

async function timed(steps: number, f: () => Promise<void> | void): Promise<Timing> {
  await f(); // warm-up
  const out: Timing = { wallS: [], cpuS: [] };
  for (let i = 0; i < steps; i++) {
    const cpu = process.cpuUsage();
    const wall = performance.now();
    await f();
    const used = process.cpuUsage(cpu);
    out.wallS.push((performance.now() - wall) / 1000);
    out.cpuS.push((used.user + used.system) / 1e6);
  }
  return out;
}

function rates(t: Timing): {
  imagesPerSecondWall: number;
  imagesPerSecondCpu: number;
  medianWallS: number;
  medianCpuS: number;
} {
  const wall = median(t.wallS);
  const cpu = median(t.cpuS);
  return {
    imagesPerSecondWall: round(BATCH / wall),
    imagesPerSecondCpu: round(BATCH / cpu),
    medianWallS: round(wall, 4),
    medianCpuS: round(cpu, 4),
  };
}

function round(v: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}

/** The same network in PyTorch (torchvision-style BasicBlocks, stem conv 3x3/2 + max pool 3x3/2). */
const TORCH_SCRIPT = `
import sys, time, json
import torch, torch.nn as nn, torch.nn.functional as F
threads = int(sys.argv[1]); torch.set_num_threads(threads)
B, S, CLASSES, EMB, TRAIN_STEPS, INFER_STEPS = ${BATCH}, ${SIZE}, ${CLASSES}, ${EMBEDDING}, ${TRAIN_STEPS}, ${INFER_STEPS}
class Block(nn.Module):
    def __init__(s, cin, cout, stride):
        super().__init__()
        s.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False); s.bn1 = nn.BatchNorm2d(cout)
        s.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False); s.bn2 = nn.BatchNorm2d(cout)
        s.downsample = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout)) if stride != 1 or cin != cout else None
    def forward(s, x):
        o = F.relu(s.bn1(s.conv1(x))); o = s.bn2(s.conv2(o))
        return F.relu(o + (s.downsample(x) if s.downsample is not None else x))
class Net(nn.Module):
    def __init__(s, widths=(32, 64, 128, 256), cells=4):
        super().__init__()
        s.conv1 = nn.Conv2d(6, widths[0], 3, 2, 1, bias=False); s.bn1 = nn.BatchNorm2d(widths[0])
        layers, c = [], widths[0]
        for i, w in enumerate(widths):
            layers.append(Block(c, w, 2 if i > 0 else 1)); c = w
        s.layers = nn.Sequential(*layers)
        s.embedding = nn.Linear(c, EMB); s.softmax = nn.Linear(EMB + cells, CLASSES)
        s.arc = nn.Parameter(torch.randn(EMB + cells, CLASSES) * 0.01)
    def embed(s, x):
        x = F.max_pool2d(F.relu(s.bn1(s.conv1(x))), 3, 2, 1)
        return s.embedding(s.layers(x).mean((2, 3)))
    def forward(s, x, cell, ya, yb, lam):
        h = torch.cat([s.embed(x), cell], 1)
        logits = s.softmax(h)
        loss = lam * F.cross_entropy(logits, ya, reduction='none') + (1 - lam) * F.cross_entropy(logits, yb, reduction='none')
        cos = (F.normalize(h, dim=1) @ F.normalize(s.arc, dim=0)).clamp(-1 + 1e-7, 1 - 1e-7)
        m = torch.tensor(0.2)
        phi = cos * torch.cos(m) - torch.sqrt(1 - cos * cos) * torch.sin(m)
        def arc(y):
            oh = F.one_hot(y, CLASSES).float()
            return F.cross_entropy(30 * (oh * phi + (1 - oh) * cos), y, reduction='none')
        return (loss + lam * arc(ya) + (1 - lam) * arc(yb)).mean()
torch.manual_seed(0)
net = Net(); opt = torch.optim.SGD(net.parameters(), lr=0.01, momentum=0.9, nesterov=True, weight_decay=5e-4)
x = torch.randn(B, 6, S, S); cell = torch.zeros(B, 4); cell[:, 0] = 1
ya = torch.arange(B); yb = ya + 1; lam = torch.full((B,), 0.7)
def step():
    opt.zero_grad(); net(x, cell, ya, yb, lam).backward(); opt.step()
def timeit(f, n):
    f(); wall, cpu = [], []
    for _ in range(n):
        w, c = time.perf_counter(), time.process_time(); f(); wall.append(time.perf_counter() - w); cpu.append(time.process_time() - c)
    return {"wallS": wall, "cpuS": cpu}
net.train(); train = timeit(step, TRAIN_STEPS)
net.eval()
with torch.no_grad():
    infer = timeit(lambda: net.embed(x), INFER_STEPS)
print(json.dumps({"torch": torch.__version__, "threads": torch.get_num_threads(), "train": train, "infer": infer}))
`;

type TorchResult = { torch: string; threads: number; train: Timing; infer: Timing };

function runTorch(threads: number): TorchResult | { unavailable: string } {
  const script = path.join(os.tmpdir(), `phenomap-bench-cnn-${process.pid}.py`);
  fs.writeFileSync(script, TORCH_SCRIPT);
  const failures: string[] = [];
  try {
    for (const python of ['/usr/bin/python3', 'python3']) {
      const run = spawnSync(python, [script, String(threads)], { encoding: 'utf8', timeout: 600_000 });
      if (run.status === 0) return JSON.parse(run.stdout.trim().split('\n').at(-1)!) as TorchResult;
      failures.push(
        `${python}: ${(run.stderr || run.error?.message || `exit ${run.status}`).trim().split('\n').at(-1)}`,
      );
    }
  } finally {
    fs.rmSync(script, { force: true });
  }
  return { unavailable: `PyTorch not runnable (${failures.join('; ')}); on Debian: apt-get install python3-torch` };
}

export async function benchCnn(options: { outFile?: string } = {}): Promise<Record<string, unknown>> {
  const outFile = options.outFile ?? path.join(REPO_ROOT, 'bench', 'results', 'cnn.json');
  const engine = await initEngine({ backend: 'wasm' });
  const model = createModel(
    {
      backbone: 'resnet-small',
      embeddingDim: EMBEDDING,
      numClasses: CLASSES,
      cellTypes: ['HEPG2', 'HUVEC', 'RPE', 'U2OS'],
    },
    0,
  );
  const optimizer = new SgdMomentum(0.9, 5e-4, true);
  const x = Float32Array.from({ length: BATCH * SIZE * SIZE * 6 }, (_, i) => Math.sin(i * 0.37));
  const cellTypes = new Float32Array(BATCH * 4).map((_, i) => (i % 4 === 0 ? 1 : 0));
  const batch = {
    x,
    size: BATCH,
    crop: SIZE,
    cellTypes,
    labelsA: Int32Array.from({ length: BATCH }, (_, i) => i),
    labelsB: Int32Array.from({ length: BATCH }, (_, i) => i + 1),
    lambda: new Float32Array(BATCH).fill(0.7),
  };
  const arc = { scale: 30, margin: 0.2 };
  const lossWeights = { softmax: 1, arcface: 1 };
  const cores = os.availableParallelism();
  const trainOrt: Record<string, ReturnType<typeof rates>> = {};
  for (const threads of [1, cores]) {
    const trainer = await OrtTrainer.create(model, {
      crop: SIZE,
      arc,
      weights: lossWeights,
      momentum: 0.9,
      weightDecay: 5e-4,
      threads,
    });
    trainOrt[`threads${threads}`] = rates(
      await timed(TRAIN_STEPS, async () => void (await trainer.step(model, optimizer, batch, 0.01))),
    );
    await trainer.close();
  }
  const train = await timed(TRAIN_STEPS, () => void trainStep(model, optimizer, batch, 0.01, arc, lossWeights));
  // Data-parallel training on all cores (worker threads, one tfjs-wasm replica each).
  let trainParallel: ReturnType<typeof rates> | null = null;
  if (cores > 1) {
    const parallel = await DataParallel.start(model, cores);
    trainParallel = rates(
      await timed(TRAIN_STEPS, async () => void (await parallel.step(model, optimizer, batch, 0.01, arc, lossWeights))),
    );
    await parallel.close();
  }
  const input = tf.tensor4d(x, [BATCH, SIZE, SIZE, 6]);
  const inferWasm = await timed(INFER_STEPS, () => {
    const e = tf.tidy(() => embedFolded(model, input, model.bn));
    e.dataSync();
    e.dispose();
  });
  input.dispose();
  // The same model through onnxruntime-node (NCHW input).
  const onnxFile = path.join(os.tmpdir(), `phenomap-bench-cnn-${process.pid}.onnx`);
  writeOnnxModel(onnxFile, exportModelToOnnx(model));
  const nchw = new Float32Array(x.length);
  for (let n = 0; n < BATCH; n++)
    for (let h = 0; h < SIZE; h++)
      for (let w = 0; w < SIZE; w++)
        for (let c = 0; c < 6; c++) nchw[((n * 6 + c) * SIZE + h) * SIZE + w] = x[((n * SIZE + h) * SIZE + w) * 6 + c];
  const ort: Record<string, unknown> = {};
  for (const threads of [1, os.availableParallelism()]) {
    const session = await OnnxModel.open(onnxFile, OnnxSidecarSchema.parse({}), { threads });
    ort[`threads${threads}`] = rates(
      await timed(INFER_STEPS, async () => void (await session.run(nchw, [BATCH, 6, SIZE, SIZE]))),
    );
    await session.close();
  }
  fs.rmSync(onnxFile, { force: true });
  optimizer.dispose();
  disposeModel(model);

  const ours = {
    trainOnnxruntime: trainOrt,
    trainTfjsWasm: rates(train),
    trainTfjsWasmDataParallel: trainParallel ? { threads: cores, ...trainParallel } : null,
    inferenceTfjsWasm: rates(inferWasm),
    inferenceOnnxruntime: ort,
  };
  const ortTrainOne = trainOrt.threads1;
  const ortTrainAll = trainOrt[`threads${cores}`];
  const torch1 = runTorch(1);
  const torchAll = runTorch(os.availableParallelism());
  const comparison: Record<string, unknown> = {};
  if ('train' in torch1) {
    const t1 = { train: rates(torch1.train), inference: rates(torch1.infer) };
    const ortOne = ort.threads1 as ReturnType<typeof rates>;
    comparison.oneThread = {
      trainingRatioCpu: round(ortTrainOne.imagesPerSecondCpu / t1.train.imagesPerSecondCpu, 3),
      trainingRatioWall: round(ortTrainOne.imagesPerSecondWall / t1.train.imagesPerSecondWall, 3),
      trainingRatioTfjsWasmWall: round(ours.trainTfjsWasm.imagesPerSecondWall / t1.train.imagesPerSecondWall, 3),
      inferenceRatioTfjsWasmCpu: round(ours.inferenceTfjsWasm.imagesPerSecondCpu / t1.inference.imagesPerSecondCpu, 3),
      inferenceRatioTfjsWasmWall: round(
        ours.inferenceTfjsWasm.imagesPerSecondWall / t1.inference.imagesPerSecondWall,
        3,
      ),
      inferenceRatioOnnxruntimeCpu: round(ortOne.imagesPerSecondCpu / t1.inference.imagesPerSecondCpu, 3),
      inferenceRatioOnnxruntimeWall: round(ortOne.imagesPerSecondWall / t1.inference.imagesPerSecondWall, 3),
    };
    comparison.torchOneThread = t1;
  }
  if ('train' in torchAll) {
    const tAll = { train: rates(torchAll.train), inference: rates(torchAll.infer) };
    const ortAll = ort[`threads${os.availableParallelism()}`] as ReturnType<typeof rates>;
    comparison.allThreads = {
      threads: torchAll.threads,
      trainingRatioWall: round(ortTrainAll.imagesPerSecondWall / tAll.train.imagesPerSecondWall, 3),
      trainingRatioTfjsWasmDataParallelWall: trainParallel
        ? round(trainParallel.imagesPerSecondWall / tAll.train.imagesPerSecondWall, 3)
        : null,
      inferenceRatioOnnxruntimeWall: round(ortAll.imagesPerSecondWall / tAll.inference.imagesPerSecondWall, 3),
    };
    comparison.torchAllThreads = tAll;
  }
  const one = comparison.oneThread as Record<string, number> | undefined;
  const results = {
    benchmark: 'cnn',
    description: `resnet-small, 6 x ${SIZE} x ${SIZE}, batch ${BATCH}, ${CLASSES} classes, softmax + ArcFace heads, SGD Nesterov`,
    machine: {
      cpus: os.cpus().length,
      model: os.cpus()[0]?.model,
      node: process.versions.node,
      loadAverage: os.loadavg().map((v) => round(v)),
    },
    engine,
    phenomap: ours,
    pytorch: 'train' in torch1 ? { version: torch1.torch } : torch1,
    comparison,
    targets: one
      ? {
          trainingAtLeastHalfOfPytorch: one.trainingRatioWall >= 0.5,
          inferenceAtLeastPytorch: Math.max(one.inferenceRatioTfjsWasmWall, one.inferenceRatioOnnxruntimeWall) >= 1,
          note: 'one-thread wall-time ratios, both sides measured back to back in this run (PyTorch at torch.set_num_threads(1) can still use a second thread, which shows as CPU time above wall time); training is the default trainer (onnxruntime-node), inference counts the faster of tfjs-wasm and onnxruntime-node',
        }
      : { note: 'PyTorch unavailable: no comparison' },
    recordedAt: new Date().toISOString(),
  };
  fs.mkdirSync(path.dirname(outFile), { recursive: true });
  fs.writeFileSync(`${outFile}.tmp`, `${JSON.stringify(results, null, 2)}\n`);
  fs.renameSync(`${outFile}.tmp`, outFile);
  return results;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  benchCnn().then((r) => console.log(JSON.stringify(r, null, 2)));
}
