/**
 * Backbone lookup: a registered name ('mobilenetv2', 'resnet') or a path to any ONNX file that carries a
 * BackboneInfo in its metadata (e.g. a CoRe-pretrained ResNet written by the pretrain command).
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { StudioError } from '../../../shared/errors.js';
import { parseModel, serializeModel } from '../../engine/onnx/proto.js';
import { fuseBackbones } from './fuse.js';
import { buildResNet } from './resnet.js';
import { BACKBONE_METADATA_KEY, type Backbone, type BackboneInfo } from './types.js';

export * from './types.js';

/** resources/models/ of this checkout (DEFECT_STUDIO_RESOURCES overrides it for packaged builds). */
export function resourcesModelsDir(): string {
  if (process.env.DEFECT_STUDIO_RESOURCES) return path.join(process.env.DEFECT_STUDIO_RESOURCES, 'models');
  return path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../../resources/models');
}

export const BACKBONE_NAMES = ['mobilenetv2', 'resnet', 'core-default'] as const;

export function loadBackboneFile(file: string): Backbone {
  if (!existsSync(file)) throw new StudioError('NOT_FOUND', `Backbone file ${file} does not exist.`);
  const model = parseModel(readFileSync(file), file);
  const meta = model.metadataProps?.find((p) => p.key === BACKBONE_METADATA_KEY)?.value;
  if (!meta) {
    throw new StudioError(
      'UNSUPPORTED',
      `${file} is an ONNX model but not a Defect Studio backbone: its metadata has no "${BACKBONE_METADATA_KEY}" entry declaring its feature outputs.`,
    );
  }
  const info = JSON.parse(meta) as BackboneInfo;
  const outputs = new Set((model.graph?.output ?? []).map((o) => o.name));
  for (const f of info.features) {
    if (!outputs.has(f.name)) throw new StudioError('UNREADABLE', `Backbone ${file} declares feature "${f.name}" but has no such graph output.`);
  }
  return { ...info, model };
}

export function resolveBackbone(nameOrPath: string, seed = 0): Backbone {
  // A file is recorded by its absolute path: a later job (few-shot) may run from another working directory.
  const source = nameOrPath.endsWith('.onnx') && existsSync(nameOrPath) ? path.resolve(nameOrPath) : nameOrPath;
  return { ...resolveBySource(nameOrPath, seed), source };
}

function resolveBySource(nameOrPath: string, seed: number): Backbone {
  switch (nameOrPath) {
    case 'mobilenetv2':
    case 'mobilenetv2-imagenet': {
      const file = path.join(resourcesModelsDir(), 'mobilenetv2-imagenet.onnx');
      if (!existsSync(file)) {
        throw new StudioError('NOT_FOUND', `The MobileNetV2 backbone ${file} is missing; run \`npx tsx scripts/convert-mobilenetv2.ts\` to create it.`);
      }
      return loadBackboneFile(file);
    }
    case 'resnet':
    case 'resnet-random':
      return buildResNet(seed);
    case 'core-default': {
      // The CoRe backbone pretrained on procedural textures (resources/models/core-default.md, scripts/pretrain-default.sh).
      const file = path.join(resourcesModelsDir(), 'core-default.onnx');
      if (!existsSync(file)) throw new StudioError('NOT_FOUND', `The default CoRe backbone ${file} is missing; run \`scripts/pretrain-default.sh\` to create it.`);
      return loadBackboneFile(file);
    }
    default:
      if (existsSync(nameOrPath)) return loadBackboneFile(nameOrPath);
      // 'mobilenetv2+core-mt.onnx': the parts side by side in one graph (fuse.ts), e.g. ImageNet + CoRe levels for PatchCore.
      // Each part its own seed, so 'resnet+resnet' is two different random networks.
      if (nameOrPath.includes('+')) return fuseBackbones(nameOrPath.split('+').map((part, i) => resolveFusedPart(nameOrPath, part, seed + i)));
      if (nameOrPath.endsWith('.onnx')) return loadBackboneFile(nameOrPath);
      throw new StudioError('BAD_REQUEST', `Unknown backbone "${nameOrPath}": use ${BACKBONE_NAMES.join(' or ')}, a path to a backbone .onnx file, or two of these joined by + (fused).`);
  }
}

/** One part of a fused backbone name; its error names the whole name too (a missing path may itself contain '+'). */
function resolveFusedPart(whole: string, part: string, seed: number): Backbone {
  try {
    return resolveBackbone(part, seed);
  } catch (e) {
    if (!(e instanceof StudioError)) throw e;
    throw new StudioError(e.code, `Backbone "${whole}" is neither a file nor a fusion of known backbones: part "${part}": ${e.message}`);
  }
}

/** The backbone as a standalone ONNX file with its BackboneInfo, e.g. to export the random ResNet. */
export function backboneBytes(b: Backbone): Uint8Array {
  const { model, source: _local, ...info } = b; // the source is this machine's path, not part of the backbone
  const m = { ...model, metadataProps: [...(model.metadataProps ?? []).filter((p) => p.key !== BACKBONE_METADATA_KEY), { key: BACKBONE_METADATA_KEY, value: JSON.stringify(info) }] };
  return serializeModel(m);
}
