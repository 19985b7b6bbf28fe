import { StateNode, type StateNodeConstructor } from '../StateNode.js';
import { Idle } from './childStates/Idle.js';
import { Pointing } from './childStates/Pointing.js';

/**
 * Flood fill: a click (press and release without dragging) fills the 4-connected region of the clicked pixel's
 * class with the current class; with a fill tolerance set and image data loaded, the region also has to stay
 * within that intensity distance of the clicked pixel.
 */
export class FillTool extends StateNode {
  static override id = 'fill';
  static override initial = 'idle';
  static override children(): StateNodeConstructor[] {
    return [Idle, Pointing];
  }
}
