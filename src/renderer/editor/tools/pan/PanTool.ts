import { StateNode, type StateNodeConstructor } from '../StateNode.js';
import { Idle } from './childStates/Idle.js';
import { Panning } from './childStates/Panning.js';

/** Drag to move the view (also what Space+drag and the middle button do from any tool). */
export class PanTool extends StateNode {
  static override id = 'pan';
  static override initial = 'idle';
  static override children(): StateNodeConstructor[] {
    return [Idle, Panning];
  }
}
