/**
 * Image viewer: toolbar, Konva canvas, info line. Loads the image and its ground-truth mask by asset URL, keeps
 * the previous image on screen until the next one has decoded (no flash while arrowing through a dataset), and
 * owns the viewer's keyboard shortcuts.
 */
import { useEffect, useRef, useState } from 'react';
import type { StudioClient } from '../../shared/client.js';
import type { ImageRecord } from '../../shared/dataset.js';
import { useStoreValue } from '../state/store.js';
import { KonvaView } from './KonvaView.js';
import { loadBitmap, loadImage } from './loadImage.js';
import { maskOverlay, type MaskOverlay } from './maskOverlay.js';
import { useCloseReplaced } from './useCloseReplaced.js';
import type { ViewerStore } from './ViewerStore.js';

export interface ImageViewerProps {
  client: StudioClient;
  store: ViewerStore;
  datasetId: string;
  record: ImageRecord;
  index: number;
  count: number;
  onStep: (delta: number) => void;
  onClose: () => void;
}

interface Loaded {
  path: string;
  image: ImageBitmap;
  mask: MaskOverlay | null;
}

export function ImageViewer({ client, store, datasetId, record, index, count, onStep, onClose }: ImageViewerProps) {
  const [loaded, setLoaded] = useState<Loaded | null>(null);
  const [error, setError] = useState<string | null>(null);
  const pixelRef = useRef<HTMLSpanElement>(null);
  const zoomPercent = useStoreValue(store, (s) => Math.round(s.view.scale * 100));
  const showMask = useStoreValue(store, (s) => s.showMask);
  // Each bitmap is loaded for this viewer alone: close it once the next is shown, and when the viewer closes.
  useCloseReplaced(loaded?.image ?? null);

  useEffect(() => {
    let cancelled = false;
    setError(null);
    const imageUrl = client.assetUrl({ kind: 'image', datasetId, path: record.path });
    const maskUrl = record.maskPath ? client.assetUrl({ kind: 'mask', datasetId, path: record.maskPath }) : null;
    Promise.all([
      loadBitmap(imageUrl, record.path),
      maskUrl && record.maskPath ? loadImage(maskUrl, record.maskPath, { readPixels: true }).then(maskOverlay) : Promise.resolve(null),
    ])
      .then(([image, mask]) => {
        if (cancelled) {
          image.close(); // superseded before it was shown
          return;
        }
        store.setImage({ width: image.width, height: image.height });
        setLoaded({ path: record.path, image, mask });
      })
      .catch((e: unknown) => {
        if (!cancelled) setError(e instanceof Error ? e.message : String(e));
      });
    return () => {
      cancelled = true;
    };
  }, [client, datasetId, record.path, record.maskPath, store]);

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.key !== 'Escape' && capturesKeys(e.target)) return;
      if (e.ctrlKey || e.metaKey || e.altKey) return;
      switch (e.key) {
        case 'ArrowRight':
        case 'ArrowDown':
          onStep(1);
          break;
        case 'ArrowLeft':
        case 'ArrowUp':
          onStep(-1);
          break;
        case 'f':
        case 'F':
          store.fit();
          break;
        case '1':
          store.actualSize();
          break;
        case 'm':
        case 'M':
          store.toggleMask();
          break;
        case '+':
        case '=':
          store.zoom(1.25);
          break;
        case '-':
          store.zoom(0.8);
          break;
        case 'Escape':
          onClose();
          break;
        default:
          return;
      }
      e.preventDefault();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [store, onStep, onClose]);

  // While the next image decodes, the previous one stays on screen with its own mask.
  const stale = loaded !== null && loaded.path !== record.path;
  const mask = loaded?.mask ?? null;

  return (
    <section className="viewer" data-testid="viewer" data-path={record.path} data-loaded={loaded?.path === record.path ? 'true' : 'false'}>
      <header className="toolbar">
        <button className="btn" data-testid="viewer-back" onClick={onClose} title="Back to the grid (Esc)">
          ← Grid
        </button>
        <div className="toolbar-sep" />
        <button className="btn icon" data-testid="viewer-prev" onClick={() => onStep(-1)} disabled={index <= 0} title="Previous image (←)">
          ‹
        </button>
        <span className="mono dim" data-testid="viewer-position">
          {index + 1} / {count}
        </span>
        <button className="btn icon" data-testid="viewer-next" onClick={() => onStep(1)} disabled={index >= count - 1} title="Next image (→)">
          ›
        </button>
        <div className="toolbar-sep" />
        <button className="btn" data-testid="viewer-fit" onClick={() => store.fit()} title="Fit to window (F)">
          Fit
        </button>
        <button className="btn" data-testid="viewer-actual" onClick={() => store.actualSize()} title="Actual pixels (1)">
          1:1
        </button>
        <span className="mono zoom-readout" data-testid="viewer-zoom">
          {zoomPercent}%
        </span>
        <div className="toolbar-sep" />
        <label className={`check ${record.maskPath ? '' : 'disabled'}`} title={record.maskPath ? 'Ground-truth mask overlay (M)' : 'This image has no ground-truth mask'}>
          <input type="checkbox" data-testid="viewer-mask-toggle" checked={showMask} disabled={!record.maskPath} onChange={(e) => store.setShowMask(e.target.checked)} />
          Mask
        </label>
        <div className="toolbar-spacer" />
        <span className="mono dim" ref={pixelRef} data-testid="viewer-pixel" />
      </header>
      <div className="viewer-body">
        <KonvaView
          store={store}
          image={loaded?.image ?? null}
          mask={mask}
          onPointerPixel={(p) => {
            if (pixelRef.current) pixelRef.current.textContent = p ? `x ${p.x}  y ${p.y}` : '';
          }}
        />
        {error && (
          <div className="viewer-message error" data-testid="viewer-error">
            {error}
          </div>
        )}
        {!error && (!loaded || stale) && <div className="viewer-loading">Loading…</div>}
      </div>
      <footer className="viewer-info">
        <span className="mono path" title={record.path} data-testid="viewer-filename">
          {record.path}
        </span>
        <span className={`chip ${labelClass(record.label)}`}>{record.label}</span>
        <span className="dim">{record.split}</span>
        <span className="mono dim">
          {record.width}×{record.height}
        </span>
        <span className="dim">{record.maskPath ? 'mask' : 'no mask'}</span>
      </footer>
    </section>
  );
}

/** Fields where typing or arrow keys mean something to the field itself; checkboxes and buttons do not. */
export function capturesKeys(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  if (target.isContentEditable || target.tagName === 'SELECT' || target.tagName === 'TEXTAREA') return true;
  if (target.tagName !== 'INPUT') return false;
  const type = (target as HTMLInputElement).type;
  return !['checkbox', 'radio', 'button', 'submit', 'reset', 'range'].includes(type);
}

export function labelClass(label: string): string {
  if (label === 'good') return 'chip-good';
  if (label === 'unlabeled') return 'chip-neutral';
  return 'chip-defect';
}
