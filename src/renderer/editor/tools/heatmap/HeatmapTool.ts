import { StateNode, type StateNodeConstructor } from '../StateNode.js';
import { Idle } from './childStates/Idle.js';
import { Pointing } from './childStates/Pointing.js';

/**
 * Heatmap to mask: Enter applies the whole proposal (anomaly map >= threshold, minus components under the minimum
 * area) as the current class; a click applies only the proposal's connected component under the pointer. Either
 * is one undo step the user then refines with brush and eraser.
 */
export class HeatmapTool extends StateNode {
  static override id = 'heatmap';
  static override initial = 'idle';
  static override children(): StateNodeConstructor[] {
    return [Idle, Pointing];
  }
  override onComplete(): void {
    if (this.getCurrent()?.id === 'idle') this.editor.applyHeatmapProposal();
  }
}
