/**
 * PyTorch half of the engine benchmark (issue 4): a training step (forward + backward + Adam) of a ResNet-18-shaped
 * network at 128 px, batch 16, and of a small U-Net at 256 px, batch 8, on 2 threads, timed by
 * scripts/bench/torch_step.py under Debian's /usr/bin/python3 (python3-torch). Where torch is not importable the
 * records say `skipped: true` with the reason, so `npm run bench` and the default test run never need Python.
 *
 * bench/engine.ts can import `measureTorchStep` to put the PyTorch number next to the engine's in one run.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SCRIPT = path.join(ROOT, 'scripts', 'bench', 'torch_step.py');
/** Debian's interpreter has python3-torch; the `python3` first on PATH may be another one without it. */
export const TORCH_PYTHON = process.env.DEFECT_STUDIO_TORCH_PYTHON ?? '/usr/bin/python3';

export interface TorchStepOptions {
  model: 'resnet18' | 'unet';
  batch?: number;
  size?: number;
  classes?: number; // resnet18
  steps?: number;
  warmup?: number;
  threads?: number;
}

export interface TorchStepResult {
  framework: 'pytorch';
  torch: string;
  model: string;
  batch: number;
  size: number;
  threads: number;
  arch: Record<string, unknown>;
  params: number;
  steps: number;
  ms_per_step_median: number;
  ms_per_step_min: number;
  ms_per_step_max: number;
  cpu_ms_per_step_median: number;
  peak_rss_mb: number;
  rss_after_import_mb: number;
}

function runPython(args: string[], timeoutMs: number): Promise<{ ok: boolean; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(TORCH_PYTHON, args, { timeout: timeoutMs, maxBuffer: 4 << 20 }, (err, stdout, stderr) =>
      resolve({ ok: !err, stdout: String(stdout), stderr: String(stderr || (err ? err.message : '')) }),
    );
  });
}

/** Null when torch can be imported; otherwise the reason, for a `skipped` record. */
export async function torchUnavailableReason(): Promise<string | null> {
  const r = await runPython(['-c', 'import torch; print(torch.__version__)'], 60_000);
  if (r.ok) return null;
  const last = r.stderr.trim().split('\n').pop() ?? '';
  return `PyTorch is not importable by ${TORCH_PYTHON} (${last}); install Debian's python3-torch to compare.`;
}

// One `npm run bench` imports every bench file into one process; bench/engine.ts asks for the same networks with
// the same options for its ratio records, so a measurement is reused within the process instead of repeating
// minutes of PyTorch steps.
const measured = new Map<string, Promise<TorchStepResult>>();

export function measureTorchStep(o: TorchStepOptions): Promise<TorchStepResult> {
  const key = JSON.stringify([o.model, o.batch, o.size, o.classes, o.steps, o.warmup, o.threads ?? 2]);
  let p = measured.get(key);
  if (!p) {
    p = measureOnce(o);
    measured.set(key, p);
    p.catch(() => measured.delete(key));
  }
  return p;
}

async function measureOnce(o: TorchStepOptions): Promise<TorchStepResult> {
  const args = ['-B', SCRIPT, '--model', o.model];
  const opt = (name: string, v: number | undefined) => {
    if (v !== undefined) args.push(`--${name}`, String(v));
  };
  opt('batch', o.batch);
  opt('size', o.size);
  opt('classes', o.classes);
  opt('steps', o.steps);
  opt('warmup', o.warmup);
  opt('threads', o.threads ?? 2);
  const r = await runPython(args, 900_000);
  if (!r.ok) throw new Error(`torch_step.py --model ${o.model} failed: ${r.stderr.trim().slice(-2000)}`);
  const line = r.stdout.trim().split('\n').pop() ?? '';
  return JSON.parse(line) as TorchStepResult;
}

/** The two benchmark networks of issue 4: zoo resnet18 and smallUnet, rebuilt in scripts/bench/torch_step.py. */
export const TORCH_BENCH_CASES: { name: string; options: TorchStepOptions }[] = [
  { name: 'resnet18_128px_b16', options: { model: 'resnet18', batch: 16, size: 128 } },
  { name: 'unet_256px_b8', options: { model: 'unet', batch: 8, size: 256 } },
];

export async function run(emit: (record: Record<string, unknown>) => void): Promise<void> {
  const reason = await torchUnavailableReason();
  if (reason) {
    for (const c of TORCH_BENCH_CASES) emit({ bench: `engine.pytorch.${c.name}.step`, skipped: true, reason });
    return;
  }
  const steps = Number(process.env.BENCH_TORCH_STEPS ?? 5); // same default as bench/engine.ts, so it is measured once
  for (const c of TORCH_BENCH_CASES) {
    const r = await measureTorchStep({ ...c.options, threads: 2, steps });
    const common = { torch: r.torch, threads: r.threads, batch: r.batch, size: r.size, arch: r.arch, params: r.params };
    emit({
      bench: `engine.pytorch.${c.name}.step`, value: r.ms_per_step_median, unit: 'ms',
      min: r.ms_per_step_min, max: r.ms_per_step_max, steps: r.steps, cpu_ms_per_step: r.cpu_ms_per_step_median,
      note: 'forward + backward + Adam, median; reference for the engine step (goal: engine <= 0.7x)', ...common,
    });
    emit({
      bench: `engine.pytorch.${c.name}.peak_rss`, value: r.peak_rss_mb, unit: 'MB',
      rss_after_import_mb: r.rss_after_import_mb, note: 'ru_maxrss of a process running only this model', ...common,
    });
  }
}
