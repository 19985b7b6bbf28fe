/**
 * The selected image with its anomaly heatmap and the predicted-mask contour (Konva viewer from ../viewer).
 * What a selection waits for is small: the preview map (≤ 256 px) and the run's JPEG view of the image; both are
 * usually already decoded, because the rows before and after the selection are preloaded once it is on screen.
 * The original image then replaces the view (same size on screen, so nothing moves). The previous pair stays on
 * screen until the new one has arrived. One HeatmapCanvas is reused for every image, and the overlay is redrawn
 * from a store subscription when threshold, opacity or colour map change, without waiting for React.
 * `data-heatmap` names the image whose heatmap Konva has drawn (set in the frame after the layer's draw event;
 * tests and bench/review.ts wait on it); `data-image` says whether the `view` or the `full` original is shown.
 */
import { useEffect, useRef, useState } from 'react';
import type { ReviewResult } from '../../shared/contract/review.js';
import { useStoreValue } from '../state/store.js';
import { KonvaView } from '../viewer/KonvaView.js';
import type { MaskOverlay } from '../viewer/maskOverlay.js';
import type { ViewerStore } from '../viewer/ViewerStore.js';
import { HeatmapCanvas, styleKey, type OverlayStyle } from './heatmapCanvas.js';
import type { ReviewState, ReviewStore } from './ReviewStore.js';

interface Loaded {
  path: string;
  image: ImageBitmap;
  /** The original's size (the view may be smaller). */
  size: { width: number; height: number };
  full: boolean;
  heat: HeatmapCanvas | null;
}

function styleOf(s: ReviewState, showHeatmap: boolean): OverlayStyle {
  return { colormap: s.colormap, opacity: s.opacity, max: s.run?.mapMaxValue ?? 1, threshold: s.threshold, showHeatmap, showContour: s.showContour };
}


/** Runs `fn` when the page is idle (or after `ms`), so preloading never competes with the frame being shown. */
function whenIdle(fn: () => void, ms = 200): () => void {
  if (typeof requestIdleCallback === 'function') {
    const id = requestIdleCallback(fn, { timeout: ms });
    return () => cancelIdleCallback(id);
  }
  const id = setTimeout(fn, 16);
  return () => clearTimeout(id);
}

export function ReviewViewer({ store, viewer, result }: { store: ReviewStore; viewer: ViewerStore; result: ReviewResult }) {
  const datasetId = useStoreValue(store, (s) => s.run?.datasetId ?? null);
  const zoomPercent = useStoreValue(viewer, (s) => Math.round(s.view.scale * 100));
  const [loaded, setLoaded] = useState<Loaded | null>(null);
  const [overlay, setOverlay] = useState<MaskOverlay | null>(null);
  const [error, setError] = useState<string | null>(null);
  const rootRef = useRef<HTMLElement>(null);
  // Two overlay canvases used in turn (see the loading effect); the front one is on screen.
  const heatRefs = useRef<[HeatmapCanvas | null, HeatmapCanvas | null]>([null, null]);
  const frontHeatRef = useRef<HeatmapCanvas | null>(null);
  // What the next Konva draw shows, for the draw callback (which runs outside React).
  const drawnRef = useRef<{ path: string; heat: boolean; full: boolean } | null>(null);
  drawnRef.current = loaded ? { path: loaded.path, heat: overlay !== null && loaded.heat !== null, full: loaded.full } : null;
  const shownRef = useRef<string | null>(null);
  const afterShownRef = useRef<{ path: string; run: () => void } | null>(null);
  // A decision replaces the result object; only a new image or map should reload.
  const resultRef = useRef(result);
  resultRef.current = result;

  useEffect(() => {
    if (!datasetId) return;
    let cancelled = false;
    let cancelIdle: (() => void) | null = null;
    setError(null);
    // Phase marks for bench/review.ts (select → loaded → overlay drawn → shown); cheap, and visible in a profile.
    performance.mark('review:select');
    const r = resultRef.current;
    const urls = store.imageUrls(r);
    if (!urls) return;
    const size = { width: r.width, height: r.height };
    // The overlay is coloured as soon as the map is in (it is the smaller file), while the picture is still being
    // fetched and decoded off the main thread, so that ~10-20 ms of main-thread work overlaps the wait instead of
    // following it. It is drawn into the canvas that is not on screen (two, used in turn), so the heatmap shown
    // never changes before its picture does.
    const coloured = (r.mapFile ? store.map(r) : Promise.resolve(null)).then((map) => {
      if (!map || cancelled) return null;
      const [a, b] = heatRefs.current;
      let heat = a && a !== frontHeatRef.current ? a : b && b !== frontHeatRef.current ? b : null;
      if (heat) heat.setMap(map, size);
      else {
        heat = new HeatmapCanvas(map, size);
        heatRefs.current = a ? [a, heat] : [heat, b];
      }
      const drawn = heat.draw(styleOf(store.get(), viewer.get().showMask));
      performance.mark('review:overlay');
      return { heat, drawn };
    });
    Promise.all([store.image(urls.first, r.path), coloured])
      .then(([image, painted]) => {
        if (cancelled) return;
        performance.mark('review:loaded');
        const heat = painted?.heat ?? null;
        frontHeatRef.current = heat ?? frontHeatRef.current;
        viewer.setImage(size);
        const full = urls.first === urls.full;
        setLoaded({ path: r.path, image, size, full, heat });
        // Drawn with the style of when the map came in; a change since then is redrawn by the effect below.
        setOverlay(painted ? painted.drawn : null);
        // Once this heatmap is on screen: the original (pixel inspection needs it), then, when the page is idle,
        // the neighbours. Started only then, so neither competes with the first paint for the CPU.
        afterShownRef.current = {
          path: r.path,
          run: () => {
            if (cancelled) return;
            if (!full) {
              store
                .image(urls.full, r.path, false)
                .then((original) => {
                  if (!cancelled) setLoaded((l) => (l && l.path === r.path ? { ...l, image: original, full: true } : l));
                })
                .catch((e: unknown) => {
                  if (!cancelled) setError(e instanceof Error ? e.message : String(e));
                });
            }
            cancelIdle = whenIdle(() => store.neighbours(r.path).forEach((n) => store.preload(n)));
          },
        };
      })
      .catch((e: unknown) => {
        if (!cancelled) setError(e instanceof Error ? e.message : String(e));
      });
    return () => {
      cancelled = true;
      cancelIdle?.();
    };
  }, [datasetId, result.path, result.mapFile, result.viewFile, store, viewer]);

  // Threshold / opacity / colour map / toggles → redraw the overlay canvas (at most once per frame).
  useEffect(() => {
    const heat = loaded?.heat;
    if (!heat) return;
    let frame = 0;
    const redraw = () => {
      frame = 0;
      const st = styleOf(store.get(), viewer.get().showMask);
      if (styleKey(st) !== heat.drawnStyle) setOverlay(heat.draw(st));
    };
    const schedule = () => {
      if (!frame) frame = requestAnimationFrame(redraw);
    };
    // The overlay was coloured when the map came in; a slider moved since then shows on the next frame.
    if (styleKey(styleOf(store.get(), viewer.get().showMask)) !== heat.drawnStyle) schedule();
    const off1 = store.subscribe(schedule);
    const off2 = viewer.subscribe((n, p) => {
      if (n.showMask !== p.showMask) schedule();
    });
    return () => {
      off1();
      off2();
      if (frame) cancelAnimationFrame(frame);
    };
  }, [loaded, store, viewer]);

  // After Konva has drawn this image's heatmap (its layer's draw event), mark it shown in the next frame.
  const onDraw = () => {
    const d = drawnRef.current;
    if (d?.heat && shownRef.current !== d.path) performance.mark('review:drawn');
    requestAnimationFrame(() => {
      const el = rootRef.current;
      if (!el || !d || drawnRef.current?.path !== d.path) return;
      const path = d.heat && viewer.get().showMask ? d.path : '';
      if (path && shownRef.current !== path) performance.mark('review:shown');
      shownRef.current = path || null;
      const after = afterShownRef.current;
      if (after && after.path === d.path) {
        afterShownRef.current = null;
        after.run();
      }
      el.dataset.heatmap = path;
      el.dataset.image = d.full ? 'full' : 'view';
      el.dataset.contour = String(frontHeatRef.current?.contourPixels ?? 0);
    });
  };

  const stale = loaded !== null && loaded.path !== result.path;
  return (
    <section className="viewer review-viewer" ref={rootRef} data-testid="review-viewer" data-path={result.path} data-loaded={loaded?.path === result.path ? 'true' : 'false'}>
      <div className="viewer-body">
        <KonvaView store={viewer} image={loaded?.image ?? null} imageSize={loaded?.size} mask={loaded?.heat ? overlay : null} onDraw={onDraw} />
        {(error || result.error) && (
          <div className="viewer-message error" data-testid="review-viewer-error">
            {result.error ?? error}
          </div>
        )}
        {!error && !result.error && (!loaded || stale) && <div className="viewer-loading">Loading…</div>}
        <span className="mono zoom-badge">{zoomPercent}%</span>
      </div>
    </section>
  );
}
