/**
 * A minimal ONNX writer: serialises the graphs phenomap builds (embed/'s networks and training steps, numerics/'
 * float64 products) as an ONNX ModelProto in protobuf's wire format, using the field numbers of onnx/onnx.proto:
 *
 *   ModelProto       1 ir_version, 2 producer_name, 3 producer_version, 7 graph, 8 opset_import
 *   GraphProto       1 node, 2 name, 5 initializer, 11 input, 12 output
 *   NodeProto        1 input, 2 output, 3 name, 4 op_type, 5 attribute, 7 domain
 *   AttributeProto   1 name, 2 f, 3 i, 4 s, 8 ints, 20 type (1 FLOAT, 2 INT, 3 STRING, 7 INTS)
 *   TensorProto      1 dims, 2 data_type (1 FLOAT, 7 INT64, 11 DOUBLE), 8 name, 9 raw_data
 *   ValueInfoProto   1 name, 2 type -> TypeProto 1 tensor_type -> 1 elem_type, 2 shape -> 1 dim -> 1 value | 2 param
 *   OperatorSetId    1 domain, 2 version
 *
 * Written by hand (about a hundred lines) because only these few messages are ever written and nothing is read:
 * a protobuf library would add the schema (onnx.proto) and a dependency without making this smaller.
 */
import { writeFileAtomic } from '../util/files.js';

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
  /** Operator set domain: '' (default ONNX) or e.g. 'com.microsoft.nchwc' (onnxruntime's blocked-layout CPU ops). */
  domain?: string;
  attributes?: Record<string, OnnxAttribute>;
}

export interface OnnxTensor {
  name: string;
  dims: number[];
  /** float32 values, or int64 values (as numbers) when `int64` is set. */
  data: Float32Array | number[];
  int64?: boolean;
}

/** A graph input or output: float32 unless `type` says float64; a string dim is symbolic (e.g. "N"). */
export interface OnnxValueInfo {
  name: string;
  dims: (number | string)[];
  type?: 'float32' | 'float64';
}

export interface OnnxGraph {
  name: string;
  nodes: OnnxNode[];
  initializers: OnnxTensor[];
  inputs: OnnxValueInfo[];
  outputs: OnnxValueInfo[];
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

/** TensorProto.DataType of the value types written. */
const ELEMENT_TYPE = { float32: 1, float64: 11 } as const;

function valueInfo(w: Writer, v: OnnxValueInfo): void {
  w.string(1, v.name);
  w.message(2, (type) =>
    type.message(1, (tt) => {
      tt.int(1, ELEMENT_TYPE[v.type ?? 'float32']);
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
        if (node.domain) n.string(7, node.domain);
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
  for (const domain of new Set(graph.nodes.flatMap((node) => (node.domain ? [node.domain] : []))))
    model.message(8, (o) => o.string(1, domain).int(2, 1));
  return model.done();
}

export function writeOnnxModel(file: string, graph: OnnxGraph): void {
  writeFileAtomic(file, encodeOnnx(graph));
}
