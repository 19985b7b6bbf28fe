import type { Point } from '../../geometry/rect.js';
import type { PointerInfo } from '../events.js';
import { StateNode } from '../StateNode.js';

/** Moving further than this (screen pixels) between press and release makes it a drag, not a click. */
export const DRAG_DISTANCE_SCREEN_PX = 4;

/**
 * "Pressed, not yet released": the action runs on release if the pointer stayed put, so a press that turns into
 * a drag (or Escape) does nothing. Used by the one-click tools (fill, heatmap component).
 */
export abstract class ClickState extends StateNode {
  private down: PointerInfo | null = null;

  protected abstract onClick(point: Point, info: PointerInfo): void;

  override onEnter(info: unknown): void {
    this.down = info as PointerInfo;
  }

  override onPointerMove(info: PointerInfo): void {
    if (this.down && Math.hypot(info.screen.x - this.down.screen.x, info.screen.y - this.down.screen.y) > DRAG_DISTANCE_SCREEN_PX) {
      this.parent!.transition('idle');
    }
  }

  override onPointerUp(): void {
    const down = this.down;
    this.down = null;
    this.parent!.transition('idle');
    if (down) this.onClick(down.point, down);
  }

  override onCancel(): void {
    this.parent!.transition('idle');
  }

  override onInterrupt(): void {
    this.parent!.transition('idle');
  }
}
