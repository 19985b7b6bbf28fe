/**
 * The Annotate stage: three Konva layers over the AnnotateEditor (which owns every pixel and all interaction state).
 *
 *   image    the photo; redrawn only when the view changes
 *   mask     one image-sized <canvas> holding the coloured class overlay; each animation frame re-colours only the
 *            editor's dirty rects (putImageData of those rects) and redraws this layer, nearest-neighbour, so a
 *            brush stroke on a 4096 x 4096 image costs its own pixels plus one scaled blit
 *   overlay  polygon draft and brush outline, in image coordinates
 *
 * Input goes straight from native DOM events to the editor (stage coordinates), and the view transform is applied to
 * the layers from an editor subscription, so neither pointer moves nor zooming re-render React.
 */
import Konva from 'konva';
import { useEffect, useMemo, useRef, useState } from 'react';
import { Circle, Image as KImage, Layer, Line, Stage } from 'react-konva';
import type { AnnotateEditor } from '../editor/index.js';
import { capturesKeys } from '../viewer/ImageViewer.js';

export interface AnnotateCanvasProps {
  editor: AnnotateEditor;
  image: ImageBitmap;
  /** Keys the screen handles before the editor (help overlay, image navigation); return true when handled. */
  onKey?: (e: KeyboardEvent) => boolean;
}

const WHEEL_ZOOM_PER_PX = 1.0015;

export function AnnotateCanvas({ editor, image, onKey }: AnnotateCanvasProps) {
  const containerRef = useRef<HTMLDivElement>(null);
  const imageLayer = useRef<Konva.Layer>(null);
  const maskLayer = useRef<Konva.Layer>(null);
  const overlayLayer = useRef<Konva.Layer>(null);
  const draftLine = useRef<Konva.Line>(null);
  const cursor = useRef<Konva.Circle>(null);
  const [size, setSize] = useState({ width: 0, height: 0 });
  const keyHandler = useRef(onKey);
  keyHandler.current = onKey;

  // The overlay canvas: image-sized, coloured incrementally from dirty rects.
  const maskCanvas = useMemo(() => {
    const c = document.createElement('canvas');
    c.width = editor.getWidth();
    c.height = editor.getHeight();
    return c;
  }, [editor]);

  useEffect(() => {
    const el = containerRef.current;
    if (!el) return;
    let fitted = false;
    const ro = new ResizeObserver(() => {
      const next = { width: el.clientWidth, height: el.clientHeight };
      if (next.width === 0 || next.height === 0) return;
      setSize((prev) => (prev.width === next.width && prev.height === next.height ? prev : next));
      editor.setViewport(next.width, next.height, { fit: !fitted });
      fitted = true;
    });
    ro.observe(el);
    return () => ro.disconnect();
  }, [editor]);

  // Dirty rects -> canvas, once per animation frame.
  useEffect(() => {
    const ctx = maskCanvas.getContext('2d');
    if (!ctx) return;
    let scratch = new Uint8ClampedArray(0);
    let raf = 0;
    const flush = () => {
      raf = 0;
      for (const r of editor.takeDirtyRects()) {
        const n = r.w * r.h * 4;
        if (scratch.length < n) scratch = new Uint8ClampedArray(n);
        const rgba = editor.renderOverlay(r, scratch);
        ctx.putImageData(new ImageData(rgba.subarray(0, n) as Uint8ClampedArray<ArrayBuffer>, r.w, r.h), r.x, r.y);
      }
      // A whole-image repaint needs a 64 MiB scratch at 4096^2; do not keep it for the small rects of strokes.
      if (scratch.length > 4 << 20) scratch = new Uint8ClampedArray(0);
      maskLayer.current?.draw();
    };
    const schedule = () => {
      if (!raf) raf = requestAnimationFrame(flush);
    };
    const offDirty = editor.on('dirty', schedule);
    const offLoaded = editor.on('loaded', schedule);
    schedule();
    return () => {
      offDirty();
      offLoaded();
      if (raf) cancelAnimationFrame(raf);
    };
  }, [editor, maskCanvas, size]);

  // Editor view/draft/cursor -> Konva nodes, without React.
  useEffect(() => {
    let lastView = editor.getView();
    const apply = (force: boolean) => {
      const view = editor.getView();
      const viewChanged = force || view !== lastView;
      lastView = view;
      const scale = view.scale;
      for (const layer of [imageLayer.current, maskLayer.current, overlayLayer.current]) {
        if (!layer || !viewChanged) continue;
        layer.position({ x: view.offsetX, y: view.offsetY });
        layer.scale({ x: scale, y: scale });
      }
      if (viewChanged) {
        imageLayer.current?.imageSmoothingEnabled(scale < 2);
        imageLayer.current?.batchDraw();
        maskLayer.current?.batchDraw();
      }
      const draft = editor.getPolygonDraft();
      const line = draftLine.current;
      if (line) {
        line.visible(draft !== null);
        if (draft) line.points([...draft.points, draft.cursor].flatMap((p) => [p.x, p.y]));
        line.strokeWidth(1.5 / scale);
      }
      const c = cursor.current;
      if (c) {
        const tool = editor.getCurrentToolId();
        const p = editor.getPointer().point;
        c.visible(tool === 'brush' || tool === 'eraser');
        c.position(p);
        c.radius(editor.getBrushSize() / 2);
        c.strokeWidth(1 / scale);
        c.dash([4 / scale, 4 / scale]);
      }
      overlayLayer.current?.batchDraw();
    };
    apply(true);
    return editor.subscribe(() => apply(false));
  }, [editor, size]);

  // Pointer, wheel and keys -> editor.
  useEffect(() => {
    const el = containerRef.current;
    if (!el) return;
    const local = (e: MouseEvent) => {
      const r = el.getBoundingClientRect();
      return { x: e.clientX - r.left, y: e.clientY - r.top };
    };
    const onDown = (e: PointerEvent) => {
      if (e.button !== 0 && e.button !== 1) return;
      e.preventDefault();
      el.focus({ preventScroll: true });
      // Capture keeps a stroke going when the pointer leaves the stage; a pointer the browser does not know
      // (synthetic events) cannot be captured, which must not stop the stroke.
      try {
        el.setPointerCapture(e.pointerId);
      } catch {
        /* not capturable */
      }
      const p = local(e);
      editor.pointerDown(p.x, p.y, e);
    };
    const onMove = (e: PointerEvent) => {
      const p = local(e);
      editor.pointerMove(p.x, p.y, e);
    };
    const onUp = (e: PointerEvent) => {
      const p = local(e);
      editor.pointerUp(p.x, p.y, e);
    };
    const onDouble = (e: MouseEvent) => {
      const p = local(e);
      editor.doubleClick(p.x, p.y, e);
    };
    const onWheel = (e: WheelEvent) => {
      e.preventDefault();
      const dy = e.deltaMode === 1 ? e.deltaY * 16 : e.deltaY;
      editor.zoomBy(Math.pow(WHEEL_ZOOM_PER_PX, -dy), local(e));
    };
    const onKeyDown = (e: KeyboardEvent) => {
      if (capturesKeys(e.target)) return;
      if (keyHandler.current?.(e)) {
        e.preventDefault();
        return;
      }
      if (editor.keyDown(e.key, e)) e.preventDefault();
    };
    const onKeyUp = (e: KeyboardEvent) => {
      if (editor.keyUp(e.key)) e.preventDefault();
    };
    const onBlur = () => editor.interrupt();
    const noMenu = (e: Event) => e.preventDefault();
    el.addEventListener('pointerdown', onDown);
    el.addEventListener('pointermove', onMove);
    el.addEventListener('pointerup', onUp);
    el.addEventListener('pointercancel', onUp);
    el.addEventListener('dblclick', onDouble);
    el.addEventListener('wheel', onWheel, { passive: false });
    el.addEventListener('contextmenu', noMenu);
    window.addEventListener('keydown', onKeyDown);
    window.addEventListener('keyup', onKeyUp);
    window.addEventListener('blur', onBlur);
    return () => {
      el.removeEventListener('pointerdown', onDown);
      el.removeEventListener('pointermove', onMove);
      el.removeEventListener('pointerup', onUp);
      el.removeEventListener('pointercancel', onUp);
      el.removeEventListener('dblclick', onDouble);
      el.removeEventListener('wheel', onWheel);
      el.removeEventListener('contextmenu', noMenu);
      window.removeEventListener('keydown', onKeyDown);
      window.removeEventListener('keyup', onKeyUp);
      window.removeEventListener('blur', onBlur);
      // Leaving the screen ends a stroke safely (committed and saved), like a tool switch.
      editor.interrupt();
    };
  }, [editor]);

  const w = editor.getWidth();
  const h = editor.getHeight();
  return (
    <div
      ref={containerRef}
      className="konva-view annotate-stage"
      data-testid="annotate-stage"
      data-width={w}
      data-height={h}
      tabIndex={0}
      aria-label="Annotation canvas: draw with the current tool; press ? for shortcuts"
    >
      {size.width > 0 && size.height > 0 && (
        <Stage width={size.width} height={size.height} listening={false}>
          <Layer ref={imageLayer} listening={false}>
            <KImage image={image} x={0} y={0} width={w} height={h} />
          </Layer>
          <Layer ref={maskLayer} listening={false} imageSmoothingEnabled={false}>
            <KImage image={maskCanvas} x={0} y={0} width={w} height={h} name="annotation-mask" />
          </Layer>
          <Layer ref={overlayLayer} listening={false}>
            <Line ref={draftLine} points={[]} stroke="#4c9aff" strokeWidth={1} closed={false} visible={false} />
            <Circle ref={cursor} radius={10} stroke="#ffffff" strokeWidth={1} visible={false} />
          </Layer>
        </Stage>
      )}
    </div>
  );
}
