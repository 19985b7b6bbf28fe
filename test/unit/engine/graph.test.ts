import { describe, expect, it } from 'vitest';
import * as ort from 'onnxruntime-node';
import { GraphBuilder } from '../../../src/main/engine/onnx/graph.js';
import { parseModel, serializeModel, tensorToArray } from '../../../src/main/engine/onnx/proto.js';

describe('GraphBuilder', () => {
  it('builds a model that ORT runs: y = relu(x * w + b)', async () => {
    const g = new GraphBuilder('t');
    const x = g.input('x', 'float32', [2, 3]);
    const w = g.initializer('w', 'float32', [3], Float32Array.from([1, -2, 0.5]));
    const b = g.constFloat(-1);
    const y = g.op('Relu', [g.op('Add', [g.op('Mul', [x, w]), b])]);
    g.output(y);
    const bytes = serializeModel(g.build());
    const session = await ort.InferenceSession.create(bytes);
    const out = await session.run({ x: new ort.Tensor('float32', Float32Array.from([1, 1, 4, 2, -1, 2]), [2, 3]) });
    // row 0: [1-1, -2-1, 2-1] -> [0, 0, 1]; row 1: [2-1, 2-1, 1-1] -> [1, 1, 0]
    expect(Array.from(out[y].data as Float32Array)).toEqual([0, 0, 1, 1, 1, 0]);
  });

  it('round-trips initializers through serialisation', () => {
    const g = new GraphBuilder();
    const w = g.initializer('w', 'float32', [2, 2], Float32Array.from([1, 2, 3, 4]));
    g.output(g.op('Identity', [w]));
    const m = parseModel(serializeModel(g.build()));
    const t = tensorToArray(m.graph!.initializer![0]);
    expect(t.dims).toEqual([2, 2]);
    expect(Array.from(t.data as Float32Array)).toEqual([1, 2, 3, 4]);
  });

  it('rejects bytes that are not ONNX with a sentence naming the source', () => {
    expect(() => parseModel(new TextEncoder().encode('hello, not a model'), 'foo.onnx')).toThrow(/foo\.onnx is not an ONNX model/);
  });
});
