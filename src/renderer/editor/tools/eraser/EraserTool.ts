import type { StateNodeConstructor } from '../StateNode.js';
import { StrokeTool } from '../shared/StrokeTool.js';
import { Erasing } from './childStates/Erasing.js';
import { Idle } from './childStates/Idle.js';

/** Round eraser (same size as the brush): sets pixels to background, or only the current class's pixels. */
export class EraserTool extends StrokeTool {
  static override id = 'eraser';
  static override initial = 'idle';
  static override children(): StateNodeConstructor[] {
    return [Idle, Erasing];
  }
}
