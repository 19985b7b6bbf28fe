import { describe, expect, it } from 'vitest';
import * as ort from 'onnxruntime-node';
import { buildBackward, buildBackwardDetailed } from '../../../../src/main/engine/autodiff/backward.js';
import { probeShapes } from '../../../../src/main/engine/autodiff/shapes.js';
import { GraphBuilder } from '../../../../src/main/engine/onnx/graph.js';
import { serializeModel } from '../../../../src/main/engine/onnx/proto.js';

const t = (data: number[], dims: number[]) => new ort.Tensor('float32', Float32Array.from(data), dims);

describe('buildBackward walker', () => {
  it('sums the gradients of a value used twice (fan-in): d/dw sum(w*w + w) = 2w + 1', async () => {
    const g = new GraphBuilder('fan');
    const w = g.initializer('w', 'float32', [3], Float32Array.from([1, -2, 0.5]));
    const loss = g.op('ReduceSum', [g.op('Add', [g.op('Mul', [w, w]), w])], { keepdims: 0 });
    g.output(loss, 'float32', []);
    const model = g.build();
    const back = buildBackward(model, loss, ['w'], { shapes: await probeShapes(model, {}) });
    const out = await (await ort.InferenceSession.create(serializeModel(back))).run({});
    expect(Array.from(out['grad.w'].data as Float32Array)).toEqual([3, -3, 2]);
  });

  it('names the op, the node and the path from the wrt input when a rule is missing', async () => {
    const g = new GraphBuilder('missing');
    const x = g.input('x', 'float32', [4]);
    const w = g.initializer('w', 'float32', [4], Float32Array.from([1, 2, 3, 4]));
    const h = g.op('Mul', [x, w], {}, 'scale');
    const c = g.op('CumSum', [h, g.constInt64(0)], {}, 'running');
    const loss = g.op('ReduceSum', [c], { keepdims: 0 }, 'total');
    g.output(loss, 'float32', []);
    const model = g.build();
    const shapes = await probeShapes(model, { x: t([1, 1, 1, 1], [4]) });
    expect(() => buildBackward(model, loss, ['w'], { shapes })).toThrow(/no VJP rule for CumSum \(node "running"\), reached by "w" -> "scale" \(Mul\) -> "running" \(CumSum\)/);
  });

  it('rejects a loss that is not a scalar', async () => {
    const g = new GraphBuilder('nonscalar');
    const w = g.initializer('w', 'float32', [2], Float32Array.from([1, 2]));
    const y = g.op('Relu', [w]);
    g.output(y);
    const model = g.build();
    expect(() => buildBackward(model, y, ['w'], { shapes: new Map([[w, { dtype: 'float32' as const, dims: [2] }], [y, { dtype: 'float32' as const, dims: [2] }]]) })).toThrow(/must be a floating-point scalar.*shape \[2\]/);
  });

  it('stops at shape-only subgraphs and integer values, and prunes what the outputs do not need', async () => {
    const g = new GraphBuilder('shapeonly');
    const x = g.input('x', 'float32', [2, 3]);
    const w = g.initializer('w', 'float32', [3], Float32Array.from([1, 2, 3]));
    const y = g.op('Mul', [x, w]);
    // Reshape target computed from Shape (like PyTorch's flatten export): no gradient flows into it.
    const shape = g.op('Shape', [y]);
    const n = g.op('Gather', [shape, g.constInt64(0)], { axis: 0 });
    const target = g.op('Concat', [g.op('Unsqueeze', [n, g.constInt64([0])]), g.constInt64([-1])], { axis: 0 });
    const flat = g.op('Reshape', [y, target]);
    const unused = g.op('Exp', [w]);
    g.output(unused);
    const loss = g.op('ReduceSum', [flat], { keepdims: 0 });
    g.output(loss, 'float32', []);
    const model = g.build();
    const feeds = { x: t([1, 2, 3, 4, 5, 6], [2, 3]) };
    const res = buildBackwardDetailed(model, loss, ['w'], { shapes: await probeShapes(model, feeds) });
    expect(res.model.graph!.node!.some((nd) => nd.opType === 'Exp')).toBe(false);
    expect([...res.flowing]).toEqual(['w']);
    const out = await (await ort.InferenceSession.create(serializeModel(res.model))).run(feeds);
    expect(Array.from(out['grad.w'].data as Float32Array)).toEqual([5, 7, 9]);
  });

  it('gives zeros for a wrt tensor the loss does not depend on', async () => {
    const g = new GraphBuilder('unused');
    const a = g.initializer('a', 'float32', [2], Float32Array.from([1, 2]));
    const b = g.initializer('b', 'float32', [2, 2], Float32Array.from([1, 2, 3, 4]));
    const loss = g.op('ReduceSum', [a], { keepdims: 0 });
    g.output(loss, 'float32', []);
    g.output(g.op('Identity', [b]));
    const model = g.build();
    const res = buildBackwardDetailed(model, loss, ['a', 'b'], { shapes: await probeShapes(model, {}) });
    expect([...res.flowing]).toEqual(['a']);
    const out = await (await ort.InferenceSession.create(serializeModel(res.model))).run({});
    expect(Array.from(out['grad.b'].data as Float32Array)).toEqual([0, 0, 0, 0]);
    expect(out['grad.b'].dims).toEqual([2, 2]);
  });
});
