/**
 * Engine training-step benchmark for one zoo network, in two child processes so the timed one's peak RSS is the
 * training session's alone: `build` probes shapes, builds forward + backward + Adam and saves it; `time` loads it,
 * runs warm-up steps and times `steps` steps. FLOPs are 3x the forward's dense FLOPs (Conv, ConvTranspose, Gemm,
 * MatMul), compared with ORT's own MatMul peak on this machine.
 */
import * as ort from 'onnxruntime-node';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { readAttr } from '../autodiff/kit.js';
import { probeShapes, randomFeeds, type ShapeMap } from '../autodiff/shapes.js';
import { GraphBuilder } from '../onnx/graph.js';
import { serializeModel, type ModelProto } from '../onnx/proto.js';
import { buildTrainingModel } from '../optim/trainingGraph.js';
import { loadTrainingModel, saveTrainingModel } from '../optim/trainingFile.js';
import { Rng } from '../rng.js';
import { Trainer } from '../runtime/trainer.js';
import { resnet18, smallUnet, type ZooModel } from './index.js';

export interface EngineStepResult {
  model: string;
  batch: number;
  size: number;
  threads: number;
  steps: number;
  ms_per_step_median: number;
  ms_per_step_min: number;
  session_ms: number;
  peak_rss_mb: number;
}

function product(a: readonly number[]): number {
  return a.reduce((x, y) => x * y, 1);
}

/** Multiply-add FLOPs (2 per MAC) of the dense ops of a model, given shapes of its values. */
export function denseFlops(model: ModelProto, shapes: ShapeMap): number {
  let flops = 0;
  for (const n of model.graph?.node ?? []) {
    const s = (i: number) => shapes.get(n.input?.[i] ?? '')?.dims;
    const o = shapes.get(n.output?.[0] ?? '')?.dims;
    if (!o) continue;
    if (n.opType === 'Conv') {
      const w = s(1);
      if (w) flops += 2 * product(o) * product(w.slice(1));
    } else if (n.opType === 'ConvTranspose') {
      const x = s(0);
      const w = s(1);
      const g = Number(readAttr(n, 'group') ?? 1);
      if (x && w) flops += 2 * product(x) * (w[1] * g / g) * product(w.slice(2));
    } else if (n.opType === 'Gemm' || n.opType === 'MatMul' || n.opType === 'FusedMatMul') {
      const a = s(0);
      if (a) {
        const tA = n.opType !== 'MatMul' && Number(readAttr(n, 'transA') ?? 0) === 1;
        const k = tA ? a[a.length - 2] : a[a.length - 1];
        flops += 2 * product(o) * k;
      }
    }
  }
  return flops;
}

/** ORT's MatMul GFLOP/s on n x n matrices (the peak our steps are compared with). */
export async function ortMatMulPeak(threads: number, n = 2048, reps = 8): Promise<number> {
  const g = new GraphBuilder('peak');
  g.output(g.op('MatMul', [g.input('a', 'float32', [n, n]), g.input('b', 'float32', [n, n])]), 'float32', [n, n]);
  const s = await ort.InferenceSession.create(serializeModel(g.build()), { intraOpNumThreads: threads, graphOptimizationLevel: 'all' });
  const rng = new Rng(1);
  const t = (): ort.Tensor => new ort.Tensor('float32', Float32Array.from(rng.uniforms(n * n, -1, 1)), [n, n]);
  const feeds = { a: t(), b: t() };
  await s.run(feeds);
  let best = Infinity;
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    await s.run(feeds);
    best = Math.min(best, performance.now() - t0);
  }
  await s.release();
  return (2 * n ** 3) / (best / 1000) / 1e9;
}


export interface BuildResult {
  build_ms: number;
  build_peak_rss_mb: number;
  /** Dense FLOPs of one training step, estimated as 3x the forward's (forward, dX, dW). */
  gflop_per_step: number;
  nodes: number;
}

/** Probes, builds forward + backward + Adam for one zoo network and saves it (see optim/trainingFile.ts). */
export async function buildBenchModel(name: 'resnet18' | 'unet', batch: number, size: number, file: string): Promise<BuildResult> {
  const z = name === 'resnet18' ? resnet18({ batch, size }) : smallUnet({ batch, size });
  const feeds = randomFeeds(z.model, 7);
  const t0 = performance.now();
  const shapes = await probeShapes(z.model, feeds);
  const flops = 3 * denseFlops(z.model, shapes);
  const tm = buildTrainingModel(z.model, { loss: z.loss, optimizer: { kind: 'adam' }, shapes, params: z.params });
  const buildMs = performance.now() - t0;
  await saveTrainingModel(file, tm);
  return {
    build_ms: Math.round(buildMs),
    build_peak_rss_mb: Math.round(process.resourceUsage().maxRSS / 1024),
    gflop_per_step: Number((flops / 1e9).toFixed(2)),
    nodes: tm.model.graph!.node!.length,
  };
}

/** Loads a saved training model and times `steps` steps after `warmup` (peak RSS = this process only). */
export async function timeBenchModel(file: string, name: 'resnet18' | 'unet', batch: number, size: number, opts: { steps?: number; warmup?: number; threads?: number } = {}): Promise<EngineStepResult> {
  const threads = opts.threads ?? 2;
  const z = name === 'resnet18' ? resnet18({ batch, size }) : smallUnet({ batch, size });
  const feeds = randomFeeds(z.model, 7);
  const tm = await loadTrainingModel(file);
  const t1 = performance.now();
  // BENCH_ENGINE_NCHWC=1 runs the forward Convs on ORT's NCHWc kernels (runtime/nchwc.ts), BENCH_ENGINE_SPIN=0 lets
  // idle intra-op threads sleep instead of spinning, BENCH_ENGINE_BGEMM=0 see below: switches for A/B runs.
  const trainer = await Trainer.create(tm, {
    provider: { provider: 'cpu', skipped: [] },
    threads,
    nchwc: process.env.BENCH_ENGINE_NCHWC === '1',
    spinning: process.env.BENCH_ENGINE_SPIN !== '0',
    // BENCH_ENGINE_BGEMM=0: late forward Convs back on ORT's Conv (runtime/batchConv.ts) for an A/B.
    batchGemmMaxPositions: process.env.BENCH_ENGINE_BGEMM === '0' ? 0 : undefined,
  });
  const sessionMs = performance.now() - t1;
  for (let i = 0; i < (opts.warmup ?? 2); i++) await trainer.trainStep(feeds, 1e-3);
  const times: number[] = [];
  for (let i = 0; i < (opts.steps ?? 5); i++) {
    const s = performance.now();
    await trainer.trainStep(feeds, 1e-3);
    times.push(performance.now() - s);
  }
  await trainer.release();
  times.sort((a, b) => a - b);
  const median = times.length % 2 ? times[times.length >> 1] : (times[times.length / 2 - 1] + times[times.length / 2]) / 2;
  return {
    model: name,
    batch,
    size,
    threads,
    steps: times.length,
    ms_per_step_median: Number(median.toFixed(1)),
    ms_per_step_min: Number(times[0].toFixed(1)),
    session_ms: Math.round(sessionMs),
    peak_rss_mb: Math.round(process.resourceUsage().maxRSS / 1024),
  };
}

// CLI: `build NAME BATCH SIZE FILE` or `time NAME BATCH SIZE FILE`; one JSON line on stdout.
if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const [mode, name, batch, size, file] = process.argv.slice(2);
  const net = name === 'unet' ? 'unet' : 'resnet18';
  const steps = Number(process.env.BENCH_ENGINE_STEPS ?? 5);
  const job = mode === 'build' ? buildBenchModel(net, Number(batch), Number(size), file) : timeBenchModel(file, net, Number(batch), Number(size), { steps });
  job
    .then((r) => process.stdout.write(JSON.stringify(r) + '\n'))
    .catch((e: unknown) => {
      process.stderr.write(String((e as Error).stack ?? e) + '\n');
      process.exitCode = 1;
    });
}
