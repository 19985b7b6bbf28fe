import type { Point } from '../../../geometry/rect.js';
import { ClickState } from '../../shared/ClickState.js';
import { NO_HEATMAP_MESSAGE } from '../messages.js';

export class Pointing extends ClickState {
  static override id = 'pointing';
  protected onClick(point: Point): void {
    if (!this.editor.getHeatmap()) {
      this.editor.notify('warning', NO_HEATMAP_MESSAGE);
      return;
    }
    this.editor.applyHeatmapProposal({ at: point });
  }
}
