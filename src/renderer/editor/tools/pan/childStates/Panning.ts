import type { ViewState } from '../../../geometry/ViewTransform.js';
import { panBy } from '../../../geometry/ViewTransform.js';
import type { Point } from '../../../geometry/rect.js';
import type { PointerInfo } from '../../events.js';
import { StateNode } from '../../StateNode.js';

export class Panning extends StateNode {
  static override id = 'panning';
  private start: Point = { x: 0, y: 0 };
  private startView: ViewState | null = null;

  override onEnter(info: unknown): void {
    this.start = (info as PointerInfo).screen;
    this.startView = this.editor.getView();
  }

  override onPointerMove(info: PointerInfo): void {
    if (this.startView) this.editor.setView(panBy(this.startView, info.screen.x - this.start.x, info.screen.y - this.start.y));
  }

  override onPointerUp(): void {
    this.parent!.transition('idle');
  }

  override onInterrupt(): void {
    this.parent!.transition('idle');
  }

  /** Escape puts the view back where the drag started. */
  override onCancel(): void {
    if (this.startView) this.editor.setView(this.startView);
    this.parent!.transition('idle');
  }
}
