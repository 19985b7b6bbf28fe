/**
 * Two or more backbones side by side as one Backbone: every part sees the same [0,1] image (each applies its own
 * normalisation inside its graph) and the fused graph outputs all parts' features. The first part's feature names
 * are kept; later parts' are prefixed with their index ('2:layer2'), so names never collide and a method picks
 * levels from any part by name. Used by PatchCore to concatenate ImageNet and CoRe levels (README.md there).
 */
import { GraphBuilder } from '../../engine/onnx/graph.js';
import { StudioError } from '../../../shared/errors.js';
import { embedBackbone } from './embed.js';
import type { Backbone, FeatureSpec } from './types.js';

/** More parts than this would mostly multiply inference time (each part is a whole backbone pass). */
export const MAX_FUSED_PARTS = 4;

/** The fused name of part `index`'s (0-based) feature. */
export function fusedFeatureName(index: number, feature: string): string {
  return index === 0 ? feature : `${index + 1}:${feature}`;
}

/** The inverse of fusedFeatureName: the 0-based part and the part's own feature name. */
export function splitFusedFeatureName(name: string): { index: number; feature: string } {
  const m = /^(\d+):(.*)$/.exec(name);
  return m ? { index: Number(m[1]) - 1, feature: m[2] } : { index: 0, feature: name };
}

export function fuseBackbones(parts: Backbone[]): Backbone {
  if (parts.length < 2 || parts.length > MAX_FUSED_PARTS) {
    throw new StudioError('BAD_REQUEST', `Fusing backbones takes 2 to ${MAX_FUSED_PARTS} parts, got ${parts.length}.`);
  }
  const g = new GraphBuilder('fused_backbone');
  const image = g.input('image', 'float32', ['N', 3, 'H', 'W']);
  const features: FeatureSpec[] = [];
  parts.forEach((b, i) => {
    const outs = embedBackbone(g, b, image, b.features.map((f) => f.name), `part${i + 1}/`);
    for (const f of b.features) {
      const name = fusedFeatureName(i, f.name);
      g.node('Identity', [outs[f.name]], {}, { outputs: [g.reserve(name)], name: `out_${name}` });
      g.output(name, 'float32', ['N', f.channels, `H${f.stride}`, `W${f.stride}`]);
      features.push({ ...f, name });
    }
  });
  return {
    name: parts.map((b) => b.name).join('+'),
    features,
    // Informational only (model.json): each part normalises inside its own subgraph.
    normalisation: parts[0].normalisation,
    parts: parts.map((b) => ({ name: b.name, normalisation: b.normalisation })),
    provenance: parts.map((b, i) => `part ${i + 1} (${b.name}): ${b.provenance}`).join('; '),
    model: g.build({ producer: 'defect-studio' }),
  };
}
