/**
 * The selected image with its anomaly heatmap and the predicted-mask contour (Konva viewer from ../viewer).
 * Image and map load in parallel; the previous pair stays on screen until both have arrived. The overlay
 * canvas is redrawn from a store subscription when threshold, opacity or colour map change, without waiting
 * for React. `data-heatmap` names the image whose heatmap is on screen (tests and bench/review.ts wait on it).
 */
import { useEffect, useRef, useState } from 'react';
import type { StudioClient } from '../../shared/client.js';
import type { ReviewResult } from '../../shared/contract/review.js';
import { useStoreValue } from '../state/store.js';
import { KonvaView } from '../viewer/KonvaView.js';
import { loadImage } from '../viewer/loadImage.js';
import type { MaskOverlay } from '../viewer/maskOverlay.js';
import type { ViewerStore } from '../viewer/ViewerStore.js';
import { HeatmapCanvas, type OverlayStyle } from './heatmapCanvas.js';
import type { ReviewState, ReviewStore } from './ReviewStore.js';

interface Loaded {
  path: string;
  image: HTMLImageElement;
  heat: HeatmapCanvas | null;
}

function styleOf(s: ReviewState, showHeatmap: boolean): OverlayStyle {
  return { colormap: s.colormap, opacity: s.opacity, max: s.run?.mapMaxValue ?? 1, threshold: s.threshold, showHeatmap, showContour: s.showContour };
}

export function ReviewViewer({ client, store, viewer, result }: { client: StudioClient; store: ReviewStore; viewer: ViewerStore; result: ReviewResult }) {
  const datasetId = useStoreValue(store, (s) => s.run?.datasetId ?? null);
  const showHeatmap = useStoreValue(viewer, (s) => s.showMask);
  const zoomPercent = useStoreValue(viewer, (s) => Math.round(s.view.scale * 100));
  const [loaded, setLoaded] = useState<Loaded | null>(null);
  const [overlay, setOverlay] = useState<MaskOverlay | null>(null);
  const [error, setError] = useState<string | null>(null);
  const rootRef = useRef<HTMLElement>(null);
  // A decision replaces the result object; only a new image or map should reload.
  const resultRef = useRef(result);
  resultRef.current = result;

  useEffect(() => {
    if (!datasetId) return;
    let cancelled = false;
    setError(null);
    // Phase marks for bench/review.ts (select → loaded → overlay drawn → shown); cheap, and visible in a profile.
    performance.mark('review:select');
    // The reviewer usually steps on (J / ↓): warm the next image and map while this one is being looked at.
    const prefetchNext = () => {
      const s = store.get();
      const i = s.results.findIndex((r) => r.path === result.path);
      const next = i >= 0 ? s.results[i + 1] : undefined;
      if (!next || !next.mapFile) return;
      void store.map(next).catch(() => undefined);
      const img = new Image();
      img.src = client.assetUrl({ kind: 'image', datasetId, path: next.path });
    };
    const imageUrl = client.assetUrl({ kind: 'image', datasetId, path: result.path });
    Promise.all([loadImage(imageUrl, result.path), result.mapFile ? store.map(resultRef.current) : Promise.resolve(null)])
      .then(([image, map]) => {
        if (cancelled) return;
        performance.mark('review:loaded');
        const heat = map ? new HeatmapCanvas(map, { width: image.naturalWidth, height: image.naturalHeight }) : null;
        viewer.setImage({ width: image.naturalWidth, height: image.naturalHeight });
        setLoaded({ path: result.path, image, heat });
        setOverlay(heat ? heat.draw(styleOf(store.get(), viewer.get().showMask)) : null);
        performance.mark('review:overlay');
        prefetchNext();
      })
      .catch((e: unknown) => {
        if (!cancelled) setError(e instanceof Error ? e.message : String(e));
      });
    return () => {
      cancelled = true;
    };
  }, [client, datasetId, result.path, result.mapFile, store, viewer]);

  // Threshold / opacity / colour map / toggles → redraw the overlay canvas (at most once per frame).
  useEffect(() => {
    const heat = loaded?.heat;
    if (!heat) return;
    let frame = 0;
    let last = '';
    const redraw = () => {
      frame = 0;
      const st = styleOf(store.get(), viewer.get().showMask);
      const key = JSON.stringify(st);
      if (key === last) return;
      last = key;
      setOverlay(heat.draw(st));
    };
    const schedule = () => {
      if (!frame) frame = requestAnimationFrame(redraw);
    };
    last = JSON.stringify(styleOf(store.get(), viewer.get().showMask));
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

  // Mark the heatmap as shown once the overlay of this image has been painted (after Konva's batchDraw).
  useEffect(() => {
    const el = rootRef.current;
    if (!el) return;
    const path = loaded?.path ?? '';
    const id = requestAnimationFrame(() => {
      el.dataset.heatmap = overlay && loaded?.heat ? path : '';
      if (overlay && loaded?.heat) performance.mark('review:shown');
      el.dataset.contour = String(loaded?.heat?.contourPixels ?? 0);
    });
    return () => cancelAnimationFrame(id);
  }, [loaded, overlay]);

  const stale = loaded !== null && loaded.path !== result.path;
  return (
    <section className="viewer review-viewer" ref={rootRef} data-testid="review-viewer" data-path={result.path} data-loaded={loaded?.path === result.path ? 'true' : 'false'}>
      <div className="viewer-body">
        <KonvaView store={viewer} image={loaded?.image ?? null} mask={loaded?.heat ? overlay : null} />
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
