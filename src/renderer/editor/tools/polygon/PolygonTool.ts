import { StateNode, type StateNodeConstructor } from '../StateNode.js';
import { Drafting } from './childStates/Drafting.js';
import { Idle } from './childStates/Idle.js';

/**
 * Polygon: click to add vertices; double-click, Enter, or a click near the first vertex closes and fills it
 * (even-odd) with the current class; Backspace removes the last vertex; Escape drops the draft.
 * The draft is not an edit until it closes, so an interrupt (tool switch, undo) drops it too.
 */
export class PolygonTool extends StateNode {
  static override id = 'polygon';
  static override initial = 'idle';
  static override children(): StateNodeConstructor[] {
    return [Idle, Drafting];
  }
}
