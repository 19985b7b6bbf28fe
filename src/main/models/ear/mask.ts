/**
 * EAR's excision: one deterministic mask per image, and the hint that replaces the excised pixels.
 *   selectMask: the top `fraction` of attention cells (ties included), dilated by `dilate` cells (MaxPool), then
 *               resized (nearest) to the picture the U-Net sees. Same image -> same mask: no random multi-masking.
 *   obfuscate:  inside the mask the picture becomes a mosaic (each `cell` x `cell` block replaced by its mean),
 *               or is emptied (0) for the "empty mask" ablation; outside it is unchanged.
 * Both are graph pieces so the training graph and the exported model apply exactly the same operations.
 */
import type { GraphBuilder } from '../../engine/onnx/graph.js';

export type HintMode = 'mosaic' | 'empty';

function shapeSlice(g: GraphBuilder, shape: string, start: number, end: number): string {
  return g.op('Slice', [shape, g.constInt64([start]), g.constInt64([end]), g.constInt64([0])]);
}

/** Binary float mask [N,1,H,W] at `like`'s spatial size from attention [N,1,h,w]. fraction 0 = no mask. */
export function selectMask(g: GraphBuilder, attention: string, like: string, fraction: number, dilate: number): string {
  const likeShape = g.op('Shape', [like]);
  const attShape = g.op('Shape', [attention]);
  if (!(fraction > 0)) {
    const zeroShape = g.op('Concat', [shapeSlice(g, attShape, 0, 1), g.constInt64([1]), shapeSlice(g, likeShape, 2, 4)], { axis: 0 });
    return g.op('ConstantOfShape', [zeroShape], {}, 'no_mask');
  }
  // k = max(1, floor(fraction x h x w)) from the runtime shape (inputs keep their aspect ratio).
  const cells = g.op('ReduceProd', [shapeSlice(g, attShape, 2, 4)], { keepdims: 1 });
  const k = g.op('Max', [g.op('Cast', [g.op('Floor', [g.op('Mul', [g.op('Cast', [cells], { to: 1 }), g.constFloat(fraction)])])], { to: 7 }), g.constInt64([1])]);
  const flat = g.op('Reshape', [attention, g.constInt64([0, -1])]);
  const top = g.node('TopK', [flat, k], { axis: 1, largest: 1, sorted: 1 }, { outputs: 2 })[0];
  const kth = g.op('Reshape', [g.op('ReduceMin', [top], { axes: [1], keepdims: 1 }), g.constInt64([-1, 1, 1, 1])]);
  let mask = g.op('Cast', [g.op('GreaterOrEqual', [attention, kth])], { to: 1 }, 'attention_mask');
  if (dilate > 0) {
    mask = g.op('MaxPool', [mask], { kernel_shape: [2 * dilate + 1, 2 * dilate + 1], strides: [1, 1], pads: [dilate, dilate, dilate, dilate] }, 'dilate_mask');
  }
  const sizes = g.op('Concat', [shapeSlice(g, attShape, 0, 2), shapeSlice(g, likeShape, 2, 4)], { axis: 0 });
  return g.op('Resize', [mask, '', '', sizes], { mode: 'nearest', coordinate_transformation_mode: 'asymmetric', nearest_mode: 'floor' }, 'mask_to_image');
}

/** The hinted picture: x outside the mask, its `cell`-pixel mosaic (or 0) inside. x's H, W must be multiples of `cell`. */
export function obfuscate(g: GraphBuilder, x: string, mask: string, mode: HintMode, cell: number): string {
  let fill: string;
  if (mode === 'empty') fill = g.constFloat(0, [], 'empty_fill');
  else {
    const blocks = g.op('AveragePool', [x], { kernel_shape: [cell, cell], strides: [cell, cell] }, 'mosaic_blocks');
    fill = g.op('Resize', [blocks, '', '', g.op('Shape', [x])], { mode: 'nearest', coordinate_transformation_mode: 'asymmetric', nearest_mode: 'floor' }, 'mosaic');
  }
  // x + mask * (fill - x): the mask is a 0/1 float, broadcast over channels.
  return g.op('Add', [x, g.op('Mul', [mask, g.op('Sub', [fill, x])])], {}, 'hinted');
}
