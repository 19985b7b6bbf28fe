/**
 * Export a model folder for deployment, in one of three shapes:
 *   onnx    OUT/<name>.onnx                                  the self-contained ONNX (onnx.ts)
 *   triton  OUT/<name>/config.pbtxt + OUT/<name>/1/model.onnx  a Triton model-repository entry (OUT = repository)
 *   zip     OUT/<name>.zip  with model.onnx, model.json, README.md for the line engineer
 * <name> is the model folder's name (the model id). Nothing is ever overwritten: an existing target is an error
 * (INVALID_STATE), and files appear complete or not at all (temp file + hard link, temp folder + rename).
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { link, mkdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { zip, type AsyncZippable } from 'fflate';
import { EXPORT_FORMATS, type ExportFormat } from '../../shared/contract/models.js';
import { StudioError } from '../../shared/errors.js';
import { writeError } from '../workspace/atomicWrite.js';
import { readModelFolder } from '../models/modelFolder.js';
import { buildSelfContainedOnnx, type ExportInputSpec } from './onnx.js';
import { lineReadme } from './readme.js';
import { tritonConfig, tritonModelName } from './triton.js';

export { EXPORT_FORMATS, type ExportFormat };

export interface ExportRequest {
  modelDir: string;
  format: ExportFormat;
  /** Folder the export goes into (created if missing); for triton, the model repository. */
  out: string;
  /** Overrides the model id taken from the folder name. */
  name?: string;
}

export interface ExportResult {
  format: ExportFormat;
  modelId: string;
  /** The file or folder written. */
  path: string;
  /** Every file written, absolute. */
  files: string[];
  bytes: number;
  threshold: number;
  input: ExportInputSpec;
}

function refuse(target: string): StudioError {
  return new StudioError('INVALID_STATE', `${target} already exists; export never overwrites. Delete it or choose another output folder.`, { path: target });
}

function tmpName(dir: string, base: string): string {
  return path.join(dir, `.${base}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
}

/** Writes `file` only if it does not exist yet: link() fails with EEXIST instead of replacing. */
async function publishFile(file: string, data: Uint8Array | string): Promise<void> {
  if (existsSync(file)) throw refuse(file);
  const tmp = tmpName(path.dirname(file), path.basename(file));
  try {
    await writeFile(tmp, data);
    await link(tmp, file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') throw refuse(file);
    throw writeError(file, e);
  } finally {
    await rm(tmp, { force: true });
  }
}

/** Builds a folder next to `dir` and renames it into place, so a model repository never sees half a model. */
async function publishFolder(dir: string, files: Record<string, Uint8Array | string>): Promise<void> {
  if (existsSync(dir)) throw refuse(dir);
  const tmp = tmpName(path.dirname(dir), path.basename(dir));
  try {
    for (const [rel, data] of Object.entries(files)) {
      await mkdir(path.dirname(path.join(tmp, rel)), { recursive: true });
      await writeFile(path.join(tmp, rel), data);
    }
    if (existsSync(dir)) throw refuse(dir);
    await rename(tmp, dir);
  } catch (e) {
    await rm(tmp, { recursive: true, force: true });
    if (e instanceof StudioError) throw e;
    if (['EEXIST', 'ENOTEMPTY'].includes((e as NodeJS.ErrnoException).code ?? '')) throw refuse(dir);
    throw writeError(dir, e);
  }
}

/** fflate's async zip compresses in worker threads: a large model does not stall the app's event loop. */
function zipAsync(files: AsyncZippable): Promise<Uint8Array> {
  return new Promise((resolve, reject) => zip(files, (err, data) => (err ? reject(new StudioError('INTERNAL', `Could not build the zip: ${err.message}`)) : resolve(data))));
}

export async function exportModel(req: ExportRequest): Promise<ExportResult> {
  if (!EXPORT_FORMATS.includes(req.format)) {
    throw new StudioError('BAD_REQUEST', `Unknown export format "${req.format}"; use one of ${EXPORT_FORMATS.join(', ')}.`);
  }
  const modelDir = path.resolve(req.modelDir);
  const out = path.resolve(req.out);
  const folder = await readModelFolder(modelDir);
  const modelId = tritonModelName(req.name ?? path.basename(modelDir));
  const exported = buildSelfContainedOnnx(folder, { modelId });
  try {
    await mkdir(out, { recursive: true });
  } catch (e) {
    throw writeError(out, e);
  }

  let target: string;
  let files: string[];
  if (req.format === 'onnx') {
    target = path.join(out, `${modelId}.onnx`);
    await publishFile(target, exported.onnx);
    files = [target];
  } else if (req.format === 'triton') {
    target = path.join(out, modelId);
    const config = tritonConfig(modelId, exported.onnx, [
      `Defect Studio ${folder.json.method} model ${modelId}; threshold ${exported.threshold} (also in the ONNX metadata_props).`,
      `Input: uint8 RGB NHWC; ${exported.input.geometry}.`,
    ]);
    await publishFolder(target, { 'config.pbtxt': config, '1/model.onnx': exported.onnx });
    files = [path.join(target, 'config.pbtxt'), path.join(target, '1', 'model.onnx')];
  } else {
    target = path.join(out, `${modelId}.zip`);
    // model.json keeps the app's description (its `input` is the folder's CHW tensor) plus what the exported
    // model.onnx in this zip takes, so neither can be read for the other.
    const json = { ...folder.json, export: { modelId, input: exported.input, outputs: JSON.parse(exported.metadata.outputs) as unknown, threshold: exported.threshold } };
    const enc = new TextEncoder();
    const bytes = await zipAsync({
      'model.onnx': [exported.onnx, { level: 6 }],
      'model.json': enc.encode(JSON.stringify(json, null, 2) + '\n'),
      'README.md': enc.encode(lineReadme(modelId, folder.json, exported)),
    });
    await publishFile(target, bytes);
    files = [target];
  }
  let bytes = 0;
  for (const f of files) bytes += (await stat(f)).size;
  return { format: req.format, modelId, path: target, files, bytes, threshold: exported.threshold, input: exported.input };
}
