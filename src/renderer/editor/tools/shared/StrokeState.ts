import type { Point } from '../../geometry/rect.js';
import type { PaintValue } from '../../mask/MaskWriter.js';
import type { PointerInfo } from '../events.js';
import { StateNode } from '../StateNode.js';
import type { StrokeTool } from './StrokeTool.js';

/**
 * The "pointer is down and painting" state shared by brush and eraser. Entering opens one edit; every pointer
 * sample paints the capsule from the previous sample; pointer up commits the edit as one history entry.
 * Escape reverts the stroke; an interrupt (tool switch, undo, blur) keeps what was painted so far, because
 * losing a long stroke to a stray shortcut is worse than having to undo it.
 */
export abstract class StrokeState extends StateNode {
  private last: Point | null = null;

  protected abstract paintValue(): PaintValue;
  protected abstract readonly label: string;

  override onEnter(info: unknown): void {
    const p = info as PointerInfo;
    const tool = this.parent as StrokeTool;
    this.editor.beginEdit(this.label);
    // Shift+press draws a straight segment from where the previous stroke ended, as in most paint programs.
    const from = p.shiftKey && tool.lastStrokeEnd ? tool.lastStrokeEnd : p.point;
    this.paintTo(from, p.point);
  }

  override onPointerMove(info: PointerInfo): void {
    if (this.last) this.paintTo(this.last, info.point);
  }

  override onPointerUp(): void {
    this.complete();
  }

  override onComplete(): void {
    this.complete();
  }

  override onInterrupt(): void {
    this.complete();
  }

  override onCancel(): void {
    this.editor.cancelEdit();
    this.last = null;
    this.parent!.transition('idle');
  }

  private paintTo(from: Point, to: Point): void {
    this.editor.paintSegment(from, to, this.paintValue());
    this.last = to;
  }

  private complete(): void {
    (this.parent as StrokeTool).lastStrokeEnd = this.last;
    this.last = null;
    this.editor.commitEdit();
    this.parent!.transition('idle');
  }
}
