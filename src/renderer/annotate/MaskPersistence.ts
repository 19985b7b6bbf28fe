/**
 * Saves masks the way the Annotate screen promises: every finished stroke goes to Dexie first (so a closed or killed
 * app loses at most the stroke in progress), then to the main process, which writes the PNG atomically. Only when
 * that write succeeded is the Dexie entry marked saved; when it failed (disk full, read-only folder) the entry stays
 * unsaved, the state says why, and `retry()` sends every unsaved entry again. Writes of one image are serialised
 * and coalesced: while one is in flight, later strokes only bump the revision, and the newest one is sent next.
 */
import type { StudioClient } from '../../shared/client.js';
import { encodeMaskBytes, type AnnotationClass } from '../../shared/contract/annotations.js';
import { storedMaskKey, type StoredMask, type StudioDb } from '../db.js';
import { Store } from '../state/store.js';
import type { Rect } from '../editor/index.js';
import { MaskMirror, type Encoded, type MaskPatch } from './maskCodec.js';

export interface SaveState {
  /** idle: nothing happened yet; saving: a write is queued or in flight; saved: everything is on disk; failed: see message. */
  status: 'idle' | 'saving' | 'saved' | 'failed';
  /** The main process's sentence for the last failure. */
  message: string | null;
  /** Entries in Dexie that are not on disk yet. */
  unsaved: number;
  /** Mask file (relative to the dataset root) of the last successful write. */
  lastFile: string | null;
}

export interface MaskToSave {
  datasetId: string;
  imagePath: string;
  mask: Uint8Array;
  width: number;
  height: number;
  /**
   * The dataset's class list, read when the entry is stored (after the worker's compression), so a class deleted
   * meanwhile is not written back with this mask.
   */
  classes: () => readonly AnnotationClass[];
  /** What the edit changed: its box, and the history's packed tiles when known (then nothing big is copied). */
  rect: Rect;
  patches?: MaskPatch[];
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

export class MaskPersistence extends Store<SaveState> {
  private readonly inFlight = new Set<string>();
  private readonly again = new Set<string>();
  private revision = Date.now();
  /** Off-thread copy of the open image's mask: compresses and counts it after each edit. */
  readonly mirror = new MaskMirror();

  constructor(
    private readonly client: StudioClient,
    private readonly db: StudioDb,
  ) {
    super({ status: 'idle', message: null, unsaved: 0, lastFile: null });
  }

  /**
   * Stores the mask in Dexie (awaited: when this resolves, the stroke survives a crash) and starts the disk write;
   * resolves with the mask's painted-pixel count. Only the edited rectangle is copied here; the worker applies it
   * to its copy and compresses (hundreds of ms at 4096^2 on a busy machine), so the frames after a stroke stay
   * smooth. The revision is taken now, so strokes are stored in the order they were made.
   */
  async save(m: MaskToSave): Promise<number> {
    const key = storedMaskKey(m.datasetId, m.imagePath);
    const revision = ++this.revision;
    this.patch({ status: 'saving' });
    let encoded: Encoded;
    try {
      encoded = await this.mirror.update(key, m.mask, m.width, m.height, { rect: m.rect, patches: m.patches });
    } catch {
      // The worker is gone (it says why once); the edit must still be stored.
      encoded = { bytes: encodeMaskBytes(m.mask, m.width, m.height), painted: -1 };
    }
    const mask = encoded.bytes;
    // A newer stroke of the same image may have been stored while this one was compressing; never go back.
    const newer = await this.db.masks.get(key);
    if (newer && newer.revision > revision) return encoded.painted;
    const entry: StoredMask = {
      key,
      datasetId: m.datasetId,
      imagePath: m.imagePath,
      mask,
      classes: m.classes().map((c) => ({ id: c.id, name: c.name, color: [c.color[0], c.color[1], c.color[2]] })),
      revision,
      saved: 0,
      error: null,
      updatedAt: Date.now(),
    };
    await this.db.masks.put(entry);
    void this.send(key);
    return encoded.painted;
  }

  /** The newest mask of an image that is not on disk yet (it wins over the disk on reopen), or null. */
  async unsavedMask(datasetId: string, imagePath: string): Promise<StoredMask | null> {
    const e = await this.db.masks.get(storedMaskKey(datasetId, imagePath));
    return e && e.saved === 0 ? e : null;
  }

  /** Every mask of a dataset that is not on disk yet. */
  async unsavedMasks(datasetId: string): Promise<StoredMask[]> {
    return this.db.masks.where('datasetId').equals(datasetId).filter((e) => e.saved === 0).toArray();
  }

  /**
   * Gives the dataset's unsaved entries a new class list (after a class was deleted): a save sends the entry's list
   * as the dataset's classes.json, so an entry stored before the delete would otherwise bring the class back.
   */
  async replaceUnsavedClasses(datasetId: string, classes: readonly AnnotationClass[]): Promise<void> {
    const list = classes.map((c) => ({ id: c.id, name: c.name, color: [c.color[0], c.color[1], c.color[2]] as [number, number, number] }));
    await this.db.masks
      .where('datasetId')
      .equals(datasetId)
      .filter((e) => e.saved === 0)
      .modify({ classes: list });
  }

  /** Sends every unsaved entry again (the user pressed Retry, or the screen opened with leftovers). */
  async retry(): Promise<void> {
    const keys = await this.db.masks.where('saved').equals(0).primaryKeys();
    await this.refreshCount();
    if (keys.length === 0) return;
    this.patch({ status: 'saving', message: null });
    await Promise.all(keys.map((k) => this.send(k)));
  }

  /** Resolves once nothing is in flight (tests and screen changes). */
  async idle(): Promise<void> {
    while (this.inFlight.size > 0) await new Promise((r) => setTimeout(r, 20));
  }

  private async send(key: string): Promise<void> {
    if (this.inFlight.has(key)) {
      this.again.add(key);
      return;
    }
    this.inFlight.add(key);
    try {
      do {
        this.again.delete(key);
        const entry = await this.db.masks.get(key);
        if (!entry || entry.saved === 1) continue;
        try {
          const r = await this.client.invoke('annotations.save', { datasetId: entry.datasetId, imagePath: entry.imagePath, mask: entry.mask, classes: entry.classes });
          // Mark saved only if no newer stroke replaced the entry meanwhile; that one is sent on the next turn.
          await this.db.masks.where('key').equals(key).and((e) => e.revision === entry.revision).modify({ saved: 1, error: null });
          this.patch({ lastFile: r.file });
        } catch (e) {
          await this.db.masks.where('key').equals(key).and((x) => x.revision === entry.revision).modify({ error: message(e) });
          this.patch({ status: 'failed', message: message(e) });
        }
      } while (this.again.has(key));
    } finally {
      this.inFlight.delete(key);
    }
    await this.refreshCount();
  }

  private async refreshCount(): Promise<void> {
    const unsaved = await this.db.masks.where('saved').equals(0).count();
    const s = this.get();
    if (this.inFlight.size > 0) this.patch({ unsaved });
    else if (unsaved === 0) this.patch({ unsaved, status: s.status === 'idle' ? 'idle' : 'saved', message: null });
    else this.patch({ unsaved, status: s.status === 'failed' ? 'failed' : s.status });
  }

  /** The screen closed: writes in flight finish, the compression worker stops after them. */
  dispose(): void {
    this.mirror.dispose();
  }

  private patch(p: Partial<SaveState>): void {
    this.set({ ...this.get(), ...p });
  }
}
