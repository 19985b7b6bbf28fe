import type { Point } from '../../../geometry/rect.js';
import { ClickState } from '../../shared/ClickState.js';

export class Pointing extends ClickState {
  static override id = 'pointing';
  protected onClick(point: Point): void {
    this.editor.applyHeatmapProposal({ at: point });
  }
}
