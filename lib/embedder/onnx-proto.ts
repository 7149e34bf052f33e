/**
 * A minimal protobuf writer for the ONNX messages the exporter needs (onnx/onnx.proto3: ModelProto,
 * GraphProto, NodeProto, AttributeProto, TensorProto, ValueInfoProto). Field numbers are the
 * proto's; only float32 and int64 tensors are written. Wire format: a key is
 * `(field << 3) | wireType`, varints are little-endian base-128, and nested messages, strings and
 * packed repeated numbers are length-delimited (wire type 2).
 */

/** One attribute of a node: an int, float, ints, floats or string. */
export type OnnxAttribute = number | number[] | string | { float: number } | { floats: number[] };

/** One ONNX node: operator, input and output value names, attributes. */
export interface OnnxNode {
  opType: string;
  inputs: string[];
  outputs: string[];
  name: string;
  attributes?: Record<string, OnnxAttribute>;
}

/** A constant tensor (an initializer). */
export interface OnnxTensor {
  name: string;
  dims: number[];
  /** float32 values, or int64 values given as numbers. */
  data: Float32Array | { int64: number[] };
}

/** A graph input or output: float32, dims as numbers or a symbolic name (`'n'`). */
export interface OnnxValue {
  name: string;
  dims: (number | string)[];
}

/** The model: one graph at one default-domain opset. */
export interface OnnxModel {
  opset: number;
  producer: string;
  nodes: OnnxNode[];
  initializers: OnnxTensor[];
  inputs: OnnxValue[];
  outputs: OnnxValue[];
}

/** ONNX IR version that goes with opsets up to 17 (onnx/docs/Versioning.md). */
const IR_VERSION = 8;
const FLOAT = 1;
const INT64 = 7;
/** AttributeProto.AttributeType. */
const ATTR = { FLOAT: 1, INT: 2, STRING: 3, FLOATS: 6, INTS: 7 } as const;

/** Appends protobuf fields to a growing list of byte chunks. */
class Writer {
  private chunks: Uint8Array[] = [];

  private varint(value: number | bigint): void {
    // Negative int64 values are written as their 64-bit two's complement (10 bytes).
    let v = BigInt.asUintN(64, BigInt(value));
    const bytes: number[] = [];
    do {
      let b = Number(v & 0x7fn);
      v >>= 7n;
      if (v > 0n) b |= 0x80;
      bytes.push(b);
    } while (v > 0n);
    this.chunks.push(Uint8Array.from(bytes));
  }

  private key(field: number, wireType: number): void {
    this.varint((field << 3) | wireType);
  }

  int(field: number, value: number): this {
    this.key(field, 0);
    this.varint(value);
    return this;
  }

  float(field: number, value: number): this {
    this.key(field, 5);
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, value, true);
    this.chunks.push(b);
    return this;
  }

  bytes(field: number, value: Uint8Array): this {
    this.key(field, 2);
    this.varint(value.length);
    this.chunks.push(value);
    return this;
  }

  string(field: number, value: string): this {
    return this.bytes(field, new TextEncoder().encode(value));
  }

  message(field: number, build: (w: Writer) => void): this {
    const inner = new Writer();
    build(inner);
    return this.bytes(field, inner.finish());
  }

  finish(): Uint8Array {
    const out = new Uint8Array(this.chunks.reduce((s, c) => s + c.length, 0));
    let o = 0;
    for (const c of this.chunks) {
      out.set(c, o);
      o += c.length;
    }
    return out;
  }
}

function writeTensor(w: Writer, t: OnnxTensor): void {
  for (const d of t.dims) w.int(1, d);
  if (t.data instanceof Float32Array) {
    w.int(2, FLOAT).string(8, t.name);
    // raw_data is little-endian; copy so a view into a larger buffer writes only its own bytes.
    w.bytes(9, new Uint8Array(Float32Array.from(t.data).buffer));
  } else {
    w.int(2, INT64).string(8, t.name);
    const raw = new BigInt64Array(t.data.int64.map((v) => BigInt(v)));
    w.bytes(9, new Uint8Array(raw.buffer));
  }
}

function writeAttribute(w: Writer, name: string, a: OnnxAttribute): void {
  w.string(1, name);
  if (typeof a === 'number') w.int(3, a).int(20, ATTR.INT);
  else if (typeof a === 'string') w.bytes(4, new TextEncoder().encode(a)).int(20, ATTR.STRING);
  else if (Array.isArray(a)) {
    for (const v of a) w.int(8, v);
    w.int(20, ATTR.INTS);
  } else if ('float' in a) w.float(2, a.float).int(20, ATTR.FLOAT);
  else {
    for (const v of a.floats) w.float(7, v);
    w.int(20, ATTR.FLOATS);
  }
}

function writeValue(w: Writer, v: OnnxValue): void {
  w.string(1, v.name).message(2, (type) =>
    type.message(1, (tensor) =>
      tensor.int(1, FLOAT).message(2, (shape) => {
        for (const d of v.dims) shape.message(1, (dim) => (typeof d === 'number' ? dim.int(1, d) : dim.string(2, d)));
      }),
    ),
  );
}

/** Serialises a model to the bytes of an `.onnx` file. */
export function encodeOnnxModel(model: OnnxModel): Uint8Array {
  const w = new Writer();
  w.int(1, IR_VERSION).string(2, model.producer);
  w.message(7, (g) => {
    for (const n of model.nodes) {
      g.message(1, (nw) => {
        for (const i of n.inputs) nw.string(1, i);
        for (const o of n.outputs) nw.string(2, o);
        nw.string(3, n.name).string(4, n.opType);
        for (const [k, a] of Object.entries(n.attributes ?? {})) nw.message(5, (aw) => writeAttribute(aw, k, a));
      });
    }
    g.string(2, 'tower');
    for (const t of model.initializers) g.message(5, (tw) => writeTensor(tw, t));
    for (const v of model.inputs) g.message(11, (vw) => writeValue(vw, v));
    for (const v of model.outputs) g.message(12, (vw) => writeValue(vw, v));
  });
  w.message(8, (o) => o.string(1, '').int(2, model.opset));
  return w.finish();
}
