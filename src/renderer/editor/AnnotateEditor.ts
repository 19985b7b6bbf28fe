import { StudioError } from '../../shared/errors.js';
import { Emitter } from './Emitter.js';
import type { ChangeSource } from './editorValue.js';
import { clipRect, type Point, type Rect } from './geometry/rect.js';
import {
  DEFAULT_ZOOM_LIMITS,
  IDENTITY_VIEW,
  fitView,
  imageToScreen,
  panBy,
  screenToImage,
  zoomAt,
  type ViewState,
  type ZoomLimits,
} from './geometry/ViewTransform.js';
import { History, DEFAULT_HISTORY_LIMITS, type HistoryEntry, type HistoryLimits, type HistoryStats } from './history/History.js';
import { MaskEdit } from './history/MaskEdit.js';
import { validateClasses, type DefectClass } from './mask/classes.js';
import { importClassIndexMask } from './mask/io.js';
import type { MaskWriter, PaintValue } from './mask/MaskWriter.js';
import { buildPalette, fillOverlayRGBA } from './mask/overlay.js';
import { paintSegment } from './raster/brush.js';
import { floodFill, floodRegion } from './raster/floodFill.js';
import { applyHeatmapProposal, thresholdHeatmap, validateHeatmap, type Heatmap } from './raster/heatmap.js';
import { writeSpans } from './raster/brush.js';
import { fillPolygon } from './raster/polygon.js';
import { DirtyRegion } from './render/DirtyRegion.js';
import { type EditorEvent, type Modifiers, type PointerInfo } from './tools/events.js';
import { RootState, TOOL_IDS, type ToolId } from './tools/RootState.js';
import { matchShortcut } from './shortcuts.js';

/** Largest image side the editor accepts; a 16384^2 class-index mask is already 256 MiB. */
export const MAX_IMAGE_SIDE = 16384;

export interface EditorDocument {
  width: number;
  height: number;
  /** Existing class-index mask (e.g. decoded from a PNG next to the dataset); empty when absent. */
  mask?: Uint8Array;
  /** Name of the mask's source, used in error messages. */
  maskSource?: string;
  /** Grey image intensity, one byte per pixel, for the fill tool's tolerance. */
  gray?: Uint8Array;
  heatmap?: Heatmap;
}

export interface EditorSettings {
  /** Brush and eraser diameter in image pixels. */
  brushSize: number;
  /** 0..1 opacity of the class colours in the overlay. */
  maskOpacity: number;
  /** Brush paints only background pixels. */
  protectOtherClasses: boolean;
  /** Eraser clears only pixels of the current class. */
  eraseOnlyCurrentClass: boolean;
  /** Fill also requires |intensity - seed intensity| <= this; null fills by mask class only. */
  fillTolerance: number | null;
  /** Anomaly-map threshold for heatmap-to-mask. */
  threshold: number;
  /** Heatmap-to-mask drops 4-connected components smaller than this many pixels. */
  minArea: number;
}

export const DEFAULT_SETTINGS: EditorSettings = {
  brushSize: 20,
  maskOpacity: 0.5,
  protectOtherClasses: false,
  eraseOnlyCurrentClass: false,
  fillTolerance: null,
  threshold: 0.5,
  minArea: 0,
};

export const MIN_BRUSH_SIZE = 1;
/** Tiles diffed per brush sample; a sample newly touches a handful, so this keeps up without costing the frame. */
const SETTLE_TILES_PER_SAMPLE = 8;
export const MAX_BRUSH_SIZE = 1024;

export interface AnnotateEditorOptions extends EditorDocument {
  classes: readonly DefectClass[];
  settings?: Partial<EditorSettings>;
  history?: Partial<HistoryLimits>;
  viewport?: { width: number; height: number };
  zoomLimits?: ZoomLimits;
}

/** Emitted when an intent ends, and on undo/redo: the persistence layer saves the mask when it hears this. */
export interface CommittedEvent {
  reason: 'edit' | 'undo' | 'redo';
  label: string;
  bbox: Rect;
  entryId: number;
}

export interface EditorEvents extends Record<string, unknown> {
  /** Anything observable changed; coalesced to one per public call. */
  change: undefined;
  /** Mask pixels in this rect changed (before the next frame, call takeDirtyRects()). */
  dirty: Rect;
  committed: CommittedEvent;
  /** The whole document was replaced (open/loadMask): history cleared, everything dirty. */
  loaded: { width: number; height: number };
  /** Something the user should be told (a tool had nothing to work on); the UI shows it as a toast. */
  notice: { level: 'info' | 'warning'; message: string };
}

export interface PolygonDraft {
  points: readonly Point[];
  cursor: Point;
}

export interface PointerInput extends Partial<Modifiers> {
  button?: number;
}

/**
 * The Annotate screen's document and interaction state, in plain TypeScript (no React, no Konva), so every
 * behaviour is testable in Node. It owns:
 * - the image size and the class-index mask (Uint8Array, 0 = background, 1..K = defect classes);
 * - the view transform (zoom/pan) and the viewport size;
 * - the tool state chart (root -> tool -> state) that pointer and key events drive;
 * - the undo/redo history of mask diffs, one entry per user intent;
 * - the dirty rects the canvas layer re-colours each frame;
 * - change events for React (`subscribe`/`getVersion`, see editorValue.ts) and `committed` for persistence.
 *
 * All mask changes go through an edit (beginEdit/commitEdit or the one-shot apply* methods), which is what makes
 * them undoable, persisted and rendered.
 */
export class AnnotateEditor implements ChangeSource {
  private readonly emitter = new Emitter<EditorEvents>();
  private readonly root: RootState;
  private readonly history: History;
  private readonly dirty = new DirtyRegion();
  private readonly zoomLimits: ZoomLimits;

  private width = 0;
  private height = 0;
  private mask: Uint8Array = new Uint8Array(0);
  private gray: Uint8Array | null = null;
  private heatmap: Heatmap | null = null;
  private classes: DefectClass[];
  private currentClassId: number;
  private settings: EditorSettings;
  private palette: Uint32Array;
  private view: ViewState = IDENTITY_VIEW;
  private viewport = { width: 0, height: 0 };
  private openEdit: MaskEdit | null = null;
  private polygonDraft: PolygonDraft | null = null;
  private pointer: { screen: Point; point: Point; isDown: boolean } = { screen: { x: 0, y: 0 }, point: { x: 0, y: 0 }, isDown: false };
  /**
   * A drag that pans the view without involving the tool: middle button, or any button while Space is held.
   * The tool keeps its state, so a polygon draft survives panning to reach its next vertex.
   */
  private viewDrag: { start: Point; view: ViewState } | null = null;
  private spaceHeld = false;

  private version = 0;
  private batchDepth = 0;
  private pendingChange = false;

  constructor(options: AnnotateEditorOptions) {
    this.classes = validateClasses(options.classes);
    if (this.classes.length === 0) {
      throw new StudioError('BAD_REQUEST', 'The annotation editor needs at least one defect class to paint with.');
    }
    this.currentClassId = this.classes[0].id;
    this.settings = sanitizeSettings({ ...DEFAULT_SETTINGS, ...options.settings });
    this.palette = buildPalette(this.classes, this.settings.maskOpacity);
    this.history = new History({ ...DEFAULT_HISTORY_LIMITS, ...options.history });
    this.zoomLimits = options.zoomLimits ?? DEFAULT_ZOOM_LIMITS;
    this.open(options);
    if (options.viewport) this.setViewport(options.viewport.width, options.viewport.height, { fit: true });
    this.root = new RootState(this);
    this.root.enter(undefined, '');
  }

  // ---- change notification -------------------------------------------------------------------------------

  subscribe(listener: () => void): () => void {
    return this.emitter.on('change', listener);
  }

  on<K extends keyof EditorEvents>(name: K, listener: (payload: EditorEvents[K]) => void): () => void {
    return this.emitter.on(name, listener);
  }

  /** Increases on every observable change; editorValue() caches computed values against it. */
  getVersion(): number {
    return this.version;
  }

  /** Records that observable state changed; listeners hear it once the outermost public call returns. */
  markChanged(): void {
    this.version++;
    if (this.batchDepth > 0) {
      this.pendingChange = true;
      return;
    }
    this.emitter.emit('change', undefined);
  }

  /** Runs `fn` and emits at most one `change` at the end, however many things it changed. */
  batch<T>(fn: () => T): T {
    this.batchDepth++;
    try {
      return fn();
    } finally {
      this.batchDepth--;
      if (this.batchDepth === 0 && this.pendingChange) {
        this.pendingChange = false;
        this.emitter.emit('change', undefined);
      }
    }
  }

  // ---- document --------------------------------------------------------------------------------------------

  /** Replaces the image, mask, intensity and heatmap; clears history. Not an undo step. */
  open(doc: EditorDocument): void {
    this.batch(() => {
      checkImageSize(doc.width, doc.height);
      const mask = doc.mask
        ? importClassIndexMask(doc.mask, doc.width, doc.height, this.classes, doc.maskSource)
        : new Uint8Array(doc.width * doc.height);
      if (doc.gray && doc.gray.length !== doc.width * doc.height) {
        throw new StudioError('BAD_REQUEST', `Image intensity has ${doc.gray.length} pixels but the image is ${doc.width} x ${doc.height}.`);
      }
      if (doc.heatmap) validateHeatmap(doc.heatmap);
      this.abandonIntent();
      this.width = doc.width;
      this.height = doc.height;
      this.mask = mask;
      this.gray = doc.gray ?? null;
      this.heatmap = doc.heatmap ?? null;
      this.history.clear();
      this.dirty.take();
      this.dirty.add({ x: 0, y: 0, w: this.width, h: this.height });
      if (this.viewport.width > 0) this.fitToViewport();
      this.markChanged();
      this.emitter.emit('loaded', { width: this.width, height: this.height });
    });
  }

  /** Replaces the mask only (e.g. a mask PNG that finished loading after the image); clears history. */
  loadMask(mask: Uint8Array, source = 'mask'): void {
    this.batch(() => {
      const next = importClassIndexMask(mask, this.width, this.height, this.classes, source);
      this.abandonIntent();
      this.mask = next;
      this.history.clear();
      this.dirty.add({ x: 0, y: 0, w: this.width, h: this.height });
      this.markChanged();
      this.emitter.emit('loaded', { width: this.width, height: this.height });
    });
  }

  /**
   * Before the document is replaced: the tool in progress cancels (a half stroke belongs to the old mask),
   * so no state is left drawing into an edit that no longer exists.
   */
  private abandonIntent(): void {
    // The root does not exist yet while the constructor opens the first document.
    if (this.root) this.dispatch({ name: 'cancel' });
    if (this.openEdit) this.cancelEdit();
    this.viewDrag = null;
  }

  setGray(gray: Uint8Array | null): void {
    if (gray && gray.length !== this.width * this.height) {
      throw new StudioError('BAD_REQUEST', `Image intensity has ${gray.length} pixels but the image is ${this.width} x ${this.height}.`);
    }
    this.gray = gray;
    this.markChanged();
  }

  setHeatmap(heatmap: Heatmap | null): void {
    if (heatmap) validateHeatmap(heatmap);
    this.heatmap = heatmap;
    this.markChanged();
  }

  getHeatmap(): Heatmap | null {
    return this.heatmap;
  }

  getWidth(): number {
    return this.width;
  }

  getHeight(): number {
    return this.height;
  }

  /** The live mask buffer. Read it; never write it (writes would bypass undo, persistence and rendering). */
  getMask(): Uint8Array {
    return this.mask;
  }

  getPixel(x: number, y: number): number {
    return this.mask[y * this.width + x];
  }

  getClasses(): readonly DefectClass[] {
    return this.classes;
  }

  setClasses(classes: readonly DefectClass[]): void {
    const next = validateClasses(classes);
    const ids = new Set(next.map((c) => c.id));
    for (let i = 0; i < this.mask.length; i++) {
      const v = this.mask[i];
      if (v !== 0 && !ids.has(v)) {
        throw new StudioError('INVALID_STATE', `The mask still has pixels of class id ${v}; erase them or keep that class.`);
      }
    }
    if (next.length === 0) throw new StudioError('BAD_REQUEST', 'The annotation editor needs at least one defect class.');
    // An undo or redo must never paint a class that no longer exists (the save would then be refused).
    const removed = new Set(this.classes.filter((c) => !ids.has(c.id)).map((c) => c.id));
    const forgotten = this.history.forgetValues(removed);
    if (forgotten > 0) {
      const names = this.classes.filter((c) => removed.has(c.id)).map((c) => `"${c.name}"`).join(', ');
      this.notify('info', `${forgotten} undo/redo step${forgotten === 1 ? '' : 's'} painted or erased ${names} and can no longer be undone or redone.`);
    }
    this.classes = next;
    if (!ids.has(this.currentClassId)) this.currentClassId = next[0].id;
    this.palette = buildPalette(this.classes, this.settings.maskOpacity);
    this.dirty.add({ x: 0, y: 0, w: this.width, h: this.height });
    this.markChanged();
  }

  getCurrentClassId(): number {
    return this.currentClassId;
  }

  setCurrentClass(id: number): void {
    if (!this.classes.some((c) => c.id === id)) {
      throw new StudioError('BAD_REQUEST', `There is no defect class with id ${id}; known ids: ${this.classes.map((c) => c.id).join(', ')}.`);
    }
    this.currentClassId = id;
    this.markChanged();
  }

  getSettings(): Readonly<EditorSettings> {
    return this.settings;
  }

  updateSettings(patch: Partial<EditorSettings>): void {
    const next = sanitizeSettings({ ...this.settings, ...patch });
    if (next.maskOpacity !== this.settings.maskOpacity) {
      this.palette = buildPalette(this.classes, next.maskOpacity);
      this.dirty.add({ x: 0, y: 0, w: this.width, h: this.height });
    }
    this.settings = next;
    this.markChanged();
  }

  getBrushSize(): number {
    return this.settings.brushSize;
  }

  setBrushSize(size: number): void {
    this.updateSettings({ brushSize: size });
  }

  // ---- view ------------------------------------------------------------------------------------------------

  getView(): ViewState {
    return this.view;
  }

  setView(view: ViewState): void {
    const scale = Math.min(this.zoomLimits.max, Math.max(this.zoomLimits.min, view.scale));
    this.view = { scale, offsetX: view.offsetX, offsetY: view.offsetY };
    this.markChanged();
  }

  getViewport(): { width: number; height: number } {
    return this.viewport;
  }

  setViewport(width: number, height: number, options: { fit?: boolean } = {}): void {
    this.viewport = { width, height };
    if (options.fit) this.fitToViewport();
    else this.markChanged();
  }

  fitToViewport(padding = 16): void {
    if (this.viewport.width <= 0 || this.viewport.height <= 0) return;
    this.setView(fitView(this.width, this.height, this.viewport.width, this.viewport.height, padding, this.zoomLimits));
  }

  /** Zoom keeping `anchor` (screen) fixed; without an anchor, around the viewport centre (keyboard zoom). */
  zoomBy(factor: number, anchor?: Point): void {
    const a = anchor ?? { x: this.viewport.width / 2, y: this.viewport.height / 2 };
    this.setView(zoomAt(this.view, a, factor, this.zoomLimits));
  }

  panBy(dx: number, dy: number): void {
    this.setView(panBy(this.view, dx, dy));
  }

  screenToImage(p: Point): Point {
    return screenToImage(this.view, p);
  }

  imageToScreen(p: Point): Point {
    return imageToScreen(this.view, p);
  }

  // ---- tools and input ---------------------------------------------------------------------------------------

  setCurrentTool(id: ToolId): void {
    if (!TOOL_IDS.includes(id)) throw new StudioError('BAD_REQUEST', `There is no tool "${id}"; tools: ${TOOL_IDS.join(', ')}.`);
    this.batch(() => {
      this.dispatch({ name: 'interrupt' });
      this.root.transition(id);
    });
  }

  getCurrentToolId(): ToolId {
    return this.root.getCurrent()!.id as ToolId;
  }

  /** Active state path, e.g. `root.brush.drawing`. */
  getPath(): string {
    return this.root.getPath();
  }

  getPointer(): Readonly<{ screen: Point; point: Point; isDown: boolean }> {
    return this.pointer;
  }

  getPolygonDraft(): PolygonDraft | null {
    return this.polygonDraft;
  }

  /** Called by the polygon tool; the overlay layer draws it. */
  setPolygonDraft(draft: PolygonDraft | null): void {
    this.polygonDraft = draft;
    this.markChanged();
  }

  pointerDown(x: number, y: number, input: PointerInput = {}): void {
    const info = this.pointerInfo('pointer_down', x, y, input);
    this.batch(() => {
      if (info.button === 1 || this.spaceHeld) {
        this.viewDrag = { start: info.screen, view: this.view };
        return;
      }
      this.pointer = { screen: info.screen, point: info.point, isDown: true };
      this.dispatch(info);
    });
  }

  pointerMove(x: number, y: number, input: PointerInput = {}): void {
    const info = this.pointerInfo('pointer_move', x, y, input);
    this.batch(() => {
      if (this.viewDrag) {
        this.setView(panBy(this.viewDrag.view, info.screen.x - this.viewDrag.start.x, info.screen.y - this.viewDrag.start.y));
        return;
      }
      this.pointer = { ...this.pointer, screen: info.screen, point: info.point };
      this.markChanged();
      this.dispatch(info);
    });
  }

  pointerUp(x: number, y: number, input: PointerInput = {}): void {
    const info = this.pointerInfo('pointer_up', x, y, input);
    this.batch(() => {
      if (this.viewDrag) {
        this.viewDrag = null;
        return;
      }
      this.pointer = { screen: info.screen, point: info.point, isDown: false };
      this.dispatch(info);
    });
  }

  doubleClick(x: number, y: number, input: PointerInput = {}): void {
    const info = this.pointerInfo('double_click', x, y, input);
    this.batch(() => this.dispatch(info));
  }

  /**
   * A key press. The active states see it first (Backspace in a polygon draft); then the editor's own bindings
   * run: Escape cancels, Enter completes, Ctrl/Cmd+Z undoes, Ctrl/Cmd+Shift+Z and Ctrl+Y redo, and the
   * single-key shortcuts in shortcuts.ts. Returns true when the key meant something (so the UI can preventDefault).
   */
  keyDown(key: string, mods: Partial<Modifiers> = {}): boolean {
    const m = readModifiers(mods);
    return this.batch(() => {
      const mod = m.ctrlKey || m.metaKey;
      if (key === 'Escape') {
        this.cancel();
        return true;
      }
      if (key === 'Enter') {
        this.complete();
        return true;
      }
      if (mod && (key.toLowerCase() === 'z' || key.toLowerCase() === 'y')) {
        if (key.toLowerCase() === 'y' || m.shiftKey) this.redo();
        else this.undo();
        return true;
      }
      if (key === ' ') {
        // Space held = drags pan (as in most paint programs); a stroke already under way is not affected.
        this.spaceHeld = true;
        this.markChanged();
        return true;
      }
      const wasDrafting = this.getPath().endsWith('.drafting');
      this.dispatch({ name: 'key_down', key, ...m });
      const shortcut = matchShortcut(key, m);
      if (shortcut) {
        shortcut.run(this);
        return true;
      }
      return key === 'Backspace' && wasDrafting;
    });
  }

  /** Key release; only Space (end of pan-while-held) means anything. */
  keyUp(key: string): boolean {
    if (key !== ' ' || !this.spaceHeld) return false;
    this.spaceHeld = false;
    this.markChanged();
    return true;
  }

  /** True while Space is held, so the UI can show a grab cursor. */
  isSpaceHeld(): boolean {
    return this.spaceHeld;
  }

  cancel(): void {
    this.batch(() => this.dispatch({ name: 'cancel' }));
  }

  complete(): void {
    this.batch(() => this.dispatch({ name: 'complete' }));
  }

  /** The window lost focus or something else took over: the active tool ends its intent safely. */
  interrupt(): void {
    this.batch(() => {
      this.viewDrag = null;
      this.spaceHeld = false;
      this.pointer = { ...this.pointer, isDown: false };
      this.dispatch({ name: 'interrupt' });
    });
  }

  private dispatch(event: EditorEvent): void {
    this.root.handleEvent(event);
  }

  private pointerInfo(name: PointerInfo['name'], x: number, y: number, input: PointerInput): PointerInfo {
    const screen = { x, y };
    return { name, screen, point: this.screenToImage(screen), button: input.button ?? 0, ...readModifiers(input) };
  }

  // ---- edits (every mask change goes through one) ----------------------------------------------------------

  /** Opens the edit that collects one intent's changes. Only one can be open. */
  beginEdit(label: string): MaskEdit {
    if (this.openEdit) {
      throw new StudioError('INVALID_STATE', `Cannot start "${label}" while "${this.openEdit.label}" is still open; commit or cancel it first.`);
    }
    this.openEdit = new MaskEdit(this.width, this.height, this.mask, label, (rect) => this.markDirty(rect));
    return this.openEdit;
  }

  isEditOpen(): boolean {
    return this.openEdit !== null;
  }

  /** Ends the open edit: one history entry and one `committed` event when any pixel changed. */
  commitEdit(): HistoryEntry | null {
    const edit = this.openEdit;
    if (!edit) return null;
    this.openEdit = null;
    const diff = edit.finish();
    if (!diff) return null;
    const entry = this.history.push(edit.label, diff);
    this.markChanged();
    this.emitter.emit('committed', { reason: 'edit', label: entry.label, bbox: entry.bbox, entryId: entry.id });
    return entry;
  }

  /** Drops the open edit and puts back every pixel it changed. */
  cancelEdit(): void {
    const edit = this.openEdit;
    if (!edit) return;
    this.openEdit = null;
    const area = edit.revert();
    if (area) this.markDirty(area);
    this.markChanged();
  }

  /** Runs a one-shot intent (polygon, fill, proposal) as its own edit. */
  applyEdit(label: string, fn: (writer: MaskWriter) => void): HistoryEntry | null {
    return this.batch(() => {
      const edit = this.beginEdit(label);
      try {
        fn(edit);
      } catch (e) {
        this.cancelEdit();
        throw e;
      }
      return this.commitEdit();
    });
  }

  /** Paints one brush/eraser segment into the open edit (used by the stroke states). */
  paintSegment(from: Point, to: Point, paint: PaintValue): Rect | null {
    if (!this.openEdit) throw new StudioError('INVALID_STATE', 'paintSegment needs an open edit; call beginEdit first.');
    const rect = paintSegment(this.openEdit, from, to, this.settings.brushSize / 2, paint);
    // Diff a few tiles the stroke has left behind, so pointer-up has little left to do (see MaskEdit).
    this.openEdit.settle(SETTLE_TILES_PER_SAMPLE, rect);
    return rect;
  }

  applyPolygon(points: readonly Point[]): HistoryEntry | null {
    if (points.length < 3) return null;
    return this.applyEdit('polygon', (w) => fillPolygon(w, points, { value: this.currentClassId, onlyWhere: this.settings.protectOtherClasses ? 0 : undefined }));
  }

  applyFill(point: Point): HistoryEntry | null {
    const tol = this.settings.fillTolerance;
    const image = tol !== null && this.gray ? { gray: this.gray, tolerance: tol } : undefined;
    return this.applyEdit('fill', (w) => floodFill(w, point, { value: this.currentClassId }, image));
  }

  /**
   * Heatmap to mask at the current threshold and minimum area. With `at`, only the proposal's component under
   * that image point is applied (nothing when the point is below threshold).
   */
  applyHeatmapProposal(options: { at?: Point; threshold?: number; minArea?: number } = {}): HistoryEntry | null {
    const heatmap = this.heatmap;
    if (!heatmap) throw new StudioError('INVALID_STATE', 'No anomaly map is loaded for this image; run the model on it first.');
    const opts = { threshold: options.threshold ?? this.settings.threshold, minArea: options.minArea ?? this.settings.minArea };
    const paint = { value: this.currentClassId, onlyWhere: this.settings.protectOtherClasses ? 0 : undefined };
    const at = options.at;
    if (!at) return this.applyEdit('heatmap proposal', (w) => applyHeatmapProposal(w, heatmap, opts, paint));
    const x = Math.floor(at.x);
    const y = Math.floor(at.y);
    if (x < 0 || y < 0 || x >= this.width || y >= this.height) return null;
    const sel = thresholdHeatmap(heatmap, this.width, this.height, opts);
    if (sel[y * this.width + x] === 0) return null;
    return this.applyEdit('heatmap proposal', (w) => writeSpans(w, floodRegion(sel, this.width, this.height, { x, y }), paint));
  }

  /** Tells the user something through the `notice` event (tools use it instead of throwing from an input handler). */
  notify(level: 'info' | 'warning', message: string): void {
    this.emitter.emit('notice', { level, message });
  }

  // ---- history ---------------------------------------------------------------------------------------------

  undo(): HistoryEntry | null {
    return this.batch(() => {
      this.dispatch({ name: 'interrupt' });
      const e = this.history.undo(this.mask, this.width);
      if (e) this.afterHistoryMove(e, 'undo');
      return e;
    });
  }

  redo(): HistoryEntry | null {
    return this.batch(() => {
      this.dispatch({ name: 'interrupt' });
      const e = this.history.redo(this.mask, this.width);
      if (e) this.afterHistoryMove(e, 'redo');
      return e;
    });
  }

  canUndo(): boolean {
    return this.history.canUndo();
  }

  canRedo(): boolean {
    return this.history.canRedo();
  }

  getHistoryStats(): HistoryStats {
    return this.history.stats();
  }

  /** Read-only entries for tests and a history panel. */
  getHistoryEntries(): ReturnType<History['entries']> {
    return this.history.entries();
  }

  private afterHistoryMove(e: HistoryEntry, reason: 'undo' | 'redo'): void {
    this.markDirty(e.bbox);
    this.markChanged();
    this.emitter.emit('committed', { reason, label: e.label, bbox: e.bbox, entryId: e.id });
  }

  // ---- rendering -------------------------------------------------------------------------------------------

  private markDirty(rect: Rect): void {
    const r = clipRect(rect, this.width, this.height);
    if (!r) return;
    this.dirty.add(r);
    this.emitter.emit('dirty', r);
  }

  /** Mask rects changed since the last call (the canvas layer calls this once per animation frame). */
  takeDirtyRects(): Rect[] {
    return this.dirty.take();
  }

  hasDirtyRects(): boolean {
    return !this.dirty.isEmpty();
  }

  /** Class colours with the current opacity, as 32-bit RGBA words indexed by class id. */
  getPalette(): Uint32Array {
    return this.palette;
  }

  /** RGBA overlay pixels of `rect` (ImageData layout); pass `out` to reuse a buffer across frames. */
  renderOverlay(rect: Rect, out?: Uint8ClampedArray): Uint8ClampedArray {
    return fillOverlayRGBA(this.mask, this.width, rect, this.palette, out) as Uint8ClampedArray;
  }
}

function checkImageSize(width: number, height: number): void {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new StudioError('BAD_REQUEST', `Image size ${width} x ${height} is not a positive integer size.`);
  }
  if (width > MAX_IMAGE_SIDE || height > MAX_IMAGE_SIDE) {
    throw new StudioError('TOO_LARGE', `Image size ${width} x ${height} is over the editor's limit of ${MAX_IMAGE_SIDE} px per side; annotate a downscaled copy or tiles.`);
  }
}

function sanitizeSettings(s: EditorSettings): EditorSettings {
  const num = (v: number, fallback: number): number => (Number.isFinite(v) ? v : fallback);
  return {
    ...s,
    brushSize: Math.min(MAX_BRUSH_SIZE, Math.max(MIN_BRUSH_SIZE, num(s.brushSize, DEFAULT_SETTINGS.brushSize))),
    maskOpacity: Math.min(1, Math.max(0, num(s.maskOpacity, DEFAULT_SETTINGS.maskOpacity))),
    fillTolerance: s.fillTolerance === null ? null : Math.min(255, Math.max(0, num(s.fillTolerance, 0))),
    threshold: num(s.threshold, DEFAULT_SETTINGS.threshold),
    minArea: Math.max(0, Math.floor(num(s.minArea, 0))),
  };
}

/**
 * Modifier flags read one by one: callers pass DOM events, whose flags are prototype getters that object spread
 * would silently drop.
 */
function readModifiers(input: Partial<Modifiers>): Modifiers {
  return { shiftKey: !!input.shiftKey, ctrlKey: !!input.ctrlKey, altKey: !!input.altKey, metaKey: !!input.metaKey };
}
