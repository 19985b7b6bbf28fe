import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../../../src/cli/index.js';
import { parseNpy, serializeNpy } from '../../../../src/main/engine/npy.js';
import { GraphBuilder } from '../../../../src/main/engine/onnx/graph.js';
import { serializeModel } from '../../../../src/main/engine/onnx/proto.js';

const run = promisify(execFile);
let dir: string;

/** loss = sum(relu(x @ W + b)) with x [2,3] = [[1,2,3],[4,5,6]], W = I-like [3,2], b = [0, -100]. */
function tinyModel(): Uint8Array {
  const g = new GraphBuilder('tiny', 13);
  const x = g.input('x', 'float32', [2, 3]);
  const w = g.initializer('layer/W:0', 'float32', [3, 2], Float32Array.from([1, 0, 0, 1, 0, 0]));
  const b = g.initializer('b', 'float32', [2], Float32Array.from([0, -100]));
  const steps = g.initializer('steps', 'int64', [1], BigInt64Array.from([1n]));
  const y = g.op('Relu', [g.op('Add', [g.op('MatMul', [x, w]), b])]);
  const loss = g.op('ReduceSum', [y], { keepdims: 0 });
  g.output(loss, 'float32', []);
  g.output(g.op('Identity', [steps]), 'int64', [1]);
  return serializeModel(g.build());
}

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(['grad', ...args], { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'grad-cli-'));
  await writeFile(path.join(dir, 'tiny.onnx'), tinyModel());
  await writeFile(path.join(dir, 'x.npy'), serializeNpy({ dtype: 'float32', shape: [2, 3], data: Float32Array.from([1, 2, 3, 4, 5, 6]) }));
  await writeFile(path.join(dir, 'x_bad.npy'), serializeNpy({ dtype: 'float32', shape: [3, 2], data: new Float32Array(6) }));
  await writeFile(path.join(dir, 'not.onnx'), 'this is not a model');
});

describe('grad CLI', () => {
  it('writes loss and percent-encoded gradient files (real process, with --repeat)', async () => {
    const out = path.join(dir, 'ok');
    const r = await run('node', ['bin/defect-studio.js', 'grad', path.join(dir, 'tiny.onnx'), '--input', `x=${path.join(dir, 'x.npy')}`, '--out', out, '--repeat', '3']);
    const line = JSON.parse(r.stdout.trim()) as { ms_per_step: number; steps: number };
    expect(line.steps).toBe(3);
    expect(line.ms_per_step).toBeGreaterThan(0);
    expect((await readdir(out)).sort()).toEqual(['b.npy', 'layer%2FW%3A0.npy', 'loss.npy']);
    // y = x @ W + b = [[1,2-100],[4,5-100]] -> relu keeps column 0 only; loss = 1 + 4.
    expect(Array.from(parseNpy(await readFile(path.join(out, 'loss.npy'))).data as Float32Array)).toEqual([5]);
    const dW = parseNpy(await readFile(path.join(out, 'layer%2FW%3A0.npy')));
    expect(dW.shape).toEqual([3, 2]);
    expect(Array.from(dW.data as Float32Array)).toEqual([5, 0, 7, 0, 9, 0]); // column sums of x where relu passes
    expect(Array.from(parseNpy(await readFile(path.join(out, 'b.npy'))).data as Float32Array)).toEqual([2, 0]);
  });

  it.each([
    ['a file that is not ONNX', ['not.onnx', '--input', 'x=x.npy'], /not\.onnx is not an ONNX model/],
    ['a missing input', ['tiny.onnx'], /Missing input "x": pass --input x=FILE\.npy/],
    ['an unknown input name', ['tiny.onnx', '--input', 'x=x.npy', '--input', 'y=x.npy'], /The model has no input "y"/],
    ['an .npy shape mismatch', ['tiny.onnx', '--input', 'x=x_bad.npy'], /Input "x" \(.*x_bad\.npy\) has shape \(3, 2\) but the model expects \(2, 3\)/],
    ['a missing model file', ['nope.onnx', '--input', 'x=x.npy'], /Cannot read model .*nope\.onnx/],
  ])('rejects %s with exit code 2 and writes nothing', async (_what, args, message) => {
    const out = path.join(dir, `bad-${Math.random().toString(36).slice(2)}`);
    const abs = args.map((a) => (a.includes('=') ? a.replace(/=(.*)$/, (_m, f: string) => `=${path.join(dir, f)}`) : a.endsWith('.onnx') ? path.join(dir, a) : a));
    const r = await cli([...abs, '--out', out]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(message);
    await expect(readdir(out)).rejects.toThrow(/ENOENT/);
    expect((await readdir(dir)).filter((f) => f.includes('.tmp-'))).toEqual([]);
  });

  it('runs BatchNormalization in training mode (ORT must not fuse it into the Conv with running statistics)', async () => {
    // loss = sum(BN(conv(x))^2) with batch statistics, scale 1, bias 0: exactly N*C*H*W (minus eps) whatever x is.
    const g = new GraphBuilder('bn', 15);
    const x = g.input('x', 'float32', [2, 2, 1, 3]);
    const w = g.initializer('conv.w', 'float32', [2, 2, 1, 1], Float32Array.from([1, 0.5, -1, 2]));
    const [y] = g.node('BatchNormalization', [g.op('Conv', [x, w]), g.initializer('bn.scale', 'float32', [2], Float32Array.from([1, 1])), g.initializer('bn.bias', 'float32', [2], Float32Array.from([0, 0])), g.initializer('bn.mean', 'float32', [2], Float32Array.from([0, 0])), g.initializer('bn.var', 'float32', [2], Float32Array.from([1, 1]))], { training_mode: 1, epsilon: 1e-5 }, { outputs: 3 });
    g.output(g.op('ReduceSum', [g.op('Mul', [y, y])], { keepdims: 0 }), 'float32', []);
    await writeFile(path.join(dir, 'bn.onnx'), serializeModel(g.build()));
    await writeFile(path.join(dir, 'xbn.npy'), serializeNpy({ dtype: 'float32', shape: [2, 2, 1, 3], data: Float32Array.from([3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8]) }));
    const out = path.join(dir, 'bn-out');
    const r = await cli([path.join(dir, 'bn.onnx'), '--input', `x=${path.join(dir, 'xbn.npy')}`, '--out', out]);
    expect(r.code).toBe(0);
    const loss = parseNpy(await readFile(path.join(out, 'loss.npy'))).data[0] as number;
    expect(loss).toBeCloseTo(12, 3);
    // Running statistics carry no gradient; the conv weight's gradient is ~0 because BN removes any scaling of it.
    expect((await readdir(out)).sort()).toEqual(['bn.bias.npy', 'bn.scale.npy', 'conv.w.npy', 'loss.npy']);
  });

  it('rejects a non-scalar loss and an unsupported op with exit code 2', async () => {
    const g = new GraphBuilder('bad', 17);
    const w = g.initializer('w', 'float32', [3], Float32Array.from([1, 2, 3]));
    g.output(g.op('Relu', [w]), 'float32', [3]);
    await writeFile(path.join(dir, 'vec.onnx'), serializeModel(g.build()));
    const r1 = await cli([path.join(dir, 'vec.onnx'), '--out', path.join(dir, 'o1')]);
    expect(r1.code).toBe(2);
    expect(r1.err).toMatch(/must be a floating-point scalar/);

    const h = new GraphBuilder('bad2', 17);
    const v = h.initializer('v', 'float32', [3], Float32Array.from([1, 2, 3]));
    h.output(h.op('ReduceSum', [h.op('CumSum', [v, h.constInt64(0)], {}, 'cum')], { keepdims: 0 }), 'float32', []);
    await writeFile(path.join(dir, 'cumsum.onnx'), serializeModel(h.build()));
    const r2 = await cli([path.join(dir, 'cumsum.onnx'), '--out', path.join(dir, 'o2')]);
    expect(r2.code).toBe(2);
    expect(r2.err).toMatch(/no VJP rule for CumSum \(node "cum"\)/);
    await expect(readdir(path.join(dir, 'o2'))).rejects.toThrow(/ENOENT/);
  });
});
