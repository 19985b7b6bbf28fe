/**
 * Execution-provider choice: CUDA on Linux, DirectML on Windows, else CPU. Each candidate is tried by opening a
 * one-node session, so "installed but broken" (missing CUDA libraries) falls back with the real reason. The
 * choice and the reasons are returned as data for the job log and the UI.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { GraphBuilder } from '../onnx/graph.js';
import { serializeModel } from '../onnx/proto.js';

export type ProviderName = 'cuda' | 'dml' | 'cpu';

export interface ProviderChoice {
  provider: ProviderName;
  skipped: { provider: ProviderName; reason: string }[];
}

export interface SessionSettings {
  provider?: ProviderName;
  /** Intra-op threads (0 = ORT default: one per physical core). */
  threads?: number;
  /**
   * Whether idle intra-op threads spin between parallel sections (ORT's default, true) or sleep. On the shared,
   * oversubscribed 2-core dev machine (load 10) sleeping cut the ResNet-18 training step's CPU time by ~28 % and
   * its wall time by ~19 % (engine README, session 4); on a quiet machine spinning saves wake-up latency.
   */
  spinning?: boolean;
}

let probeBytes: Uint8Array | undefined;
function probeModel(): Uint8Array {
  if (!probeBytes) {
    const g = new GraphBuilder('probe');
    g.output(g.op('Relu', [g.input('x', 'float32', [1])]), 'float32', [1]);
    probeBytes = serializeModel(g.build());
  }
  return probeBytes;
}

/**
 * ORT's CUDA provider is a separate library that `npm run setup:gpu` downloads next to the binding. When it is
 * absent, skip the probe: opening a CUDA session then only prints a red "cannot open shared object" line.
 */
function missingCudaLibrary(platform: NodeJS.Platform): string | undefined {
  let dir: string;
  try {
    const pkg = path.dirname(createRequire(import.meta.url).resolve('onnxruntime-node/package.json'));
    dir = path.join(pkg, 'bin', 'napi-v6', platform, process.arch);
  } catch {
    return undefined; // layout unknown: let the probe decide
  }
  if (!existsSync(dir) || existsSync(path.join(dir, 'libonnxruntime_providers_cuda.so'))) return undefined;
  return 'ONNX Runtime CUDA libraries are not installed (on a Linux machine with an NVIDIA GPU run `npm run setup:gpu`)';
}

function firstLine(e: unknown): string {
  return ((e as Error).message ?? String(e)).split('\n')[0].replace(/\x1b\[[0-9;]*m/g, '').slice(0, 300);
}

export async function chooseProvider(platform: NodeJS.Platform = process.platform): Promise<ProviderChoice> {
  const skipped: ProviderChoice['skipped'] = [];
  const candidates: { name: ProviderName; os: NodeJS.Platform; label: string }[] = [
    { name: 'cuda', os: 'linux', label: 'Linux' },
    { name: 'dml', os: 'win32', label: 'Windows' },
  ];
  for (const c of candidates) {
    if (platform !== c.os) {
      skipped.push({ provider: c.name, reason: `only used on ${c.label} (this is ${platform})` });
      continue;
    }
    const missing = c.name === 'cuda' ? missingCudaLibrary(platform) : undefined;
    if (missing) {
      skipped.push({ provider: c.name, reason: missing });
      continue;
    }
    try {
      const s = await ort.InferenceSession.create(probeModel(), { executionProviders: [c.name] });
      await s.release();
      return { provider: c.name, skipped };
    } catch (e) {
      skipped.push({ provider: c.name, reason: firstLine(e) });
    }
  }
  return { provider: 'cpu', skipped };
}

export function describeChoice(choice: ProviderChoice): string {
  const why = choice.skipped.map((s) => `${s.provider}: ${s.reason}`).join('; ');
  return `execution provider ${choice.provider}${why ? ` (skipped ${why})` : ''}`;
}

export function sessionOptions(settings: SessionSettings = {}): ort.InferenceSession.SessionOptions {
  return {
    executionProviders: [settings.provider ?? 'cpu'],
    graphOptimizationLevel: 'all',
    executionMode: 'sequential',
    intraOpNumThreads: settings.threads ?? 0,
    interOpNumThreads: 1,
    enableCpuMemArena: true,
    // Memory patterns pre-plan one block per run on top of the arena: measured on the 256 px U-Net step, peak RSS
    // 2544 MB with them, 1425 MB without, same step time. (Arena off: 1451 MB but 3.4x slower.)
    enableMemPattern: false,
    ...(settings.spinning === false ? { extra: { session: { intra_op: { allow_spinning: '0' } } } } : {}),
  };
}
