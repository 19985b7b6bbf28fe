import { StateNode, type StateNodeConstructor } from '../StateNode.js';
import { Idle } from './childStates/Idle.js';
import { Panning } from './childStates/Panning.js';

/** Drag to move the view. (Space+drag and middle-button drag pan from any tool without switching to this one.) */
export class PanTool extends StateNode {
  static override id = 'pan';
  static override initial = 'idle';
  static override children(): StateNodeConstructor[] {
    return [Idle, Panning];
  }
}
