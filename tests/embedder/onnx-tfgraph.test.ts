// The graph-model exporter (lib/embedder/onnx-tfgraph.ts) refuses what it cannot export, naming the
// node; tests/faces/blazeface.test.ts holds its output to TF.js on BlazeFace's two real graphs.
import { describe, expect, it } from 'vitest';
import { exportTfGraphOnnx, type TfGraphNode } from '@/lib/embedder/onnx-tfgraph';

const nodes = (op: string, attr: TfGraphNode['attr'] = {}): TfGraphNode[] => [
  { name: 'input', op: 'Placeholder' },
  { name: 'x', op, input: ['input'], attr },
];
const noConstant = () => {
  throw new Error('no constant is read');
};

describe('exportTfGraphOnnx', () => {
  it('refuses an op it has no export for (onnx_export_unsupported)', () => {
    expect(() => exportTfGraphOnnx(nodes('Sigmoid'), ['x'], noConstant, [1, 8, 8, 3])).toThrow(expect.objectContaining({ code: 'onnx_export_unsupported', message: expect.stringContaining('node x (Sigmoid)') }));
  });

  it('refuses a max pool in NCHW or with explicit padding', () => {
    const nchw = { data_format: { s: Buffer.from('NCHW').toString('base64') }, padding: { s: Buffer.from('VALID').toString('base64') } };
    expect(() => exportTfGraphOnnx(nodes('MaxPool', nchw), ['x'], noConstant, [1, 8, 8, 3])).toThrow(expect.objectContaining({ code: 'onnx_export_unsupported', message: expect.stringContaining('only NHWC') }));
    const explicit = { padding: { s: Buffer.from('EXPLICIT').toString('base64') }, ksize: { list: { i: ['1', '2', '2', '1'] } }, strides: { list: { i: ['1', '2', '2', '1'] } } };
    expect(() => exportTfGraphOnnx(nodes('MaxPool', explicit), ['x'], noConstant, [1, 8, 8, 3])).toThrow(expect.objectContaining({ code: 'onnx_export_unsupported', message: expect.stringContaining('padding EXPLICIT') }));
  });
});
