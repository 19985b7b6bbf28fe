/**
 * Same-process A/B of saved training graphs (issue 4): loads each FILE (written by
 * `src/main/engine/zoo/benchStep.ts build ...`), opens one session per file, runs their training steps
 * alternately and prints, per file, CPU and wall time per step (min and median) and the first loss. CPU time at one
 * intra-op thread is what the engine README's session-3 choices were made on: on the shared 2-core machine wall
 * time moved 2-5x between runs while CPU time moved a few percent.
 *
 *   node --import tsx scripts/bench/engine-ab.ts [--net resnet18|unet] [--threads 1] [--steps 8] A.onnx B.onnx[:nchwc]
 *
 * A `:nchwc` suffix runs that file's forward Convs on ORT's NCHWc kernels (runtime/nchwc.ts); `:nospin` lets idle
 * intra-op threads sleep (SessionSettings.spinning = false); `:par` runs it with ORT's parallel executor (inter-op
 * threads: AB_INTER_THREADS, default 2). State outputs go to
 * pre-allocated buffers as in the Trainer; the state is not advanced (every step sees the initial weights).
 */
import * as ort from 'onnxruntime-node';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { randomFeeds } from '../../src/main/engine/autodiff/shapes.js';
import { serializeModel } from '../../src/main/engine/onnx/proto.js';
import { loadTrainingModel } from '../../src/main/engine/optim/trainingFile.js';
import { rewriteLateConvsToBatchGemm } from '../../src/main/engine/runtime/batchConv.js';
import { nchwcBlockSize, rewriteConvsToNchwc } from '../../src/main/engine/runtime/nchwc.js';
import { sessionOptions } from '../../src/main/engine/runtime/providers.js';
import { resnet18, smallUnet } from '../../src/main/engine/zoo/index.js';

interface Arm {
  file: string;
  session: ort.InferenceSession;
  feeds: Record<string, ort.Tensor>;
  fetches: Record<string, ort.Tensor | null>;
  cpu: number[];
  wall: number[];
  loss0?: number;
}

function median(a: number[]): number {
  const b = [...a].sort((x, y) => x - y);
  return b.length % 2 ? b[b.length >> 1] : (b[b.length / 2 - 1] + b[b.length / 2]) / 2;
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { net: { type: 'string', default: 'resnet18' }, threads: { type: 'string', default: '1' }, steps: { type: 'string', default: '8' } },
  });
  if (positionals.length === 0) throw new Error('usage: engine-ab.ts [--net resnet18|unet] [--threads N] [--steps N] FILE[:nchwc] ...');
  const net = values.net === 'unet' ? smallUnet({ batch: 8, size: 256 }) : resnet18({ batch: 16, size: 128 });
  const batch = randomFeeds(net.model, 7);
  const arms: Arm[] = [];
  for (const arg of positionals) {
    const [file, mode] = arg.split(':');
    const tm = await loadTrainingModel(file);
    // ':bgemm' (or ':bgemmN', N the positions threshold) runs late forward Convs as one batched MatMul (runtime/batchConv.ts).
    const model = mode === 'nchwc'
      ? rewriteConvsToNchwc(tm.model, await nchwcBlockSize()).model
      : mode?.startsWith('bgemm')
        ? rewriteLateConvsToBatchGemm(tm.model, Number(mode.slice(5) || 256)).model
        : tm.model;
    const options = sessionOptions({ provider: 'cpu', threads: Number(values.threads), spinning: mode !== 'nospin' });
    // ':par' runs independent nodes (dX and dW of a layer, the per-parameter optimizer chains) concurrently.
    if (mode === 'par') Object.assign(options, { executionMode: 'parallel', interOpNumThreads: Number(process.env.AB_INTER_THREADS ?? 2) });
    const session = await ort.InferenceSession.create(serializeModel(model), options);
    const feeds: Record<string, ort.Tensor> = { ...batch };
    feeds[tm.lrInput] = new ort.Tensor('float32', Float32Array.of(1e-3), []);
    feeds[tm.stepInput] = new ort.Tensor('float32', Float32Array.of(1), []);
    const fetches: Record<string, ort.Tensor | null> = {};
    for (const o of session.outputNames) fetches[o] = null;
    for (const s of tm.state) {
      feeds[s.input] = new ort.Tensor('float32', s.initial as Float32Array, s.dims);
      fetches[s.output] = new ort.Tensor('float32', new Float32Array(s.initial.length), s.dims);
    }
    arms.push({ file: arg, session, feeds, fetches, cpu: [], wall: [] });
  }
  const steps = Number(values.steps);
  for (let i = 0; i < steps + 2; i++) {
    // A B, B A, A B, ...: the arm that runs second in a pair measured 15-20 ms (~2 %) faster in either order
    // (ResNet-18, 1 thread, session 4), so a fixed order biases the comparison.
    for (const a of i % 2 ? [...arms].reverse() : arms) {
      const c0 = process.cpuUsage();
      const w0 = performance.now();
      const out = await a.session.run(a.feeds, a.fetches);
      const c = process.cpuUsage(c0);
      const w = performance.now() - w0;
      a.loss0 ??= Number((out[a.session.outputNames[0]].data as Float32Array)[0]);
      if (i >= 2) {
        a.cpu.push((c.user + c.system) / 1000);
        a.wall.push(w);
      }
    }
  }
  for (const a of arms) {
    const r = (v: number) => Math.round(v);
    process.stdout.write(JSON.stringify({ file: a.file, threads: Number(values.threads), steps, loss0: a.loss0, cpu_ms_min: r(Math.min(...a.cpu)), cpu_ms_median: r(median(a.cpu)), wall_ms_min: r(Math.min(...a.wall)), wall_ms_median: r(median(a.wall)) }) + '\n');
    await a.session.release();
  }
}

main().catch((e: unknown) => {
  process.stderr.write(String((e as Error).stack ?? e) + '\n');
  process.exitCode = 1;
});
