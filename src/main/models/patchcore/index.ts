/**
 * PatchCore-style memory bank (Roth et al., "Towards Total Recall in Industrial Anomaly Detection", CVPR 2022):
 * the baseline method. See README.md for the measured choices.
 */
import { StudioError } from '../../../shared/errors.js';
import { fusedFeatureName, splitFusedFeatureName } from '../backbones/fuse.js';
import { resolveBackbone } from '../backbones/index.js';
import type { Backbone } from '../backbones/types.js';
import { oneClassModelJson } from '../oneClassModelJson.js';
import { methodTrainInput } from '../trainInput.js';
import type { MethodDefinition, TrainRequest, TrainedModel } from '../types.js';
import { preprocessSpec, trainPatchCore, type PatchCoreParams } from './train.js';

/** Defaults per backbone family; chosen on magnetic tile (README.md). */
export function defaultParams(backbone: Backbone): PatchCoreParams {
  // A fused backbone (backbones/fuse.ts: later parts' features named 'k:feature') gets each part's default levels
  // and neighbourhoods, concatenated.
  const parts = new Map<number, string[]>();
  for (const f of backbone.features) {
    const { index, feature } = splitFusedFeatureName(f.name);
    parts.set(index, [...(parts.get(index) ?? []), feature]);
  }
  // Each part's own levels, finest first, with 9 x 9 cells on its first level and 13 x 13 on the next (a part that
  // gives one level gets 9 x 9 alone, so the parts after it keep theirs).
  const perPart = [...parts.entries()].map(([index, names]) => defaultLevels(names).map((n, i) => ({ name: fusedFeatureName(index, n), side: i % 2 === 0 ? 9 : 13 })));
  const levels = perPart.flat().map((l) => l.name);
  return {
    levels,
    fit: 'short-side',
    imageSize: 256,
    maxLong: 768,
    // Per-image greedy coresets fill a pool of 40k patches; a global greedy coreset picks the 10k-entry bank.
    // Measured better than a 20k bank made of the per-image picks alone (README.md run 17 vs 13), at half the
    // nearest-neighbour cost; the global stage costs ~25 s of training (contended) for 10k picks.
    poolSize: 40_000,
    coresetRatio: 1,
    maxBank: 10_000,
    projectionDim: 64,
    // Map blur σ in input px at a 256 px short side (train() scales it with --image-size like the neighbourhood):
    // σ 8 vs 4 on the full magnetic-tile test set 0.871 vs 0.865 pixel AUROC, 0.592 vs 0.587 PRO, image AUROC
    // equal (README.md run 35), for about 1.2 ms of latency (27.5 ms at load 3.7).
    sigma: 8,
    // Image score = mean of the top 10% of map pixels, not the maximum: on magnetic tile 0.848 vs 0.792 image
    // AUROC (README.md runs 8-11): one hot pixel on striation noise no longer outranks a real defect's area.
    scoreTopFraction: 0.1,
    photometric: true,
    // Local-average neighbourhood per level, in that level's cells at a 256 px short side (9 x 9 at stride 8 and
    // 13 x 13 at stride 16; train() scales it to other image sizes): on magnetic tile 0.940 / 0.859 image / pixel
    // AUROC vs 0.884 / 0.761 for 3 x 3 (README.md runs 25-33): averaging over a wide neighbourhood suppresses the
    // tile's striation noise that dominated the nearest-neighbour distances. PRO drops (0.633 vs 0.697).
    aggregate: perPart.flat().map((l) => l.side),
  };
}

function defaultLevels(names: string[]): string[] {
  // Stride 8 + stride 16: on magnetic tile block_5 beat block_3_expand + block_6_expand (stride 4 + 8) and
  // block_6_expand (README.md), at a quarter of the nearest-neighbour cost of a stride-4 grid. block_9 (64 channels)
  // beat block_10 (96) as the coarse level on the full test set (README.md run 43 vs 35: image AUROC equal, pixel
  // 0.879 vs 0.871, PRO 0.614 vs 0.592) and makes the bank Gemm 25% narrower.
  if (names.includes('block_5') && names.includes('block_9')) return ['block_5', 'block_9'];
  if (names.includes('layer2') && names.includes('layer3')) return ['layer2', 'layer3'];
  return names.slice(0, 2);
}

/**
 * The default neighbourhood (and blur σ) were chosen at a 256 px short side; at another --image-size they keep the
 * same share of the image (the neighbourhood an odd side, at least 3), so a 64 px input is not averaged over its
 * whole width.
 */
export function aggregateFor(imageSize: number, at256: PatchCoreParams['aggregate'] = 3): number[] {
  const sides = typeof at256 === 'object' ? at256 : [at256, at256];
  const scaled = (a: number) => Math.max(3, 2 * Math.round((a * (imageSize / 256) - 1) / 2) + 1);
  return sides.map(scaled);
}

/**
 * `--aggregate` (CLI) or params.aggregate: one odd side for every level ("3") or one per level, finest first
 * ("9,13"), in feature cells at the model's input size (not rescaled with --image-size). The wide magnetic-tile
 * default costs ELPV 0.016 image AUROC against 3 x 3 (README.md), so the choice is the user's.
 */
export function parseAggregate(v: unknown, levels: number): number | number[] {
  const parts = typeof v === 'number' ? [v] : Array.isArray(v) ? v.map(Number) : String(v).split(',').map((x) => (x.trim() === '' ? NaN : Number(x)));
  if (!(parts.length === 1 || parts.length === levels) || parts.some((a) => !Number.isInteger(a) || a < 1 || a % 2 === 0 || a > 63)) {
    throw new StudioError('BAD_REQUEST', `--aggregate "${Array.isArray(v) ? v.join(',') : String(v)}": give one odd neighbourhood side from 1 to 63 for all levels (e.g. 3) or ${levels} comma-separated sides, finest level first (e.g. ${Array.from({ length: levels }, (_, i) => 9 + 4 * i).join(',')}).`);
  }
  return parts.length === 1 ? parts[0] : parts;
}

/**
 * The user's neighbourhood is checked as typed; the default, already scaled with --image-size (it may exceed the
 * typed limit of 63 at 1280 px and up), only has to fit the number of levels.
 */
function neighbourhood(given: unknown, scaledDefault: number[], levels: number): number | number[] {
  if (given !== undefined) return parseAggregate(given, levels);
  if (scaledDefault.length === levels) return scaledDefault;
  if (new Set(scaledDefault).size === 1) return scaledDefault[0]; // one side fits any number of levels
  throw new StudioError('BAD_REQUEST', `The default neighbourhood has ${scaledDefault.length} sides but ${levels} feature levels were chosen: pass --aggregate (params.aggregate) with one side or ${levels} sides, finest level first.`);
}

/** The defaults for the backbone, scaled to the request's image size, overridden and checked by req.params. */
export function trainParams(req: Pick<TrainRequest, 'imageSize' | 'params'>, backbone: Backbone): PatchCoreParams {
  const base = defaultParams(backbone);
  const imageSize = req.imageSize ?? base.imageSize;
  const given = (req.params ?? {}) as Partial<PatchCoreParams>;
  const params: PatchCoreParams = { ...base, imageSize, sigma: (base.sigma * imageSize) / 256, ...given };
  params.aggregate = neighbourhood(given.aggregate, aggregateFor(imageSize, base.aggregate), params.levels.length);
  if (params.knn !== undefined && !(Number.isInteger(params.knn) && params.knn >= 1 && params.knn <= 64)) {
    throw new StudioError('BAD_REQUEST', `params.knn ${String(params.knn)}: give a whole number of nearest bank rows from 1 to 64.`);
  }
  return params;
}

async function train(req: TrainRequest): Promise<TrainedModel> {
  const started = performance.now();
  const backbone = resolveBackbone(req.backbone ?? 'mobilenetv2', req.seed);
  const params = trainParams(req, backbone);
  const result = await trainPatchCore(methodTrainInput(req, backbone, params));
  const spec = preprocessSpec(params, backbone);
  const json = oneClassModelJson({
    method: 'patchcore',
    req,
    backbone,
    features: backbone.features.filter((f) => params.levels.includes(f.name)),
    spec,
    valScores: result.valScores,
    inGraph: '/255 and the backbone normalisation',
    params: { ...params, bankSize: result.bankSize, poolPatches: result.poolPatches, featureChannels: result.featureChannels, levelScale: result.levelScale, timings: result.timings },
    started,
  });
  return { onnx: result.onnx, json };
}

export const patchcore: MethodDefinition = {
  name: 'patchcore',
  summary: 'PatchCore-style memory bank of multi-level patch features; nearest-neighbour distance map',
  learningType: 'one-class',
  defaultBackbone: 'mobilenetv2',
  train,
};
