import type { Point } from '../../../geometry/rect.js';
import type { KeyInfo, PointerInfo } from '../../events.js';
import { StateNode } from '../../StateNode.js';

/** A click within this many screen pixels of the first vertex closes the polygon. */
export const CLOSE_DISTANCE_SCREEN_PX = 8;

export class Drafting extends StateNode {
  static override id = 'drafting';
  private points: Point[] = [];
  private firstScreen: Point = { x: 0, y: 0 };
  private lastScreen: Point = { x: 0, y: 0 };

  override onEnter(info: unknown): void {
    const p = info as PointerInfo;
    this.points = [p.point];
    this.firstScreen = p.screen;
    this.lastScreen = p.screen;
    this.editor.setPolygonDraft({ points: [...this.points], cursor: p.point });
  }

  override onExit(): void {
    this.points = [];
    this.editor.setPolygonDraft(null);
  }

  override onPointerMove(info: PointerInfo): void {
    this.editor.setPolygonDraft({ points: [...this.points], cursor: info.point });
  }

  override onPointerDown(info: PointerInfo): void {
    if (info.button !== 0) return;
    if (this.points.length >= 3 && dist(info.screen, this.firstScreen) <= CLOSE_DISTANCE_SCREEN_PX) {
      this.close();
      return;
    }
    // The first press of a double-click lands on the last vertex again; adding it would make a zero-length edge.
    if (dist(info.screen, this.lastScreen) < 1) return;
    this.points.push(info.point);
    this.lastScreen = info.screen;
    this.editor.setPolygonDraft({ points: [...this.points], cursor: info.point });
  }

  override onDoubleClick(): void {
    this.close();
  }

  override onKeyDown(info: KeyInfo): void {
    if (info.key !== 'Backspace') return;
    this.points.pop();
    if (this.points.length === 0) {
      this.parent!.transition('idle');
      return;
    }
    this.editor.setPolygonDraft({ points: [...this.points], cursor: this.points[this.points.length - 1] });
  }

  override onComplete(): void {
    this.close();
  }

  override onCancel(): void {
    this.parent!.transition('idle');
  }

  override onInterrupt(): void {
    this.parent!.transition('idle');
  }

  private close(): void {
    const points = this.points;
    if (points.length >= 3) this.editor.applyPolygon(points);
    this.parent!.transition('idle');
  }
}

function dist(a: Point, b: Point): number {
  return Math.hypot(a.x - b.x, a.y - b.y);
}
