/**
 * The canvas of the image viewer: the image and the mask overlay on one Konva layer. The view transform is
 * applied imperatively from a ViewerStore subscription, and wheel/drag/pointer readouts go through native
 * listeners, so zooming and panning never re-render React.
 */
import Konva from 'konva';
import { useEffect, useLayoutEffect, useRef, useState } from 'react';
import { Image as KImage, Layer, Stage } from 'react-konva';
import { screenToImage } from './viewTransform.js';
import type { ViewerStore } from './ViewerStore.js';
import type { MaskOverlay } from './maskOverlay.js';

export interface KonvaViewProps {
  store: ViewerStore;
  /** An ImageBitmap draws without a decode on the main thread (see viewer/loadImage.ts loadBitmap). */
  image: HTMLImageElement | ImageBitmap | null;
  mask: MaskOverlay | null;
  /** Receives the image pixel under the pointer (or null when outside); write it to the DOM, not to state. */
  onPointerPixel?: (p: { x: number; y: number } | null) => void;
  /**
   * Size the image stands for, when `image` is a smaller stand-in (a downscaled copy shown until the original has
   * loaded): it is stretched to this size so the view, the mask and the pixel readout keep image coordinates.
   */
  imageSize?: { width: number; height: number };
  /** Called after each redraw of the layer (the pixels are in the canvas; the next frame shows them). */
  onDraw?: () => void;
}

export function KonvaView({ store, image, mask, onPointerPixel, imageSize, onDraw }: KonvaViewProps) {
  const containerRef = useRef<HTMLDivElement>(null);
  const layerRef = useRef<Konva.Layer>(null);
  const maskRef = useRef<Konva.Image>(null);
  const [size, setSize] = useState({ width: 0, height: 0 });
  const pointerPixel = useRef(onPointerPixel);
  pointerPixel.current = onPointerPixel;
  const drawn = useRef(onDraw);
  drawn.current = onDraw;
  const natural = image instanceof HTMLImageElement ? { width: image.naturalWidth, height: image.naturalHeight } : image;
  const width = imageSize?.width ?? natural?.width ?? 0;
  const height = imageSize?.height ?? natural?.height ?? 0;
  const hasStage = size.width > 0 && size.height > 0;

  // Viewport size: the only thing here that re-renders, and only on resize.
  useEffect(() => {
    const el = containerRef.current;
    if (!el) return;
    const ro = new ResizeObserver(() => {
      const next = { width: el.clientWidth, height: el.clientHeight };
      setSize((prev) => (prev.width === next.width && prev.height === next.height ? prev : next));
      store.setViewport(next);
    });
    ro.observe(el);
    return () => ro.disconnect();
  }, [store]);

  // Store → Konva, without React. A new picture or mask is drawn in the same commit (layout effect, synchronous
  // draw) instead of waiting for the next animation frame: showing a selection sooner is the point of this view.
  // react-konva has already asked for a batch draw of the same props (Konva.autoDrawEnabled), which would draw the
  // same pixels again in the next frame, the very frame that shows them; `skipBatch` makes that one draw a no-op.
  const skipBatch = useRef(false);
  const apply = useRef<(now: boolean) => void>(() => undefined);
  apply.current = (now: boolean) => {
    const layer = layerRef.current;
    if (!layer) return;
    const { view, showMask } = store.get();
    layer.position({ x: view.x, y: view.y });
    layer.scale({ x: view.scale, y: view.scale });
    // Past 2x, show pixels as squares: inspecting defects needs the real pixels, not interpolation.
    layer.imageSmoothingEnabled(view.scale < 2);
    maskRef.current?.visible(showMask);
    skipBatch.current = false;
    if (now) {
      layer.draw();
      // Konva's private flag: a batch draw is queued for the next frame. Without it (another Konva), nothing is skipped.
      skipBatch.current = (layer as unknown as { _waitingForDraw?: boolean })._waitingForDraw === true;
    } else layer.batchDraw();
  };
  useEffect(() => store.subscribe(() => apply.current(false)), [store]);
  useLayoutEffect(() => apply.current(true), [store, image, mask, size, width, height]);

  // The queued batch draw calls layer.draw() from its animation frame; it is skipped once after a synchronous draw
  // with nothing changed since (apply() clears the flag on every change it makes).
  useEffect(() => {
    const layer = layerRef.current;
    if (!layer) return;
    const draw = layer.draw;
    layer.draw = function (this: Konva.Layer) {
      if (skipBatch.current) {
        skipBatch.current = false;
        return this;
      }
      return draw.call(this);
    };
    return () => {
      layer.draw = draw;
    };
  }, [hasStage]);

  useEffect(() => {
    const layer = layerRef.current;
    if (!layer) return;
    const report = () => drawn.current?.();
    layer.on('draw', report);
    return () => {
      layer.off('draw', report);
    };
  }, [hasStage]);

  // Wheel zoom around the cursor, drag to pan, pixel readout.
  useEffect(() => {
    const el = containerRef.current;
    if (!el) return;
    let drag: { x: number; y: number; id: number } | null = null;
    const local = (e: MouseEvent) => {
      const r = el.getBoundingClientRect();
      return { x: e.clientX - r.left, y: e.clientY - r.top };
    };
    const onWheel = (e: WheelEvent) => {
      e.preventDefault();
      // Line-mode wheels (Firefox) report lines, not pixels.
      const dy = e.deltaMode === 1 ? e.deltaY * 16 : e.deltaY;
      store.wheel(dy, local(e));
    };
    const onDown = (e: PointerEvent) => {
      if (e.button !== 0 && e.button !== 1) return;
      drag = { x: e.clientX, y: e.clientY, id: e.pointerId };
      el.setPointerCapture(e.pointerId);
      el.classList.add('is-panning');
    };
    const onMove = (e: PointerEvent) => {
      if (drag && e.pointerId === drag.id) {
        store.pan(e.clientX - drag.x, e.clientY - drag.y);
        drag.x = e.clientX;
        drag.y = e.clientY;
      }
      const report = pointerPixel.current;
      if (report) {
        const s = store.get();
        const p = screenToImage(s.view, local(e));
        const inside = s.image && p.x >= 0 && p.y >= 0 && p.x < s.image.width && p.y < s.image.height;
        report(inside ? { x: Math.floor(p.x), y: Math.floor(p.y) } : null);
      }
    };
    const onUp = (e: PointerEvent) => {
      if (drag && e.pointerId === drag.id) {
        drag = null;
        el.classList.remove('is-panning');
      }
    };
    const onLeave = () => pointerPixel.current?.(null);
    el.addEventListener('wheel', onWheel, { passive: false });
    el.addEventListener('pointerdown', onDown);
    el.addEventListener('pointermove', onMove);
    el.addEventListener('pointerup', onUp);
    el.addEventListener('pointercancel', onUp);
    el.addEventListener('pointerleave', onLeave);
    return () => {
      el.removeEventListener('wheel', onWheel);
      el.removeEventListener('pointerdown', onDown);
      el.removeEventListener('pointermove', onMove);
      el.removeEventListener('pointerup', onUp);
      el.removeEventListener('pointercancel', onUp);
      el.removeEventListener('pointerleave', onLeave);
    };
  }, [store]);

  return (
    <div ref={containerRef} className="konva-view" data-testid="viewer-stage">
      {hasStage && (
        <Stage width={size.width} height={size.height} listening={false}>
          <Layer ref={layerRef} listening={false}>
            {image && <KImage image={image} x={0} y={0} width={width} height={height} />}
            {image && mask && (
              <KImage
                ref={maskRef}
                image={mask.canvas}
                x={0}
                y={0}
                width={width}
                height={height}
                globalCompositeOperation={mask.blend}
                name="mask-overlay"
              />
            )}
          </Layer>
        </Stage>
      )}
    </div>
  );
}
