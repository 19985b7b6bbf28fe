import { clipRect, unionRect, type Rect } from '../geometry/rect.js';
import type { MaskWriter } from '../mask/MaskWriter.js';
import { forEachRun, packBytes, unpackBytes, type PackedBytes } from './packedBytes.js';

/**
 * One open user intent (a stroke, a polygon, a fill, a proposal) while it is being applied to the mask.
 *
 * The mask is split into TILE x TILE tiles. The first time a raster operation prepares an area, the edit copies
 * the old bytes of each tile it overlaps (and never again for that tile). When the intent ends, `finish()` compares
 * each snapshot with the mask and keeps, per tile, only the tight box of pixels that really changed, with its
 * before and after bytes packed (see packedBytes.ts). So a long stroke costs memory along its path, not its
 * bounding box, and nothing for areas that were prepared but not changed (erasing where nothing was painted).
 *
 * Diffing every tile at pointer-up would stall that frame for a long stroke, so the stroke states call `settle()`
 * after each sample: it diffs a few tiles the stroke has moved away from. A tile prepared again later is simply
 * diffed again (its snapshot is kept until the edit ends), so `finish()` only has the last few tiles left to do.
 */
export const TILE = 64;

export interface Patch {
  x: number;
  y: number;
  w: number;
  h: number;
  before: PackedBytes;
  after: PackedBytes;
}

export interface MaskDiff {
  /** Box around every changed pixel. */
  bbox: Rect;
  patches: Patch[];
  /** Bytes this diff holds (packed data plus a fixed per-patch estimate for the objects around it). */
  bytes: number;
}

/** Bytes charged per patch for its JS objects (two typed arrays, two wrappers, the patch itself). */
export const PATCH_OVERHEAD_BYTES = 256;

export class MaskEdit implements MaskWriter {
  private readonly snapshots = new Map<number, Uint8Array>();
  /** Patch (or null: unchanged) per tile diffed by settle() and not prepared since. */
  private readonly settled = new Map<number, Patch | null>();
  /** Tiles prepared since they were last diffed, oldest first. */
  private readonly unsettled = new Set<number>();
  private readonly tilesX: number;

  constructor(
    readonly width: number,
    readonly height: number,
    readonly data: Uint8Array,
    readonly label: string,
    private readonly onPrepare: (rect: Rect) => void = () => {},
  ) {
    this.tilesX = Math.ceil(width / TILE);
  }

  prepare(rect: Rect): void {
    const r = clipRect(rect, this.width, this.height);
    if (!r) return;
    const tx0 = Math.floor(r.x / TILE);
    const ty0 = Math.floor(r.y / TILE);
    const tx1 = Math.floor((r.x + r.w - 1) / TILE);
    const ty1 = Math.floor((r.y + r.h - 1) / TILE);
    for (let ty = ty0; ty <= ty1; ty++) {
      for (let tx = tx0; tx <= tx1; tx++) {
        const key = ty * this.tilesX + tx;
        if (!this.snapshots.has(key)) this.snapshots.set(key, this.copyTile(tx, ty));
        this.settled.delete(key);
        // Re-inserting moves the tile to the back of the queue: the tiles settled first are the ones left longest ago.
        this.unsettled.delete(key);
        this.unsettled.add(key);
      }
    }
    this.onPrepare(r);
  }

  /** Number of tiles snapshotted so far (for tests and stats). */
  get snapshotCount(): number {
    return this.snapshots.size;
  }

  /** Tiles finish() would still have to diff. */
  get unsettledCount(): number {
    return this.unsettled.size;
  }

  /**
   * Diffs up to `maxTiles` tiles prepared since their last diff, oldest first, skipping tiles that overlap `active`
   * (where the pointer is now, so likely to change again). Returns how many it diffed.
   */
  settle(maxTiles: number, active: Rect | null): number {
    let done = 0;
    for (const key of this.unsettled) {
      if (done >= maxTiles) break;
      const t = this.tileRect(key);
      if (active && t.x < active.x + active.w && active.x < t.x + t.w && t.y < active.y + active.h && active.y < t.y + t.h) continue;
      this.settled.set(key, this.diffTile(key));
      this.unsettled.delete(key);
      done++;
    }
    return done;
  }

  /** The diff between the snapshots and the mask now; null when no pixel changed. */
  finish(): MaskDiff | null {
    for (const key of this.unsettled) this.settled.set(key, this.diffTile(key));
    this.unsettled.clear();
    const patches: Patch[] = [];
    let bbox: Rect | null = null;
    let bytes = 0;
    for (const patch of this.settled.values()) {
      if (!patch) continue;
      bytes += patch.before.data.byteLength + patch.after.data.byteLength + PATCH_OVERHEAD_BYTES;
      patches.push(patch);
      bbox = unionRect(bbox, patch);
    }
    return bbox ? { bbox: { x: bbox.x, y: bbox.y, w: bbox.w, h: bbox.h }, patches, bytes } : null;
  }

  private diffTile(key: number): Patch | null {
    const before = this.snapshots.get(key)!;
    const t = this.tileRect(key);
    const changed = this.changedBox(t, before);
    if (!changed) return null;
    const beforeBytes = new Uint8Array(changed.w * changed.h);
    const afterBytes = new Uint8Array(changed.w * changed.h);
    for (let y = 0; y < changed.h; y++) {
      const src = (changed.y - t.y + y) * t.w + (changed.x - t.x);
      beforeBytes.set(before.subarray(src, src + changed.w), y * changed.w);
      const m = (changed.y + y) * this.width + changed.x;
      afterBytes.set(this.data.subarray(m, m + changed.w), y * changed.w);
    }
    return { ...changed, before: packBytes(beforeBytes), after: packBytes(afterBytes) };
  }

  /** Puts every snapshotted tile back; returns the area restored (null when nothing was prepared). */
  revert(): Rect | null {
    let area: Rect | null = null;
    for (const [key, before] of this.snapshots) {
      const t = this.tileRect(key);
      for (let y = 0; y < t.h; y++) this.data.set(before.subarray(y * t.w, (y + 1) * t.w), (t.y + y) * this.width + t.x);
      area = unionRect(area, t);
    }
    this.snapshots.clear();
    this.settled.clear();
    this.unsettled.clear();
    return area;
  }

  private tileRect(key: number): Rect {
    const x = (key % this.tilesX) * TILE;
    const y = Math.floor(key / this.tilesX) * TILE;
    return { x, y, w: Math.min(TILE, this.width - x), h: Math.min(TILE, this.height - y) };
  }

  private copyTile(tx: number, ty: number): Uint8Array {
    const t = this.tileRect(ty * this.tilesX + tx);
    const out = new Uint8Array(t.w * t.h);
    for (let y = 0; y < t.h; y++) {
      const m = (t.y + y) * this.width + t.x;
      out.set(this.data.subarray(m, m + t.w), y * t.w);
    }
    return out;
  }

  private changedBox(t: Rect, before: Uint8Array): Rect | null {
    // Word-wise when rows are 4-byte aligned (every tile of a mask whose width is a multiple of 4, except a
    // narrower last column): a tile the stroke only grazed is then rejected in a quarter of the reads.
    if (this.width % 4 === 0 && t.w % 4 === 0 && this.data.byteOffset % 4 === 0) return this.changedBoxWords(t, before);
    let minX = Infinity;
    let minY = Infinity;
    let maxX = -1;
    let maxY = -1;
    for (let y = 0; y < t.h; y++) {
      const m = (t.y + y) * this.width + t.x;
      const b = y * t.w;
      for (let x = 0; x < t.w; x++) {
        if (this.data[m + x] !== before[b + x]) {
          if (x < minX) minX = x;
          if (x > maxX) maxX = x;
          if (y < minY) minY = y;
          maxY = y;
        }
      }
    }
    return maxX < 0 ? null : { x: t.x + minX, y: t.y + minY, w: maxX - minX + 1, h: maxY - minY + 1 };
  }

  private changedBoxWords(t: Rect, before: Uint8Array): Rect | null {
    const mw = new Uint32Array(this.data.buffer, this.data.byteOffset, this.data.length >>> 2);
    const bw = new Uint32Array(before.buffer, before.byteOffset, before.length >>> 2);
    const wordsPerRow = t.w >>> 2;
    let minW = Infinity;
    let maxW = -1;
    let minY = -1;
    let maxY = -1;
    for (let y = 0; y < t.h; y++) {
      const m = ((t.y + y) * this.width + t.x) >>> 2;
      const b = y * wordsPerRow;
      let first = -1;
      let last = -1;
      for (let i = 0; i < wordsPerRow; i++) {
        if (mw[m + i] !== bw[b + i]) {
          if (first < 0) first = i;
          last = i;
        }
      }
      if (first < 0) continue;
      if (minY < 0) minY = y;
      maxY = y;
      if (first < minW) minW = first;
      if (last > maxW) maxW = last;
    }
    if (maxW < 0) return null;
    // Narrow the box from whole words to the exact bytes at its left and right edges.
    let minX = Infinity;
    let maxX = -1;
    for (let y = minY; y <= maxY; y++) {
      const m = (t.y + y) * this.width + t.x;
      const b = y * t.w;
      for (let x = minW * 4; x < minW * 4 + 4 && x < minX; x++) if (this.data[m + x] !== before[b + x]) minX = x;
      for (let x = maxW * 4 + 3; x >= maxW * 4 && x > maxX; x--) if (this.data[m + x] !== before[b + x]) maxX = x;
    }
    return { x: t.x + minX, y: t.y + minY, w: maxX - minX + 1, h: maxY - minY + 1 };
  }
}

/** Writes a patch's before or after bytes into the mask. */
export function applyPatch(data: Uint8Array, width: number, patch: Patch, side: 'before' | 'after'): void {
  const packed = patch[side];
  if (packed.kind === 'raw') {
    const bytes = unpackBytes(packed);
    for (let y = 0; y < patch.h; y++) data.set(bytes.subarray(y * patch.w, (y + 1) * patch.w), (patch.y + y) * width + patch.x);
    return;
  }
  // Runs straight into the mask, split at row ends: no temporary buffer, and a uniform run is one fill per row.
  forEachRun(packed, (value, start, length) => {
    let i = start;
    const end = start + length;
    while (i < end) {
      const row = Math.floor(i / patch.w);
      const col = i - row * patch.w;
      const n = Math.min(end - i, patch.w - col);
      const m = (patch.y + row) * width + patch.x + col;
      data.fill(value, m, m + n);
      i += n;
    }
  });
}
