/**
 * The Annotate screen's model outside React: which image is open, its AnnotateEditor, where its starting mask came
 * from, and the dataset's defect classes. Opening an image loads the picture (asset URL) and the starting mask:
 * an unsaved Dexie entry first (newer than the disk), else the studio's PNG, else the dataset's own mask
 * (ImageRecord.maskPath), else empty. Every `committed` editor event is handed to MaskPersistence.
 *
 * One editor per image: a new image gets a new AnnotateEditor (fresh history), with the tool and settings of the
 * previous one carried over.
 */
import type { StudioClient } from '../../shared/client.js';
import { decodeMaskBytes, type AnnotationClass } from '../../shared/contract/annotations.js';
import type { ImageRecord } from '../../shared/dataset.js';
import { storedMaskKey, type StudioDb } from '../db.js';
import { AnnotateEditor, interpretMaskImage, type CommittedEvent, type EditorSettings, type Heatmap, type ToolId } from '../editor/index.js';
import { Store } from '../state/store.js';
import { loadBitmap } from '../viewer/loadImage.js';
import { countClassPixels, DEFAULT_CLASSES, deleteClass, mergeClasses, newClass, renameClass } from './classes.js';
import type { MaskPatch } from './maskCodec.js';
import type { MaskPersistence } from './MaskPersistence.js';

export type MaskSource = 'unsaved' | 'studio' | 'dataset' | 'none';

export interface Notice {
  level: 'info' | 'warning' | 'error';
  message: string;
  /** Increases per notice so that the same sentence twice still shows. */
  seq: number;
}

export interface SessionState {
  status: 'empty' | 'loading' | 'ready' | 'error';
  datasetId: string | null;
  record: ImageRecord | null;
  editor: AnnotateEditor | null;
  /** The picture, decoded off the main thread (see viewer/loadImage.ts). */
  image: ImageBitmap | null;
  maskSource: MaskSource;
  /** Why the starting mask could not be used (wrong size or mode); the editor then starts empty. */
  maskProblem: string | null;
  /** Why the image could not be opened. */
  error: string | null;
  classes: AnnotationClass[];
  notice: Notice | null;
  /** Whether an anomaly map is loaded for the open image (heatmap-to-mask needs one). */
  hasHeatmap: boolean;
  /** Review run the anomaly map came from. */
  heatmapRun: string | null;
  /** Non-background pixels of the open mask, counted off the main thread after each edit; null while counting. */
  painted: number | null;
}

/** Supplies the anomaly map of an image and the threshold to propose at, when a review run has one; else null. */
export type HeatmapLoader = (datasetId: string, record: ImageRecord) => Promise<{ heatmap: Heatmap; threshold: number; runId: string } | null>;

/** The mask bytes an edit, undo or redo wrote, as the history stored them (packed per tile). */
function patchesOf(editor: AnnotateEditor, c: CommittedEvent): MaskPatch[] | undefined {
  const { undo, redo } = editor.getHistoryEntries();
  const entry = undo.find((e) => e.id === c.entryId) ?? redo.find((e) => e.id === c.entryId);
  if (!entry) return undefined;
  return entry.patches.map((p) => ({ x: p.x, y: p.y, w: p.w, h: p.h, bytes: c.reason === 'undo' ? p.before : p.after }));
}

/**
 * Closes a picture the screen no longer shows (a 4096^2 bitmap holds 64 MB until closed or collected), once React
 * has committed its successor and Konva has drawn a frame: drawing a closed bitmap throws. The canvas may remount
 * per image, so the session, which replaces the bitmap, closes it rather than the component.
 */
function closeWhenReplaced(image: ImageBitmap): void {
  const frame = typeof requestAnimationFrame === 'function' ? requestAnimationFrame : (f: () => void) => setTimeout(f, 16);
  frame(() => frame(() => setTimeout(() => image.close(), 0)));
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

export class AnnotateSession extends Store<SessionState> {
  private request = 0;
  private unbind: (() => void) | null = null;
  private noticeSeq = 0;
  private carried: { tool: ToolId; settings: EditorSettings; classId: number } | null = null;
  private heatmapLoader: HeatmapLoader | null = null;
  /** The class a running deleteClass removes: kept out of lists an open() or a save reads meanwhile. */
  private deleting: { datasetId: string; id: number } | null = null;

  constructor(
    private readonly client: StudioClient,
    private readonly db: StudioDb,
    readonly persistence: MaskPersistence,
  ) {
    super({
      status: 'empty',
      datasetId: null,
      record: null,
      editor: null,
      image: null,
      maskSource: 'none',
      maskProblem: null,
      error: null,
      classes: [...DEFAULT_CLASSES],
      notice: null,
      hasHeatmap: false,
      heatmapRun: null,
      painted: null,
    });
  }

  setHeatmapLoader(loader: HeatmapLoader | null): void {
    this.heatmapLoader = loader;
  }

  /** Opens one image for annotation; a later call supersedes an earlier one still loading. */
  async open(datasetId: string, record: ImageRecord): Promise<void> {
    const s = this.get();
    if (s.datasetId === datasetId && s.record?.path === record.path && s.status !== 'error') return;
    const request = ++this.request;
    this.patch({ status: 'loading', datasetId, record, error: null, maskProblem: null });
    try {
      const [image, loaded, unsaved, storedClasses] = await Promise.all([
        loadBitmap(this.client.assetUrl({ kind: 'image', datasetId, path: record.path }), record.path),
        this.client.invoke('annotations.load', { datasetId, imagePath: record.path, maskPath: record.maskPath }),
        this.persistence.unsavedMask(datasetId, record.path),
        this.db.annotationClasses.get(datasetId),
      ]);
      if (request !== this.request) {
        image.close(); // superseded before it was shown: nobody else holds it
        return;
      }
      const width = image.width;
      const height = image.height;
      // The default class only for a dataset with no list anywhere: a deleted "defect" must stay deleted.
      const merged = mergeClasses(storedClasses?.classes, unsaved?.classes, loaded.classes, s.datasetId === datasetId ? s.classes : null);
      const kept = this.withoutDeleting(datasetId, merged);
      const classes = kept.length ? kept : [...DEFAULT_CLASSES];

      let mask: Uint8Array | undefined;
      let maskSource: MaskSource = 'none';
      let maskProblem: string | null = null;
      try {
        if (unsaved) {
          mask = interpretMaskImage({ ...unsaved.mask, data: decodeMaskBytes(unsaved.mask) }, { width, height }, classes, classes[0].id, `unsaved mask of ${record.path}`);
          maskSource = 'unsaved';
        } else if (loaded.mask && loaded.file) {
          // A binary (0/255) mask from the dataset paints the class named like the image's label, else the first.
          const binaryClass = classes.find((c) => c.name === record.label) ?? classes[0];
          mask = interpretMaskImage({ ...loaded.mask, data: decodeMaskBytes(loaded.mask, loaded.file) }, { width, height }, classes, binaryClass.id, loaded.file);
          maskSource = loaded.source;
        }
      } catch (e) {
        mask = undefined;
        maskProblem = `${message(e)} Annotate starts from an empty mask; saving writes a new studio mask and leaves that file as it is.`;
      }

      const editor = new AnnotateEditor({ width, height, mask, classes, settings: this.carried?.settings, maskSource: record.path });
      if (this.carried) {
        editor.setCurrentTool(this.carried.tool);
        if (classes.some((c) => c.id === this.carried!.classId)) editor.setCurrentClass(this.carried.classId);
      }
      this.bind(editor, datasetId, record.path);
      const previous = this.get().image;
      this.patch({ status: 'ready', editor, image, maskSource, maskProblem, classes, hasHeatmap: false, heatmapRun: null, painted: null });
      if (previous && previous !== image) closeWhenReplaced(previous);
      void this.persistence.mirror.sync(storedMaskKey(datasetId, record.path), editor.getMask(), width, height).then((painted) => {
        if (request === this.request) this.patch({ painted });
      });
      void this.db.annotationClasses.put({ datasetId, classes });
      void this.loadHeatmap(editor, datasetId, record, request);
    } catch (e) {
      if (request !== this.request) return;
      this.unbind?.();
      this.unbind = null;
      const previous = this.get().image;
      this.patch({ status: 'error', editor: null, image: null, error: message(e) });
      if (previous) closeWhenReplaced(previous);
    }
  }

  private async loadHeatmap(editor: AnnotateEditor, datasetId: string, record: ImageRecord, request: number): Promise<void> {
    if (!this.heatmapLoader) return;
    try {
      const found = await this.heatmapLoader(datasetId, record);
      if (request !== this.request || !found) return;
      editor.batch(() => {
        editor.setHeatmap(found.heatmap);
        editor.updateSettings({ threshold: found.threshold });
      });
      this.patch({ hasHeatmap: true, heatmapRun: found.runId });
    } catch (e) {
      this.notify('warning', `No anomaly map for ${record.path}: ${message(e)}`);
    }
  }

  /** Wires one editor to persistence and notices; the previous editor's listeners are removed. */
  private bind(editor: AnnotateEditor, datasetId: string, imagePath: string): void {
    this.unbind?.();
    const offs = [
      editor.on('committed', (c) => {
        const request = this.request;
        const mask = editor.getMask();
        const atStroke = this.get().classes;
        // Read at the Dexie put (after compression), so a class deleted meanwhile is left out; the stroke-time list
        // when another dataset was opened meanwhile.
        const classes = () => this.withoutDeleting(datasetId, this.get().datasetId === datasetId ? this.get().classes : atStroke);
        void this.persistence
          .save({ datasetId, imagePath, mask, width: editor.getWidth(), height: editor.getHeight(), classes, rect: c.bbox, patches: patchesOf(editor, c) })
          .then((painted) => {
            if (request === this.request && painted >= 0) this.patch({ painted });
          })
          .catch((e: unknown) => this.notify('error', `The edit could not be stored in the browser database: ${message(e)}`));
      }),
      editor.on('notice', (n) => this.notify(n.level, n.message)),
      editor.on('change', () => {
        this.carried = { tool: editor.getCurrentToolId(), settings: { ...editor.getSettings() }, classId: editor.getCurrentClassId() };
      }),
    ];
    this.unbind = () => offs.forEach((off) => off());
  }

  private withoutDeleting(datasetId: string, list: readonly AnnotationClass[]): AnnotationClass[] {
    const d = this.deleting;
    return d && d.datasetId === datasetId ? list.filter((c) => c.id !== d.id) : [...list];
  }

  notify(level: Notice['level'], text: string): void {
    this.patch({ notice: { level, message: text, seq: ++this.noticeSeq } });
  }

  dismissNotice(): void {
    this.patch({ notice: null });
  }

  /** Adds a class (smallest free id, next colour) to the open editor and the dataset's remembered list. */
  addClass(name: string): AnnotationClass | null {
    const trimmed = name.trim();
    const { classes, editor } = this.get();
    if (!trimmed) return null;
    if (classes.some((c) => c.name === trimmed)) {
      this.notify('warning', `A class named "${trimmed}" already exists.`);
      return null;
    }
    const c = newClass(classes, trimmed);
    if (!c) {
      this.notify('warning', 'All 255 class ids are in use.');
      return null;
    }
    const next = [...classes, c].sort((a, b) => a.id - b.id);
    editor?.setClasses(next);
    editor?.setCurrentClass(c.id);
    this.storeClasses(next);
    return c;
  }

  /** Renames a class everywhere it is listed (masks store ids, so no pixel changes). */
  renameClass(id: number, name: string): boolean {
    const next = renameClass(this.get().classes, id, name);
    if (typeof next === 'string') {
      this.notify('warning', next);
      return false;
    }
    this.get().editor?.setClasses(next);
    this.storeClasses(next);
    return true;
  }

  /**
   * Deletes a class that no mask paints: refused (with the reason as a notice) while the open mask, an unsaved mask
   * of another image (Dexie) or a saved mask of the dataset has pixels of it; masks are never rewritten by a class
   * change. The open editor drops the undo/redo steps that could paint it again (it says so), and unsaved masks get
   * the new list, so neither an undo nor a later save brings the class back. Never rejects: problems are notices.
   */
  async deleteClass(id: number): Promise<boolean> {
    if (this.deleting) {
      this.notify('warning', 'Another class is being deleted; try again in a moment.');
      return false;
    }
    const { datasetId, record } = this.get();
    let unsaved: { imagePath: string; pixels: number }[] = [];
    if (datasetId) {
      try {
        // The open image's own entry is older than its editor, which is checked directly.
        const entries = (await this.persistence.unsavedMasks(datasetId)).filter((e) => e.imagePath !== record?.path);
        unsaved = entries.map((e) => ({ imagePath: e.imagePath, pixels: countClassPixels(decodeMaskBytes(e.mask, `unsaved mask of ${e.imagePath}`), id) }));
      } catch (e) {
        this.notify('error', `Could not check the unsaved masks before deleting the class: ${message(e)}`);
        return false;
      }
    }
    // Read again after the await: the open image may have changed (its unsaved entry was then not checked).
    const { classes, editor, datasetId: nowDataset, record: nowRecord } = this.get();
    if (nowDataset !== datasetId || nowRecord?.path !== record?.path) {
      this.notify('warning', 'The open image changed while the class was being checked; nothing was deleted, try again.');
      return false;
    }
    const removed = classes.find((c) => c.id === id);
    const next = deleteClass(classes, id, editor ? countClassPixels(editor.getMask(), id) : 0, unsaved);
    if (typeof next === 'string' || !removed) {
      this.notify('error', typeof next === 'string' ? next : `No class with id ${id}.`);
      return false;
    }
    // State and editor change before any await: the class can no longer be painted, and a stroke stored meanwhile
    // (its list is read at the Dexie put) does not carry it to disk.
    try {
      editor?.setClasses(next);
    } catch (e) {
      this.notify('error', message(e));
      return false;
    }
    this.storeClasses(next, false);
    if (!datasetId) return true;
    this.deleting = { datasetId, id };
    try {
      await this.persistence.replaceUnsavedClasses(datasetId, next);
      // A save sent before the delete carries the old list as classes.json; it must land before the new list does.
      await this.persistence.idle();
      // The main process refuses when a saved mask still paints the class (and names the images).
      await this.client.invoke('annotations.setClasses', { datasetId, classes: next });
    } catch (e) {
      this.deleting = null;
      this.notify('error', message(e));
      await this.restoreClass(datasetId, removed);
      return false;
    } finally {
      this.deleting = null;
    }
    return true;
  }

  /** Undoes a refused delete: the class goes back into the list everywhere (saves meanwhile wrote the list without it). */
  private async restoreClass(datasetId: string, removed: AnnotationClass): Promise<void> {
    const s = this.get();
    if (s.datasetId !== datasetId) return;
    const restored = mergeClasses(s.classes, [removed]);
    try {
      s.editor?.setClasses(restored);
    } catch (e) {
      this.notify('error', message(e));
    }
    this.storeClasses(restored);
    await this.persistence.replaceUnsavedClasses(datasetId, restored).catch((e: unknown) => this.notify('warning', `Unsaved masks keep the list without "${removed.name}": ${message(e)}`));
  }

  /** The class list → state, Dexie and (unless already done) the dataset's classes.json. */
  private storeClasses(next: AnnotationClass[], toDisk = true): void {
    const { datasetId } = this.get();
    this.patch({ classes: next });
    if (!datasetId) return;
    void this.db.annotationClasses.put({ datasetId, classes: next });
    if (toDisk) {
      void this.client.invoke('annotations.setClasses', { datasetId, classes: next }).catch((e: unknown) => this.notify('warning', `The class list was not written beside the masks: ${message(e)}`));
    }
  }

  /**
   * The screen unmounted: release the mask worker. The editor's listeners stay (they die with the session), so a
   * remount of the same session (React StrictMode) keeps saving strokes.
   */
  dispose(): void {
    this.persistence.dispose();
  }

  private patch(p: Partial<SessionState>): void {
    this.set({ ...this.get(), ...p });
  }
}
