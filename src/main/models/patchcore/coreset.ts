/**
 * Greedy coreset (k-center) selection, PatchCore's memory-bank subsampling: repeatedly pick the pool row farthest
 * from everything picked so far. Distances are computed on a seeded Gaussian random projection (Johnson–
 * Lindenstrauss: distances kept within a small factor at a fraction of the cost).
 *
 * Speed: the projection is one ORT MatMul. The greedy loop keeps the running min-distance vector and, per pick,
 * updates it with one matrix-vector product done by ORT (the projected pool is an initializer of a small graph:
 * ‖p‖² − 2p·c + ‖c‖², Min with the running vector, ArgMax for the next pick). A plain typed-array loop measured
 * ~0.5 GFLOP/s here (25 s for 50k x 2k x 128); ORT's threaded MatMul is several times faster (bench/patchcore.ts).
 */
import { GraphBuilder } from '../../engine/onnx/graph.js';
import { serializeModel } from '../../engine/onnx/proto.js';
import { gaussian, mulberry32 } from '../random.js';
import { openSession, ort } from '../session.js';

/** pool [n, dim] row-major -> [n, projDim] with a seeded N(0, 1/projDim) matrix. */
export async function randomProjection(pool: Float32Array, n: number, dim: number, projDim: number, seed: number): Promise<Float32Array> {
  if (projDim >= dim) return pool.subarray(0, n * dim);
  const R = projectionMatrix(dim, projDim, seed);
  const b = new GraphBuilder('projection');
  const x = b.input('x', 'float32', ['n', dim]);
  b.node('MatMul', [x, b.initializer('R', 'float32', [dim, projDim], R)], {}, { outputs: ['y'] });
  b.output('y', 'float32', ['n', projDim]);
  const { session } = await openSession(serializeModel(b.build()), 'projection graph');
  try {
    const out = await session.run({ x: new ort.Tensor('float32', pool.subarray(0, n * dim), [n, dim]) });
    return out.y.data as Float32Array;
  } finally {
    await session.release();
  }
}

/** Indices of k rows of `points` [n, d] chosen by greedy k-center, starting from a seeded random row. */
export async function greedyCoreset(
  points: Float32Array,
  n: number,
  d: number,
  k: number,
  seed: number,
  onPick?: (done: number, total: number) => void,
): Promise<Int32Array> {
  const count = Math.min(k, n);
  const picks = new Int32Array(count);
  if (count === 0) return picks;
  const norms = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < d; j++) s += points[i * d + j] ** 2;
    norms[i] = s;
  }
  const b = new GraphBuilder('coreset_step');
  const idx = b.input('idx', 'int64', [1]);
  const minD = b.input('min_d', 'float32', [n]);
  const P = b.initializer('P', 'float32', [n, d], points.subarray(0, n * d));
  const N = b.initializer('norms', 'float32', [n], norms);
  const c = b.op('Gather', [P, idx], { axis: 0 }); // [1, d]
  const cN = b.op('Gather', [N, idx], { axis: 0 }); // [1]
  const dots = b.op('Reshape', [b.op('MatMul', [P, b.op('Transpose', [c])]), b.constInt64([-1])]); // [n]
  const dist = b.op('Add', [b.op('Sub', [N, b.op('Mul', [dots, b.constFloat(2)])]), cN]);
  b.node('Min', [minD, dist], {}, { outputs: ['next_min'] });
  b.node('ArgMax', ['next_min'], { axis: 0, keepdims: 1 }, { outputs: ['next_idx'] });
  b.output('next_min', 'float32', [n]);
  b.output('next_idx', 'int64', [1]);
  const { session } = await openSession(serializeModel(b.build()), 'coreset graph');
  try {
    let cur = BigInt(Math.floor(mulberry32(seed)() * n));
    let running = new Float32Array(n).fill(3.4e38);
    for (let t = 0; t < count; t++) {
      picks[t] = Number(cur);
      const out = await session.run({
        idx: new ort.Tensor('int64', BigInt64Array.of(cur), [1]),
        min_d: new ort.Tensor('float32', running, [n]),
      });
      running = out.next_min.data as Float32Array<ArrayBuffer>;
      cur = (out.next_idx.data as BigInt64Array)[0];
      if (onPick && (t & 127) === 0) onPick(t, count);
    }
  } finally {
    await session.release();
  }
  return picks;
}

/**
 * Greedy k-center in a plain typed-array loop, for small per-image sets (a few thousand rows, a few hundred picks)
 * where building an ORT session per image would cost more than the loop.
 */
export function greedyCoresetSmall(points: Float32Array, n: number, d: number, k: number, start: number): Int32Array {
  const count = Math.min(k, n);
  const picks = new Int32Array(count);
  const minD = new Float32Array(n).fill(Infinity);
  let cur = start % Math.max(n, 1);
  for (let t = 0; t < count; t++) {
    picks[t] = cur;
    const c = cur * d;
    let best = -1;
    let bestIdx = 0;
    for (let i = 0, row = 0; i < n; i++, row += d) {
      let s = 0;
      for (let j = 0; j < d; j++) {
        const a = points[row + j] - points[c + j];
        s += a * a;
      }
      const m = s < minD[i] ? (minD[i] = s) : minD[i];
      if (m > best) {
        best = m;
        bestIdx = i;
      }
    }
    cur = bestIdx;
  }
  return picks;
}

/** The seeded projection matrix [dim, projDim] used both in-graph and in JS. */
export function projectionMatrix(dim: number, projDim: number, seed: number): Float32Array {
  const g = gaussian(mulberry32(seed ^ 0x9e3779b9));
  const R = new Float32Array(dim * projDim);
  const s = 1 / Math.sqrt(projDim);
  for (let i = 0; i < R.length; i++) R[i] = g() * s;
  return R;
}
