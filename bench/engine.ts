/**
 * Engine half of the training benchmark (issue 4): forward + backward + Adam step of zoo resnet18 (128 px,
 * batch 16) and smallUnet (256 px, batch 8) on 2 intra-op threads, each in its own process so peak RSS is that
 * network's; GFLOP/s of the step against ORT's own MatMul peak here. Where PyTorch is importable the same
 * networks are timed right after ours (bench/engine-pytorch.ts's runner) and the ratio is reported
 * (goal: engine <= 0.7x PyTorch time, RSS <= 1.5x). BENCH_ENGINE_COMPARE=0 skips that second PyTorch run.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import type { BuildResult, EngineStepResult } from '../src/main/engine/zoo/benchStep.js';
import { ortMatMulPeak } from '../src/main/engine/zoo/benchStep.js';
import { measureTorchStep, torchUnavailableReason, type TorchStepResult } from './engine-pytorch.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const STEP_SCRIPT = path.join(ROOT, 'src', 'main', 'engine', 'zoo', 'benchStep.ts');

const CASES = [
  { name: 'resnet18_128px_b16', model: 'resnet18' as const, batch: 16, size: 128 },
  { name: 'unet_256px_b8', model: 'unet' as const, batch: 8, size: 256 },
];

function child<T>(args: string[]): Promise<T> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['--import', 'tsx', STEP_SCRIPT, ...args], { cwd: ROOT, timeout: 1_800_000, maxBuffer: 4 << 20 }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`benchStep ${args.join(' ')} failed: ${String(stderr).slice(-2000)}`));
      resolve(JSON.parse(String(stdout).trim().split('\n').pop() ?? '') as T);
    });
  });
}

async function engineStep(model: string, batch: number, size: number): Promise<EngineStepResult & BuildResult> {
  const dir = await mkdtemp(path.join(tmpdir(), 'engine-bench-'));
  try {
    const file = path.join(dir, `${model}.train.onnx`);
    const built = await child<BuildResult>(['build', model, String(batch), String(size), file]);
    const timed = await child<EngineStepResult>(['time', model, String(batch), String(size), file]);
    return { ...built, ...timed };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export async function run(emit: (record: Record<string, unknown>) => void): Promise<void> {
  const threads = 2;
  const peak = await ortMatMulPeak(threads);
  emit({ bench: 'engine.ort_matmul_peak', value: Number(peak.toFixed(2)), unit: 'GFLOP/s', threads, note: '2048^3 MatMul, best of 8 after a warm-up run' });
  const compare = process.env.BENCH_ENGINE_COMPARE !== '0' ? await torchUnavailableReason() : 'BENCH_ENGINE_COMPARE=0';
  for (const c of CASES) {
    const r = await engineStep(c.model, c.batch, c.size);
    const common = { batch: r.batch, size: r.size, threads: r.threads, steps: r.steps, nodes: r.nodes };
    const gflops = r.gflop_per_step / (r.ms_per_step_median / 1000);
    emit({ bench: `engine.${c.name}.step`, value: r.ms_per_step_median, unit: 'ms', min: r.ms_per_step_min, build_ms: r.build_ms, session_ms: r.session_ms, note: 'forward + backward + Adam, median after 2 warm-up steps', ...common });
    emit({ bench: `engine.${c.name}.peak_rss`, value: r.peak_rss_mb, unit: 'MB', build_peak_rss_mb: r.build_peak_rss_mb, note: 'process that loads the saved training graph and trains; the graph is built in another process', ...common });
    emit({ bench: `engine.${c.name}.gflops`, value: Number(gflops.toFixed(2)), unit: 'GFLOP/s', gflop_per_step: r.gflop_per_step, share_of_matmul_peak: Number((gflops / peak).toFixed(3)), note: 'FLOPs = 3x forward dense FLOPs', ...common });
    if (compare) {
      emit({ bench: `engine.${c.name}.vs_pytorch`, skipped: true, reason: compare });
      continue;
    }
    const t: TorchStepResult = await measureTorchStep({ model: c.model, batch: c.batch, size: c.size, threads, steps: Number(process.env.BENCH_TORCH_STEPS ?? 5) });
    emit({
      bench: `engine.${c.name}.vs_pytorch`, value: Number((r.ms_per_step_median / t.ms_per_step_median).toFixed(3)), unit: 'x', target: '<=0.7',
      engine_ms: r.ms_per_step_median, pytorch_ms: t.ms_per_step_median, engine_rss_mb: r.peak_rss_mb, pytorch_rss_mb: t.peak_rss_mb,
      rss_ratio: Number((r.peak_rss_mb / t.peak_rss_mb).toFixed(3)), torch: t.torch,
    });
  }
}
