/**
 * The page's side of the mask worker (maskCodec.worker.ts): `sync` hands over a copy of an image's mask once,
 * `update` sends only the rectangle an edit changed and gets back the compressed mask and its painted-pixel count.
 * Where no worker can start (tests in Node), the same work runs inline.
 */
import { encodeMaskBytes, type MaskBytes } from '../../shared/contract/annotations.js';
import type { PackedBytes, Rect } from '../editor/index.js';

/** A rectangle of mask bytes, RLE-packed or raw (the history's own patch format, so edits cross almost for free). */
export interface MaskPatch {
  x: number;
  y: number;
  w: number;
  h: number;
  bytes: PackedBytes;
}

export type MirrorRequest =
  | { type: 'sync'; id: number; key: string; mask: Uint8Array; width: number; height: number }
  | { type: 'patch'; id: number; key: string; patches: MaskPatch[] };
export type MirrorReply = { id: number; ok: true; painted: number; bytes: MaskBytes | null } | { id: number; ok: false; error: string };

export interface Encoded {
  bytes: MaskBytes;
  painted: number;
}

function countPainted(mask: Uint8Array): number {
  let n = 0;
  for (let i = 0; i < mask.length; i++) if (mask[i] !== 0) n++;
  return n;
}

export class MaskMirror {
  private worker: Worker | null = null;
  private nextId = 0;
  private synced: string | null = null;
  private readonly pending = new Map<number, { resolve: (r: MirrorReply & { ok: true }) => void; reject: (e: Error) => void }>();
  /** dispose() was called: stop the worker once idle (a later request starts a new one). */
  private closing = false;
  /** The worker failed or cannot start here: work inline from now on. */
  private broken = false;

  /** The worker, started on first use (and again after dispose), or null where none can run. */
  private ensureWorker(): Worker | null {
    this.closing = false;
    if (this.worker || this.broken) return this.worker;
    try {
      const w = new Worker(new URL('./maskCodec.worker.ts', import.meta.url), { type: 'module' });
      w.onmessage = (e: MessageEvent<MirrorReply>) => {
        const p = this.pending.get(e.data.id);
        if (!p) return;
        this.pending.delete(e.data.id);
        if (e.data.ok) p.resolve(e.data);
        else p.reject(new Error(e.data.error));
        if (this.closing && this.pending.size === 0) this.terminate();
      };
      w.onerror = () => this.fallBack(new Error('The mask worker failed; masks are compressed on the main thread from now on.'));
      this.worker = w;
    } catch {
      this.broken = true;
    }
    return this.worker;
  }

  /** Hands the worker a copy of an image's whole mask (on open); resolves with its painted-pixel count. */
  async sync(key: string, mask: Uint8Array, width: number, height: number): Promise<number> {
    if (!this.ensureWorker()) return countPainted(mask);
    const copy = mask.slice();
    this.synced = key;
    const r = await this.post({ type: 'sync', id: ++this.nextId, key, mask: copy, width, height }, [copy.buffer]);
    return r.painted;
  }

  /**
   * The compressed mask after an edit. `patches` (the history entry's packed tiles) is what crosses to the worker;
   * without them the edit's bounding `rect` is copied raw, which for a stroke across a 4096^2 image is megabytes.
   */
  async update(key: string, mask: Uint8Array, width: number, height: number, change: { rect: Rect; patches?: MaskPatch[] }): Promise<Encoded> {
    if (!this.ensureWorker()) return { bytes: encodeMaskBytes(mask, width, height), painted: countPainted(mask) };
    if (this.synced !== key) void this.sync(key, mask, width, height);
    let patches = change.patches;
    const transfer: Transferable[] = [];
    if (!patches) {
      const { x, y, w, h } = change.rect;
      const data = new Uint8Array(w * h);
      for (let r = 0; r < h; r++) data.set(mask.subarray((y + r) * width + x, (y + r) * width + x + w), r * w);
      patches = [{ x, y, w, h, bytes: { kind: 'raw', length: data.length, data } }];
      transfer.push(data.buffer);
    }
    const r = await this.post({ type: 'patch', id: ++this.nextId, key, patches }, transfer);
    return { bytes: r.bytes!, painted: r.painted };
  }

  private post(msg: MirrorRequest, transfer: Transferable[]): Promise<MirrorReply & { ok: true }> {
    return new Promise((resolve, reject) => {
      this.pending.set(msg.id, { resolve, reject });
      this.worker!.postMessage(msg, transfer);
    });
  }

  private fallBack(e: Error): void {
    this.broken = true;
    this.terminate();
    for (const p of this.pending.values()) p.reject(e);
    this.pending.clear();
  }

  private terminate(): void {
    this.worker?.terminate();
    this.worker = null;
    this.synced = null;
  }

  /**
   * Stops the worker once the masks it is compressing are done (they are strokes the user expects saved). Not
   * final: the next request starts a new worker and re-sends the whole mask (React may unmount and remount).
   */
  dispose(): void {
    this.closing = true;
    if (this.pending.size === 0) this.terminate();
  }
}
