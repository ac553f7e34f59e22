/**
 * CNN benchmark: the small backbone (resnet-small, six channels) at 128 x 128, batch 32, on the CPU, next to
 * PyTorch (Debian's python3-torch) running the same architecture, losses and optimiser:
 * - training images/s: one full step (forward with batch statistics, softmax + ArcFace losses, backward, SGD with
 *   Nesterov momentum, batch-norm running statistics) on onnxruntime-node (trainGraph.ts, trainer.ts);
 * - inference images/s: backbone + embedding layer, batch norm folded (export.ts);
 * at one thread (the target's condition) and at all cores. The two sides alternate in ROUNDS rounds (ours, then
 * PyTorch, at each thread count), so that both see the same load on a shared machine, and the ratio is taken per
 * round; the result reports every round and the median ratio. Both sides report wall time and process CPU time;
 * the target uses the one-thread wall-time ratio. Writes bench/results/cnn.json. Targets: training >= 0.8x
 * PyTorch's, inference >= 1x. The accuracy of trained models is the cnn-vs-classical-small benchmark's.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { fixedStatsEmbedder } from '../src/embed/infer.js';
import { backboneSpec, createModel, type Model } from '../src/embed/model.js';
import { onnxruntimeVersion } from '../src/embed/session.js';
import type { TensorMap } from '../src/embed/store.js';
import { Trainer, type Batch } from '../src/embed/trainer.js';
import { writeFileAtomic } from '../src/util/files.js';
import { median, REPO_ROOT } from './common.js';

const BATCH = 32;
const SIZE = 128;
const CLASSES = 1139;
const EMBEDDING = 128;
const TRAIN_STEPS = 4;
const INFER_STEPS = 6;
const ROUNDS = 3;

interface Timing {
  wallS: number[];
  cpuS: number[];
}

async function timed(steps: number, f: () => Promise<void>): Promise<Timing> {
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

interface Rates {
  imagesPerSecondWall: number;
  imagesPerSecondCpu: number;
  medianWallS: number;
  medianCpuS: number;
}

function rates(t: Timing): Rates {
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

function benchModel(): Model {
  return createModel(
    {
      backbone: 'resnet-small',
      spec: backboneSpec('resnet-small'),
      embeddingDim: EMBEDDING,
      numClasses: CLASSES,
      cellTypes: ['HEPG2', 'HUVEC', 'RPE', 'U2OS'],
    },
    0,
  );
}

function benchBatch(): Batch {
  return {
    x: Float32Array.from({ length: BATCH * 6 * SIZE * SIZE }, (_, i) => Math.sin(i * 0.37)),
    size: BATCH,
    crop: SIZE,
    cellTypes: new Float32Array(BATCH * 4).map((_, i) => (i % 4 === 0 ? 1 : 0)),
    labelsA: Int32Array.from({ length: BATCH }, (_, i) => i),
    labelsB: Int32Array.from({ length: BATCH }, (_, i) => i + 1),
    lambda: new Float32Array(BATCH).fill(0.7),
  };
}

async function oursTraining(model: Model, batch: Batch, threads: number): Promise<Rates> {
  const trainer = await Trainer.create(model, {
    crop: SIZE,
    arc: { scale: 30, margin: 0.2 },
    weights: { softmax: 1, arcface: 1, contrastive: 0 },
    temperature: 0.2,
    momentum: 0.9,
    weightDecay: 5e-4,
    threads,
  });
  const velocity: TensorMap = new Map();
  try {
    return rates(await timed(TRAIN_STEPS, async () => void (await trainer.step(model, velocity, batch, 0.01))));
  } finally {
    await trainer.close();
  }
}

async function oursInference(model: Model, batch: Batch, threads: number): Promise<Rates> {
  const embedder = await fixedStatsEmbedder(model, model.bn, { threads });
  try {
    return rates(await timed(INFER_STEPS, async () => void (await embedder.embed(batch.x, BATCH, SIZE))));
  } finally {
    await embedder.close();
  }
}

interface Round {
  threads: number;
  phenomap: { train: Rates; inference: Rates };
  pytorch: { train: Rates; inference: Rates } | null;
  trainingRatioWall: number | null;
  trainingRatioCpu: number | null;
  inferenceRatioWall: number | null;
}

/** One round at one thread count: ours, then PyTorch, then the ratios. */
async function benchRound(
  model: Model,
  batch: Batch,
  threads: number,
): Promise<{ round: Round; torch: string | null; unavailable?: string }> {
  const phenomap = {
    train: await oursTraining(model, batch, threads),
    inference: await oursInference(model, batch, threads),
  };
  const t = runTorch(threads);
  const pytorch = 'train' in t ? { train: rates(t.train), inference: rates(t.infer) } : null;
  const ratio = (a: number, b: number | undefined) => (b ? round(a / b, 3) : null);
  return {
    round: {
      threads,
      phenomap,
      pytorch,
      trainingRatioWall: ratio(phenomap.train.imagesPerSecondWall, pytorch?.train.imagesPerSecondWall),
      trainingRatioCpu: ratio(phenomap.train.imagesPerSecondCpu, pytorch?.train.imagesPerSecondCpu),
      inferenceRatioWall: ratio(phenomap.inference.imagesPerSecondWall, pytorch?.inference.imagesPerSecondWall),
    },
    torch: 'torch' in t ? t.torch : null,
    unavailable: 'unavailable' in t ? t.unavailable : undefined,
  };
}

export async function benchCnn(options: { outFile?: string } = {}): Promise<Record<string, unknown>> {
  const outFile = options.outFile ?? path.join(REPO_ROOT, 'bench', 'results', 'cnn.json');
  const model = benchModel();
  const batch = benchBatch();
  const cores = os.availableParallelism();
  const rounds: Round[] = [];
  let torchVersion: string | null = null;
  let unavailable: string | undefined;
  for (let r = 0; r < ROUNDS; r++)
    for (const threads of cores > 1 ? [1, cores] : [1]) {
      const result = await benchRound(model, batch, threads);
      rounds.push(result.round);
      torchVersion ??= result.torch;
      unavailable ??= result.unavailable;
    }
  const summary = (threads: number) => {
    const of = rounds.filter((r) => r.threads === threads);
    const med = (key: 'trainingRatioWall' | 'trainingRatioCpu' | 'inferenceRatioWall') => {
      const values = of.map((r) => r[key]).filter((v): v is number => v !== null);
      return values.length > 0 ? round(median(values), 3) : null;
    };
    return {
      threads,
      trainingImagesPerSecondWall: round(median(of.map((r) => r.phenomap.train.imagesPerSecondWall))),
      pytorchTrainingImagesPerSecondWall: of[0].pytorch
        ? round(median(of.map((r) => r.pytorch!.train.imagesPerSecondWall)))
        : null,
      inferenceImagesPerSecondWall: round(median(of.map((r) => r.phenomap.inference.imagesPerSecondWall))),
      pytorchInferenceImagesPerSecondWall: of[0].pytorch
        ? round(median(of.map((r) => r.pytorch!.inference.imagesPerSecondWall)))
        : null,
      trainingRatioWall: med('trainingRatioWall'),
      trainingRatioCpu: med('trainingRatioCpu'),
      inferenceRatioWall: med('inferenceRatioWall'),
    };
  };
  const one = summary(1);
  const results = {
    benchmark: 'cnn',
    description: `resnet-small, 6 x ${SIZE} x ${SIZE}, batch ${BATCH}, ${CLASSES} classes, softmax + ArcFace heads, SGD Nesterov`,
    machine: {
      cpus: os.cpus().length,
      model: os.cpus()[0]?.model,
      node: process.versions.node,
      loadAverage: os.loadavg().map((v) => round(v)),
    },
    engine: { 'onnxruntime-node': await onnxruntimeVersion() },
    pytorch: torchVersion ? { version: torchVersion } : { unavailable },
    oneThread: one,
    allThreads: cores > 1 ? summary(cores) : null,
    rounds,
    targets:
      one.trainingRatioWall !== null
        ? {
            trainingAtLeast08OfPytorch: one.trainingRatioWall >= 0.8,
            inferenceAtLeastPytorch: (one.inferenceRatioWall ?? 0) >= 1,
            note: 'median over the rounds of the one-thread wall-time ratios, both sides alternating in this run (PyTorch at torch.set_num_threads(1) still runs its autograd engine on a second thread, which shows as CPU time above wall time)',
          }
        : { note: 'PyTorch unavailable: no comparison' },
    recordedAt: new Date().toISOString(),
  };
  fs.mkdirSync(path.dirname(outFile), { recursive: true });
  writeFileAtomic(outFile, `${JSON.stringify(results, null, 2)}\n`);
  return results;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  benchCnn().then((r) => console.log(JSON.stringify(r, null, 2)));
}
