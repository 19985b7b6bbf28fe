/**
 * View state of the image viewer, kept outside React: wheel and drag events arrive at pointer rate and must move
 * the canvas without re-rendering components. The Konva view subscribes and applies the transform imperatively;
 * toolbar widgets select coarse slices (zoom percent, mask visibility) through useStoreValue.
 */
import { Store } from '../state/store.js';
import { actualSizeView, fitView, panBy, wheelZoomFactor, zoomAt, type Point, type Size, type View } from './viewTransform.js';

export interface ViewerState {
  view: View;
  /** Natural size of the current image; null while nothing is loaded. */
  image: Size | null;
  viewport: Size;
  /** True while the view is "fit to window": a viewport resize or a new image re-fits instead of keeping the zoom. */
  fitted: boolean;
  showMask: boolean;
}

export class ViewerStore extends Store<ViewerState> {
  constructor(showMask = true) {
    super({ view: { scale: 1, x: 0, y: 0 }, image: null, viewport: { width: 0, height: 0 }, fitted: true, showMask });
  }

  /**
   * A new image re-fits, except when it has the same size as the previous one and the user had zoomed in: then
   * the view stays, so stepping through a dataset compares the same region of every image.
   */
  setImage(image: Size | null): void {
    const s = this.get();
    const sameSize = !!image && !!s.image && image.width === s.image.width && image.height === s.image.height;
    if (sameSize && !s.fitted) {
      this.set({ ...s, image });
      return;
    }
    this.set({ ...s, image, fitted: true, view: image ? fitView(image, s.viewport) : s.view });
  }

  setViewport(viewport: Size): void {
    const s = this.get();
    if (s.viewport.width === viewport.width && s.viewport.height === viewport.height) return;
    if (s.fitted && s.image) {
      this.set({ ...s, viewport, view: fitView(s.image, viewport) });
      return;
    }
    // Keep the image point at the viewport centre where it was, so resizing a panel does not jump the view.
    const dx = (viewport.width - s.viewport.width) / 2;
    const dy = (viewport.height - s.viewport.height) / 2;
    this.set({ ...s, viewport, view: panBy(s.view, dx, dy) });
  }

  fit(): void {
    const s = this.get();
    if (!s.image) return;
    this.set({ ...s, fitted: true, view: fitView(s.image, s.viewport) });
  }

  actualSize(): void {
    const s = this.get();
    this.set({ ...s, fitted: false, view: actualSizeView(s.view, s.viewport) });
  }

  wheel(deltaY: number, anchor: Point): void {
    this.zoom(wheelZoomFactor(deltaY), anchor);
  }

  zoom(factor: number, anchor?: Point): void {
    const s = this.get();
    const at = anchor ?? { x: s.viewport.width / 2, y: s.viewport.height / 2 };
    this.set({ ...s, fitted: false, view: zoomAt(s.view, factor, at) });
  }

  pan(dx: number, dy: number): void {
    if (dx === 0 && dy === 0) return;
    const s = this.get();
    this.set({ ...s, fitted: false, view: panBy(s.view, dx, dy) });
  }

  setShowMask(showMask: boolean): void {
    const s = this.get();
    if (s.showMask !== showMask) this.set({ ...s, showMask });
  }

  toggleMask(): void {
    this.setShowMask(!this.get().showMask);
  }
}
