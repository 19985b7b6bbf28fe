import { touchesRect, unionRect, type Rect } from '../geometry/rect.js';

/**
 * Rectangles of the mask changed since the renderer last asked. A brush stroke adds one small rect per pointer
 * sample; touching rects are merged so the list stays short, and past `maxRects` everything collapses into one
 * bounding box (a bigger upload beats many tiny ones). The renderer calls `take()` once per animation frame and
 * re-colours only those pixels.
 */
export class DirtyRegion {
  private rects: Rect[] = [];

  constructor(private readonly maxRects = 32) {}

  add(rect: Rect): void {
    let merged: Rect = { ...rect };
    // Merging can make the new rect touch others it did not touch before, so repeat until stable.
    for (let changed = true; changed; ) {
      changed = false;
      for (let i = 0; i < this.rects.length; i++) {
        if (touchesRect(this.rects[i], merged)) {
          merged = unionRect(merged, this.rects[i])!;
          this.rects.splice(i, 1);
          changed = true;
          break;
        }
      }
    }
    this.rects.push(merged);
    if (this.rects.length > this.maxRects) {
      this.rects = [this.rects.reduce<Rect | null>((acc, r) => unionRect(acc, r), null)!];
    }
  }

  isEmpty(): boolean {
    return this.rects.length === 0;
  }

  peek(): readonly Rect[] {
    return this.rects;
  }

  /** Returns the rects changed since the last call and forgets them. */
  take(): Rect[] {
    const out = this.rects;
    this.rects = [];
    return out;
  }
}
