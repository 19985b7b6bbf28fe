/**
 * Virtualized thumbnail grid (react-window v2). Cells have one fixed size so that scrolling never measures or
 * reflows: only the ~60 visible cells exist in the DOM, each an <img> of a server-side cached thumbnail with
 * fixed dimensions, decoded asynchronously and requested lazily (see THUMB_DELAY_MS).
 */
import { useEffect, useRef, useState, type CSSProperties } from 'react';
import { getScrollbarSize, Grid, useGridRef, type CellComponentProps } from 'react-window';
import type { StudioClient } from '../../shared/client.js';
import type { ImageRecord } from '../../shared/dataset.js';
import { labelClass } from '../viewer/ImageViewer.js';

export const CELL_WIDTH = 148;
export const CELL_HEIGHT = 172;
const THUMB_BOX = 136;

interface CellData {
  images: ImageRecord[];
  columns: number;
  datasetId: string;
  client: StudioClient;
  thumbSize: number;
  selected: number | null;
  onOpen: (index: number) => void;
}

/**
 * A thumbnail is requested only once its cell has stayed mounted this long: a fast fling mounts and unmounts
 * hundreds of cells, and each request costs the page main-thread time (fetch + response handling ≈ 1-2 ms)
 * that it needs for frames. Virtualization already limits requests to what is (nearly) on screen.
 */
const THUMB_DELAY_MS = 60;

function Thumbnail({ url }: { url: string }) {
  const ref = useRef<HTMLImageElement>(null);
  useEffect(() => {
    const img = ref.current;
    if (!img) return;
    if (img.getAttribute('src') !== url) img.removeAttribute('src');
    // Set imperatively: a state update would re-render the cell for nothing but an attribute.
    const timer = setTimeout(() => {
      if (img.getAttribute('src') !== url) img.src = url;
    }, THUMB_DELAY_MS);
    return () => clearTimeout(timer);
  }, [url]);
  return <img ref={ref} width={THUMB_BOX} height={THUMB_BOX} decoding="async" draggable={false} alt="" />;
}

function Cell({ columnIndex, rowIndex, style, images, columns, datasetId, client, thumbSize, selected, onOpen }: CellComponentProps<CellData>) {
  const index = rowIndex * columns + columnIndex;
  const rec = images[index];
  if (!rec) return null;
  const name = rec.path.slice(rec.path.lastIndexOf('/') + 1);
  return (
    <div style={style as CSSProperties} className="grid-cell-slot">
      <button
        className={`grid-cell${selected === index ? ' selected' : ''}`}
        data-testid="grid-cell"
        data-index={index}
        data-path={rec.path}
        title={`${rec.path}\n${rec.width}×${rec.height} · ${rec.split} · ${rec.label}${rec.maskPath ? ' · mask' : ''}`}
        onClick={() => onOpen(index)}
      >
        <span className="thumb">
          <Thumbnail url={client.assetUrl({ kind: 'thumbnail', datasetId, path: rec.path, size: thumbSize })} />
          {rec.maskPath && <span className="mask-dot" title="has ground-truth mask" />}
        </span>
        <span className="cell-caption">
          <span className="cell-name">{name}</span>
          <span className={`chip ${labelClass(rec.label)}`}>{rec.label}</span>
        </span>
      </button>
    </div>
  );
}

export interface ThumbnailGridProps {
  client: StudioClient;
  datasetId: string;
  images: ImageRecord[];
  selected: number | null;
  onOpen: (index: number) => void;
}

export function ThumbnailGrid({ client, datasetId, images, selected, onOpen }: ThumbnailGridProps) {
  const wrapRef = useRef<HTMLDivElement>(null);
  const gridRef = useGridRef(null);
  const [size, setSize] = useState({ width: 0, height: 0 });

  useEffect(() => {
    const el = wrapRef.current;
    if (!el) return;
    const ro = new ResizeObserver(() => {
      const next = { width: el.clientWidth, height: el.clientHeight };
      setSize((prev) => (prev.width === next.width && prev.height === next.height ? prev : next));
    });
    ro.observe(el);
    return () => ro.disconnect();
  }, []);

  // The vertical scrollbar takes width from the grid; leave room so that no horizontal scrollbar appears.
  const usable = Math.max(0, size.width - getScrollbarSize());
  const columns = Math.max(1, Math.floor(usable / CELL_WIDTH));
  const columnWidth = Math.max(CELL_WIDTH, Math.floor(usable / columns));
  const rows = Math.ceil(images.length / columns);
  // One device pixel per image pixel; the server rounds up to its cached size buckets.
  const thumbSize = Math.round(THUMB_BOX * (window.devicePixelRatio || 1));

  // Coming back from the viewer, keep the image that was open in sight.
  useEffect(() => {
    if (selected === null || rows === 0 || size.height === 0) return;
    const row = Math.floor(selected / columns);
    if (row < rows) gridRef.current?.scrollToRow({ index: row, align: 'auto' });
  }, [selected, columns, rows, size.height, gridRef]);

  return (
    <div ref={wrapRef} className="grid-wrap" data-testid="grid" data-count={images.length}>
      {size.width > 0 && size.height > 0 && (
        <Grid
          gridRef={gridRef}
          cellComponent={Cell}
          cellProps={{ images, columns, datasetId, client, thumbSize, selected, onOpen }}
          columnCount={columns}
          columnWidth={columnWidth}
          rowCount={rows}
          rowHeight={CELL_HEIGHT}
          overscanCount={2}
          style={{ width: size.width, height: size.height }}
          data-testid="grid-scroller"
        />
      )}
    </div>
  );
}
