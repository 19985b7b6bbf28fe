/**
 * `grad MODEL.onnx --input NAME=FILE.npy ... --out DIR [--repeat N]`: loss and gradients of every float
 * initializer of a model whose first output is a scalar loss (the contract external parity checks use).
 * Everything is validated and computed before anything is written; files go to a temporary sibling folder
 * first and are renamed into DIR, so a failure never leaves partial results in DIR.
 */
import { mkdir, mkdtemp, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { StudioError } from '../../shared/errors.js';
import { encodeTensorFileName, openGradientSession } from '../../main/engine/gradients.js';
import { parseNpy, serializeNpy, type NpyArray } from '../../main/engine/npy.js';
import { parseModel } from '../../main/engine/onnx/proto.js';
import { flagAll, intFlag, parseArgs, requireFlag } from '../args.js';
import type { CliCommand } from '../command.js';

async function readBytes(file: string, what: string): Promise<Uint8Array> {
  try {
    return new Uint8Array(await readFile(file));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new StudioError(code === 'ENOENT' ? 'NOT_FOUND' : 'UNREADABLE', `Cannot read ${what} ${file}: ${(e as Error).message}`);
  }
}

function toFloat32(data: ArrayLike<number>, dims: readonly number[]): NpyArray {
  return { dtype: 'float32', shape: [...dims], data: data instanceof Float32Array ? data : Float32Array.from(data) };
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export const command: CliCommand = {
  name: 'grad',
  summary: 'Loss and parameter gradients of an ONNX model whose first output is a scalar loss',
  usage: [
    'Usage: node bin/defect-studio.js grad MODEL.onnx --input NAME=FILE.npy [--input ...] --out DIR [--repeat N]',
    '',
    'Writes DIR/loss.npy and DIR/<initializer>.npy (float32, the initializer\'s shape) for every floating-point',
    'initializer the loss depends on; characters outside [A-Za-z0-9._-] in names are percent-encoded.',
    'BatchNormalization runs in training mode when the model says so (training_mode=1, or opset-13 extra outputs).',
    'With --repeat N it also times N forward+backward passes and prints {"ms_per_step": <median>, "steps": N}.',
    'Exit code 2 and nothing written on bad input (not ONNX, unsupported op, non-scalar loss, missing input, shape mismatch).',
  ].join('\n'),
  async run(argv, io) {
    const args = parseArgs(argv, { values: ['input', 'out', 'repeat'] });
    if (args.positional.length !== 1) throw new StudioError('BAD_REQUEST', 'Pass exactly one MODEL.onnx path.');
    const modelPath = args.positional[0];
    const outDir = requireFlag(args, 'out');
    const repeat = intFlag(args, 'repeat', 0);
    if (repeat < 0) throw new StudioError('BAD_REQUEST', `Option --repeat must be >= 0, got ${repeat}.`);

    const model = parseModel(await readBytes(modelPath, 'model'), modelPath);
    const inputs: Record<string, NpyArray> = {};
    const files: Record<string, string> = {};
    for (const spec of flagAll(args, 'input')) {
      const eq = spec.indexOf('=');
      if (eq <= 0) throw new StudioError('BAD_REQUEST', `--input must look like NAME=FILE.npy, got "${spec}".`);
      const name = spec.slice(0, eq);
      const file = spec.slice(eq + 1);
      if (inputs[name]) throw new StudioError('BAD_REQUEST', `Input "${name}" is given twice.`);
      inputs[name] = parseNpy(await readBytes(file, `input "${name}"`), file);
      files[name] = file;
    }

    const gs = await openGradientSession(model, inputs, files);
    try {
      const result = await gs.session.run(gs.feeds);
      const loss = result[gs.lossName];
      const written: [string, Uint8Array][] = [['loss.npy', serializeNpy(toFloat32(loss.data as Float32Array, loss.dims))]];
      for (const [param, out] of gs.params) {
        const t = result[out];
        written.push([`${encodeTensorFileName(param)}.npy`, serializeNpy(toFloat32(t.data as Float32Array, t.dims))]);
      }

      const parent = path.dirname(path.resolve(outDir));
      await mkdir(parent, { recursive: true });
      const tmp = await mkdtemp(path.join(parent, `.${path.basename(outDir)}.tmp-`));
      try {
        for (const [name, bytes] of written) await writeFile(path.join(tmp, name), bytes);
        await mkdir(outDir, { recursive: true });
        for (const name of await readdir(tmp)) await rename(path.join(tmp, name), path.join(outDir, name));
      } finally {
        await rm(tmp, { recursive: true, force: true });
      }
      io.err(`grad: wrote loss and ${gs.params.size} gradients to ${outDir}`);

      if (repeat > 0) {
        const times: number[] = [];
        for (let i = 0; i < repeat; i++) {
          const t0 = performance.now();
          await gs.session.run(gs.feeds);
          times.push(performance.now() - t0);
        }
        io.out(JSON.stringify({ ms_per_step: Number(median(times).toFixed(3)), steps: repeat }));
      }
    } finally {
      await gs.session.release();
    }
    return 0;
  },
};
