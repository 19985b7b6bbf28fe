import type { Point } from '../../geometry/rect.js';
import { StateNode } from '../StateNode.js';

/** Parent of brush and eraser: remembers where the last stroke ended, for Shift+press straight lines. */
export abstract class StrokeTool extends StateNode {
  lastStrokeEnd: Point | null = null;
}
