/**
 * A backbone is an ONNX feature extractor that declares its feature maps. Every method (PatchCore, KD, EAR) takes
 * any backbone through this interface, so a CoRe-pretrained ResNet and the ImageNet MobileNetV2 are swappable.
 *
 * Input contract for every backbone graph: `image`, float32 [N, 3, H, W], RGB in [0, 1]. The backbone's own
 * normalisation ((x − mean) / std) is inside its graph, so callers never need to know it; it is still declared
 * here so model.json can record it.
 */
import type { ModelProto } from '../../engine/onnx/proto.js';

export interface FeatureSpec {
  /** Output name in the backbone graph, e.g. 'block_5'. */
  name: string;
  /** Input pixels per feature cell along each axis (4, 8, 16...). */
  stride: number;
  channels: number;
}

export interface BackboneInfo {
  name: string;
  features: FeatureSpec[];
  /** Per-channel (x − mean) / std applied to the [0, 1] RGB input, inside the graph (a fused backbone: its first
   *  part's; `parts` lists every part's). */
  normalisation: { mean: [number, number, number]; std: [number, number, number] };
  /** What resolveBackbone was given (a name, an absolute file path, or 'a+b'), so a later job on a model trained
   *  with it (few-shot) rebuilds the same network; never written into backbone files. */
  source?: string;
  /** A fused backbone's parts (fuse.ts), in order, each with the normalisation its own subgraph applies. */
  parts?: { name: string; normalisation: BackboneInfo['normalisation'] }[];
  /** Where the weights come from (package, license, training recipe, or 'random seed N'). */
  provenance: string;
}

export interface Backbone extends BackboneInfo {
  /** The feature-extractor graph: input `image` [N,3,H,W] in [0,1], one output per feature spec. */
  model: ModelProto;
}

/** metadata_props key under which a backbone ONNX file carries its BackboneInfo as JSON. */
export const BACKBONE_METADATA_KEY = 'defect-studio.backbone';
