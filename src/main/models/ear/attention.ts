/**
 * EAR's pretrained spatial attention: where on the image a defect is most likely, from a frozen backbone.
 * Each signal maps the backbone's features to one attention map [N,1,h,w] (h, w = the feature grid); the mask is
 * then the top fraction of it (mask.ts). Signals (compared in README.md):
 *   energy      channel-mean activation energy (mean of x²) of the stride-8 level: large where the early filters
 *               respond strongly (edges, spots, scratches).
 *   norm-deep   L2 norm over channels of the stride-16 level: the deeper, more semantic response.
 *   contrast    L2 norm of the stride-8 features minus their per-image spatial mean: how unlike the rest of the
 *               image a cell is (a uniform texture has low contrast everywhere, a blob stands out).
 *   random      a fixed pseudo-random map (the "random mask" ablation; deterministic, not a real attention).
 */
import type { GraphBuilder } from '../../engine/onnx/graph.js';
import { StudioError } from '../../../shared/errors.js';
import type { Backbone } from '../backbones/types.js';
import { Rng } from '../../engine/rng.js';

export const ATTENTION_SIGNALS = ['energy', 'norm-deep', 'contrast', 'random'] as const;
export type AttentionSignal = (typeof ATTENTION_SIGNALS)[number];

/** The backbone level a signal reads: the stride-8 one for energy/contrast/random, stride 16 for norm-deep. */
export function attentionLevel(backbone: Backbone, signal: AttentionSignal): { name: string; stride: number } {
  const stride = signal === 'norm-deep' ? 16 : 8;
  const f = backbone.features.find((x) => x.stride === stride);
  if (!f) throw new StudioError('UNSUPPORTED', `Backbone ${backbone.name} has no stride-${stride} feature level for the EAR attention "${signal}"; it offers ${backbone.features.map((x) => `${x.name} (stride ${x.stride})`).join(', ')}.`);
  return { name: f.name, stride };
}

const RANDOM_GRID = 128;

/** Attention map [N,1,h,w] from `feats`, the backbone's attentionLevel features of the image; larger = more suspect. */
export function attentionMap(g: GraphBuilder, feats: string, signal: AttentionSignal): string {
  const sumSquares = (x: string) => g.op('ReduceSum', [g.op('Mul', [x, x]), g.constInt64([1])], { keepdims: 1 });
  switch (signal) {
    case 'energy':
      return g.op('ReduceMean', [g.op('Mul', [feats, feats])], { axes: [1], keepdims: 1 }, 'attention_energy');
    case 'norm-deep':
      return g.op('Sqrt', [sumSquares(feats)], {}, 'attention_norm');
    case 'contrast': {
      const centred = g.op('Sub', [feats, g.op('ReduceMean', [feats], { axes: [2, 3], keepdims: 1 })]);
      return g.op('Sqrt', [sumSquares(centred)], {}, 'attention_contrast');
    }
    case 'random': {
      // A fixed seeded grid cut to the feature map's size: the same "random" mask for every call and image.
      const grid = g.initializer('attention_random_grid', 'float32', [1, 1, RANDOM_GRID, RANDOM_GRID], Float32Array.from(new Rng(2024).uniforms(RANDOM_GRID * RANDOM_GRID, 0, 1)));
      const shape = g.op('Shape', [feats]);
      const hw = g.op('Slice', [shape, g.constInt64([2]), g.constInt64([4]), g.constInt64([0])]);
      const cut = g.op('Slice', [grid, g.constInt64([0, 0]), hw, g.constInt64([2, 3])]);
      const n1 = g.op('Concat', [g.op('Slice', [shape, g.constInt64([0]), g.constInt64([1]), g.constInt64([0])]), g.constInt64([1]), hw], { axis: 0 });
      return g.op('Expand', [cut, n1], {}, 'attention_random');
    }
  }
}
