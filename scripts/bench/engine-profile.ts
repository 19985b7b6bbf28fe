/**
 * Per-node profile of a saved training graph (issue 4): ORT `enableProfiling`, `--steps` steps after 2 warm-ups,
 * the minimum of each node's durations (a preempted node only inflates its own maximum), summed per op type, and
 * the slowest nodes. Minima are robust on the shared machine where whole-step wall time is not.
 *
 *   node --import tsx scripts/bench/engine-profile.ts [--threads 2] [--steps 5] [--top 25] FILE.onnx[:bgemm[N]]
 */
import * as ort from 'onnxruntime-node';
import { readdirSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { randomFeeds } from '../../src/main/engine/autodiff/shapes.js';
import { serializeModel } from '../../src/main/engine/onnx/proto.js';
import { loadTrainingModel } from '../../src/main/engine/optim/trainingFile.js';
import { BATCH_GEMM_MAX_POSITIONS, rewriteLateConvsToBatchGemm } from '../../src/main/engine/runtime/batchConv.js';
import { sessionOptions } from '../../src/main/engine/runtime/providers.js';

interface ThreadStats { sub_threads?: Record<string, { num_run: number }> }
interface ProfileEvent { cat: string; name: string; ts: number; dur: number; args?: { op_name?: string; thread_scheduling_stats?: ThreadStats } }

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { threads: { type: 'string', default: '2' }, steps: { type: 'string', default: '5' }, top: { type: 'string', default: '25' } },
  });
  // FILE:bgemm[N] profiles the graph the Trainer runs: late forward Convs as batched MatMuls (runtime/batchConv.ts).
  const [file, mode] = positionals[0].split(':');
  const tm = await loadTrainingModel(file);
  if (mode?.startsWith('bgemm')) tm.model = rewriteLateConvsToBatchGemm(tm.model, Number(mode.slice(5) || BATCH_GEMM_MAX_POSITIONS)).model;
  const dir = await mkdtemp(join(tmpdir(), 'engine-profile-'));
  const opts = { ...sessionOptions({ provider: 'cpu', threads: Number(values.threads) }), enableProfiling: true, profileFilePrefix: join(dir, 'profile') };
  const session = await ort.InferenceSession.create(serializeModel(tm.model), opts);
  // Data inputs from the graph's own declared shapes (any saved training graph, not only ResNet-18's).
  const feeds: Record<string, ort.Tensor> = { ...randomFeeds(tm.model, 7) };
  feeds[tm.lrInput] = new ort.Tensor('float32', Float32Array.of(1e-3), []);
  feeds[tm.stepInput] = new ort.Tensor('float32', Float32Array.of(1), []);
  for (const s of tm.state) feeds[s.input] = new ort.Tensor('float32', s.initial as Float32Array, s.dims);
  const steps = Number(values.steps);
  for (let i = 0; i < steps + 2; i++) await session.run(feeds);
  session.endProfiling();
  await session.release();
  // ORT names the file <prefix>_<date>.json and does not return the name to JavaScript.
  const path = join(dir, readdirSync(dir).find((f) => f.startsWith('profile'))!);
  const events = JSON.parse(await readFile(path, 'utf8')) as ProfileEvent[];
  await rm(dir, { recursive: true, force: true });
  // A node ran on one thread when the pool's workers started no task while it ran (their num_run counters are
  // cumulative, so compare with the previous node's). That holds under any load, unlike durations.
  const perNode = new Map<string, { op: string; durs: number[]; pooled: boolean }>();
  const runs: number[] = [];
  let workerRuns: number | undefined;
  for (const e of [...events].sort((a, b) => a.ts - b.ts)) {
    if (e.cat === 'Session' && e.name === 'model_run') runs.push(e.dur / 1000);
    if (e.cat !== 'Node' || !e.name.endsWith('_kernel_time')) continue;
    const name = e.name.slice(0, -'_kernel_time'.length);
    const n = perNode.get(name) ?? { op: e.args?.op_name ?? '?', durs: [], pooled: false };
    n.durs.push(e.dur / 1000);
    const worker = Object.values(e.args?.thread_scheduling_stats?.sub_threads ?? {}).reduce((a, t) => a + t.num_run, 0);
    if (workerRuns !== undefined && worker > workerRuns) n.pooled = true;
    workerRuns = worker;
    perNode.set(name, n);
  }
  const byOp = new Map<string, { all: number; oneThread: number }>();
  let total = 0;
  let oneThread = 0;
  const nodes = [...perNode.entries()].map(([name, n]) => ({ name, op: n.op, pooled: n.pooled, min: Math.min(...n.durs.slice(2)) }));
  for (const n of nodes) {
    const o = byOp.get(n.op) ?? { all: 0, oneThread: 0 };
    o.all += n.min;
    total += n.min;
    if (!n.pooled) {
      o.oneThread += n.min;
      oneThread += n.min;
    }
    byOp.set(n.op, o);
  }
  const r = (v: number) => Number(v.toFixed(1));
  const threads = Number(values.threads);
  process.stdout.write(JSON.stringify({ threads, run_ms: runs.slice(2).map(r), node_min_sum_ms: r(total), ...(threads > 1 ? { one_thread_node_min_sum_ms: r(oneThread) } : {}) }) + '\n');
  process.stdout.write(`${'op'.padEnd(22)} ${'min sum ms'.padStart(10)}${threads > 1 ? ' of which on one thread' : ''}\n`);
  for (const [op, o] of [...byOp.entries()].sort((a, b) => b[1].all - a[1].all)) {
    if (o.all >= 0.05) process.stdout.write(`${op.padEnd(22)} ${o.all.toFixed(1).padStart(10)}${threads > 1 ? ` ${o.oneThread.toFixed(1).padStart(8)}` : ''}\n`);
  }
  process.stdout.write('--- slowest nodes (min ms; * = ran on one thread)\n');
  for (const n of nodes.sort((a, b) => b.min - a.min).slice(0, Number(values.top))) process.stdout.write(`${n.min.toFixed(2).padStart(8)} ${n.pooled || threads === 1 ? ' ' : '*'} ${n.op.padEnd(16)} ${n.name}\n`);
}

main().catch((e: unknown) => {
  process.stderr.write(String((e as Error).stack ?? e) + '\n');
  process.exitCode = 1;
});
