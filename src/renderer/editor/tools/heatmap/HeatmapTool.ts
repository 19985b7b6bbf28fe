import { StateNode, type StateNodeConstructor } from '../StateNode.js';
import { Idle } from './childStates/Idle.js';
import { Pointing } from './childStates/Pointing.js';
import { EMPTY_PROPOSAL_MESSAGE, NO_HEATMAP_MESSAGE } from './messages.js';

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
    if (this.getCurrent()?.id !== 'idle') return;
    if (!this.editor.getHeatmap()) {
      this.editor.notify('warning', NO_HEATMAP_MESSAGE);
      return;
    }
    if (!this.editor.applyHeatmapProposal()) this.editor.notify('info', EMPTY_PROPOSAL_MESSAGE);
  }
}
