import type { StateNodeConstructor } from '../StateNode.js';
import { StrokeTool } from '../shared/StrokeTool.js';
import { Drawing } from './childStates/Drawing.js';
import { Idle } from './childStates/Idle.js';

/** Round brush painting the current class; size is editor.getBrushSize() (diameter in image pixels). */
export class BrushTool extends StrokeTool {
  static override id = 'brush';
  static override initial = 'idle';
  static override children(): StateNodeConstructor[] {
    return [Idle, Drawing];
  }
}
