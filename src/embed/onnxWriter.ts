/**
 * A minimal ONNX writer (protobuf wire format, onnx/onnx.proto field numbers) and the export of a model
 * trained here: batch norm folded into the convolutions with given statistics (e.g. one experiment's AdaBN
 * statistics), NCHW float input named "input", output "embedding" [N, embeddingDim]. Convolutions and the
 * max pool use auto_pad SAME_UPPER, which is TensorFlow's "same" padding, so onnxruntime computes the same
 * function as the tfjs model.
 */
import fs from 'node:fs';
import { BN_EPSILON, bnName, layoutOf, type BnStats, type Model } from './model.js';

class Writer {
  private chunks: Buffer[] = [];

  private varint(value: number | bigint): void {
    let v = BigInt.asUintN(64, BigInt(value));
    const bytes: number[] = [];
    do {
      let byte = Number(v & 0x7fn);
      v >>= 7n;
      if (v !== 0n) byte |= 0x80;
      bytes.push(byte);
    } while (v !== 0n);
    this.chunks.push(Buffer.from(bytes));
  }

  private key(field: number, wire: number): void {
    this.varint((field << 3) | wire);
  }

  int(field: number, value: number): this {
    this.key(field, 0);
    this.varint(value);
    return this;
  }

  float(field: number, value: number): this {
    this.key(field, 5);
    const b = Buffer.alloc(4);
    b.writeFloatLE(value);
    this.chunks.push(b);
    return this;
  }

  bytes(field: number, value: Buffer | Uint8Array): this {
    this.key(field, 2);
    this.varint(value.length);
    this.chunks.push(Buffer.from(value.buffer, value.byteOffset, value.byteLength));
    return this;
  }

  string(field: number, value: string): this {
    return this.bytes(field, Buffer.from(value, 'utf8'));
  }

  message(field: number, build: (w: Writer) => void): this {
    const w = new Writer();
    build(w);
    return this.bytes(field, w.done());
  }

  done(): Buffer {
    return Buffer.concat(this.chunks);
  }
}

export type OnnxAttribute = number | number[] | string | { float: number };

export interface OnnxNode {
  op: string;
  inputs: string[];
  outputs: string[];
  name?: string;
  attributes?: Record<string, OnnxAttribute>;
}

export interface OnnxTensor {
  name: string;
  dims: number[];
  /** float32 values, or int64 values (as numbers) when `int64` is set. */
  data: Float32Array | number[];
  int64?: boolean;
}

export interface OnnxGraph {
  name: string;
  nodes: OnnxNode[];
  initializers: OnnxTensor[];
  /** Graph inputs/outputs: float32 tensors; a string dim is symbolic (e.g. "N"). */
  inputs: { name: string; dims: (number | string)[] }[];
  outputs: { name: string; dims: (number | string)[] }[];
  opset?: number;
}

function attribute(w: Writer, name: string, value: OnnxAttribute): void {
  w.string(1, name);
  if (typeof value === 'string') w.bytes(4, Buffer.from(value, 'utf8')).int(20, 3);
  else if (typeof value === 'number') w.int(3, value).int(20, 2);
  else if (Array.isArray(value)) {
    for (const v of value) w.int(8, v);
    w.int(20, 7);
  } else w.float(2, value.float).int(20, 1);
}

function tensor(w: Writer, t: OnnxTensor): void {
  for (const d of t.dims) w.int(1, d);
  w.int(2, t.int64 ? 7 : 1);
  w.string(8, t.name);
  if (t.int64) {
    const b = Buffer.alloc(8 * t.data.length);
    (t.data as number[]).forEach((v, i) => {
      b.writeBigInt64LE(BigInt(v), 8 * i);
    });
    w.bytes(9, b);
  } else {
    const f = t.data as Float32Array;
    w.bytes(9, new Uint8Array(f.buffer, f.byteOffset, f.byteLength));
  }
}

function valueInfo(w: Writer, v: { name: string; dims: (number | string)[] }): void {
  w.string(1, v.name);
  w.message(2, (type) =>
    type.message(1, (tt) => {
      tt.int(1, 1);
      tt.message(2, (shape) => {
        for (const d of v.dims) shape.message(1, (dim) => (typeof d === 'number' ? dim.int(1, d) : dim.string(2, d)));
      });
    }),
  );
}

/** Serialises a graph as an ONNX ModelProto (IR version 8, default-domain opset 13 unless given). */
export function encodeOnnx(graph: OnnxGraph): Buffer {
  const model = new Writer();
  model.int(1, 8);
  model.string(2, 'phenomap');
  model.string(3, '0.1.0');
  model.message(7, (g) => {
    graph.nodes.forEach((node, i) => {
      g.message(1, (n) => {
        for (const input of node.inputs) n.string(1, input);
        for (const output of node.outputs) n.string(2, output);
        n.string(3, node.name ?? `${node.op}_${i}`);
        n.string(4, node.op);
        for (const [name, value] of Object.entries(node.attributes ?? {}))
          n.message(5, (a) => attribute(a, name, value));
      });
    });
    g.string(2, graph.name);
    for (const t of graph.initializers) g.message(5, (m) => tensor(m, t));
    for (const v of graph.inputs) g.message(11, (m) => valueInfo(m, v));
    for (const v of graph.outputs) g.message(12, (m) => valueInfo(m, v));
  });
  model.message(8, (o) => o.string(1, '').int(2, graph.opset ?? 13));
  return model.done();
}

export function writeOnnxModel(file: string, graph: OnnxGraph): void {
  const temporary = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(temporary, encodeOnnx(graph));
  fs.renameSync(temporary, file);
}

/** HWIO (tfjs) -> OIHW (ONNX) with a per-output-channel scale. */
function toOihw(hwio: Float32Array, [KH, KW, CI, CO]: number[], scale: Float32Array): Float32Array {
  const out = new Float32Array(hwio.length);
  for (let kh = 0; kh < KH; kh++)
    for (let kw = 0; kw < KW; kw++)
      for (let ci = 0; ci < CI; ci++)
        for (let co = 0; co < CO; co++)
          out[((co * CI + ci) * KH + kh) * KW + kw] = hwio[((kh * KW + kw) * CI + ci) * CO + co] * scale[co];
  return out;
}

/**
 * The backbone and embedding layer of `model` as an ONNX graph, with batch-norm statistics `stats` folded
 * in (the model's running statistics by default): input "input" [N, 6, H, W] (normalised, NCHW; or
 * [N, H, W, 6] with `layout: 'NHWC'`, the layout of tfjs batches), output "embedding" [N, embeddingDim].
 */
export function exportModelToOnnx(
  model: Model,
  stats: Map<string, BnStats> = model.bn,
  options: { layout?: 'NCHW' | 'NHWC' } = {},
): OnnxGraph {
  const nhwc = options.layout === 'NHWC';
  const layout = layoutOf(model.shape.backbone);
  const nodes: OnnxNode[] = [];
  const initializers: OnnxTensor[] = [];
  const value = (name: string): Float32Array => model.params.get(name)!.dataSync() as Float32Array;
  const conv = (
    def: { name: string; kernel: number; stride: number },
    bn: string,
    input: string,
    relu: boolean,
  ): string => {
    const s = stats.get(bn);
    if (!s) throw new Error(`batch norm statistics for layer ${bn} missing`);
    const gamma = value(`${bn}.weight`);
    const beta = value(`${bn}.bias`);
    const scale = Float32Array.from(gamma, (g, c) => g / Math.sqrt(s.variance[c] + BN_EPSILON));
    const bias = Float32Array.from(beta, (b, c) => b - s.mean[c] * scale[c]);
    const weight = model.params.get(`${def.name}.weight`)!;
    const [KH, KW, CI, CO] = weight.shape as number[];
    initializers.push({
      name: `${def.name}.weight`,
      dims: [CO, CI, KH, KW],
      data: toOihw(weight.dataSync() as Float32Array, [KH, KW, CI, CO], scale),
    });
    initializers.push({ name: `${def.name}.bias`, dims: [bias.length], data: bias });
    const out = `${def.name}.out`;
    nodes.push({
      op: 'Conv',
      inputs: [input, `${def.name}.weight`, `${def.name}.bias`],
      outputs: [out],
      attributes: { kernel_shape: [def.kernel, def.kernel], strides: [def.stride, def.stride], auto_pad: 'SAME_UPPER' },
    });
    if (!relu) return out;
    nodes.push({ op: 'Relu', inputs: [out], outputs: [`${out}.relu`] });
    return `${out}.relu`;
  };
  if (nhwc)
    nodes.push({ op: 'Transpose', inputs: ['input'], outputs: ['input.nchw'], attributes: { perm: [0, 3, 1, 2] } });
  let h = conv(layout.stem, bnName(layout.stem), nhwc ? 'input.nchw' : 'input', true);
  nodes.push({
    op: 'MaxPool',
    inputs: [h],
    outputs: ['pool'],
    attributes: { kernel_shape: [3, 3], strides: [2, 2], auto_pad: 'SAME_UPPER' },
  });
  h = 'pool';
  for (const block of layout.blocks) {
    const a = conv(block.conv1, bnName(block.conv1), h, true);
    const b = conv(block.conv2, bnName(block.conv2), a, false);
    const shortcut = block.downsample ? conv(block.downsample, bnName(block.downsample), h, false) : h;
    nodes.push({ op: 'Add', inputs: [b, shortcut], outputs: [`${block.name}.sum`] });
    nodes.push({ op: 'Relu', inputs: [`${block.name}.sum`], outputs: [`${block.name}.out`] });
    h = `${block.name}.out`;
  }
  nodes.push({ op: 'GlobalAveragePool', inputs: [h], outputs: ['gap'] });
  nodes.push({ op: 'Flatten', inputs: ['gap'], outputs: ['features'], attributes: { axis: 1 } });
  const w = model.params.get('embedding.weight')!;
  initializers.push({ name: 'embedding.weight', dims: w.shape, data: w.dataSync() as Float32Array });
  initializers.push({ name: 'embedding.bias', dims: [model.shape.embeddingDim], data: value('embedding.bias') });
  nodes.push({ op: 'Gemm', inputs: ['features', 'embedding.weight', 'embedding.bias'], outputs: ['embedding'] });
  return {
    name: `phenomap-${model.shape.backbone}`,
    nodes,
    initializers,
    inputs: [{ name: 'input', dims: nhwc ? ['N', 'H', 'W', 6] : ['N', 6, 'H', 'W'] }],
    outputs: [{ name: 'embedding', dims: ['N', model.shape.embeddingDim] }],
  };
}
