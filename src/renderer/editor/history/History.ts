import type { Rect } from '../geometry/rect.js';
import { applyPatch, type MaskDiff, type Patch } from './MaskEdit.js';
import { forEachRun, type PackedBytes } from './packedBytes.js';

/**
 * Undo/redo stacks of mask diffs. One entry = one user intent. A new entry clears the redo stack. When the
 * entries (undo and redo together) exceed `maxEntries` or `maxBytes`, the oldest undo entries are dropped
 * first: the user loses the ability to undo very old edits, never the mask itself. The newest entry is always
 * kept, even if it alone is over the budget, so the edit just made can be undone.
 */
export interface HistoryLimits {
  maxEntries: number;
  maxBytes: number;
}

export const DEFAULT_HISTORY_LIMITS: HistoryLimits = { maxEntries: 1000, maxBytes: 64 * 1024 * 1024 };

export interface HistoryEntry extends MaskDiff {
  id: number;
  label: string;
}

export interface HistoryStats {
  undoEntries: number;
  redoEntries: number;
  bytes: number;
  dropped: number;
}

export class History {
  private readonly undoStack: HistoryEntry[] = [];
  private readonly redoStack: HistoryEntry[] = [];
  private totalBytes = 0;
  private dropped = 0;
  private nextId = 1;

  constructor(private readonly limits: HistoryLimits = DEFAULT_HISTORY_LIMITS) {}

  push(label: string, diff: MaskDiff): HistoryEntry {
    for (const e of this.redoStack) this.totalBytes -= e.bytes;
    this.redoStack.length = 0;
    const entry: HistoryEntry = { id: this.nextId++, label, ...diff };
    this.undoStack.push(entry);
    this.totalBytes += entry.bytes;
    while (this.undoStack.length > 1 && (this.undoStack.length > this.limits.maxEntries || this.totalBytes > this.limits.maxBytes)) {
      this.totalBytes -= this.undoStack.shift()!.bytes;
      this.dropped++;
    }
    return entry;
  }

  canUndo(): boolean {
    return this.undoStack.length > 0;
  }

  canRedo(): boolean {
    return this.redoStack.length > 0;
  }

  /** Restores the before bytes of the newest entry into `data`; returns the entry, or null when there is none. */
  undo(data: Uint8Array, width: number): HistoryEntry | null {
    const e = this.undoStack.pop();
    if (!e) return null;
    for (let i = e.patches.length - 1; i >= 0; i--) applyPatch(data, width, e.patches[i], 'before');
    this.redoStack.push(e);
    return e;
  }

  redo(data: Uint8Array, width: number): HistoryEntry | null {
    const e = this.redoStack.pop();
    if (!e) return null;
    for (const p of e.patches) applyPatch(data, width, p, 'after');
    this.undoStack.push(e);
    return e;
  }

  /**
   * Drops every entry that could write one of `values` back into the mask (e.g. a deleted class): the newest undo
   * entry whose before or after bytes hold one, with all older ones (an undo chain cannot skip a step), and likewise
   * the first such redo entry with all that would be redone after it. Entries are diffs of each other, so cutting
   * the chain at that point is the only way to keep every remaining undo/redo exact. Returns how many were dropped.
   */
  forgetValues(values: ReadonlySet<number>): number {
    if (values.size === 0) return 0;
    const touches = (e: HistoryEntry) => e.patches.some((p) => patchHolds(p, values));
    let dropped = 0;
    // Both stacks pop from the end, so index 0 is the step that would be taken last: cut at the highest index.
    for (const stack of [this.undoStack, this.redoStack]) {
      let cut = -1;
      for (let i = stack.length - 1; i >= 0; i--) {
        if (touches(stack[i])) {
          cut = i;
          break;
        }
      }
      if (cut < 0) continue;
      for (const e of stack.splice(0, cut + 1)) this.totalBytes -= e.bytes;
      dropped += cut + 1;
    }
    this.dropped += dropped;
    return dropped;
  }

  clear(): void {
    this.undoStack.length = 0;
    this.redoStack.length = 0;
    this.totalBytes = 0;
  }

  stats(): HistoryStats {
    return { undoEntries: this.undoStack.length, redoEntries: this.redoStack.length, bytes: this.totalBytes, dropped: this.dropped };
  }

  /** Read-only view of the entries, oldest first, for tests and the history panel. */
  entries(): { undo: readonly HistoryEntry[]; redo: readonly HistoryEntry[] } {
    return { undo: this.undoStack, redo: this.redoStack };
  }

  /** Label and box of the entry the next undo would revert (for a tooltip: "Undo brush stroke"). */
  peekUndo(): { label: string; bbox: Rect } | null {
    const e = this.undoStack[this.undoStack.length - 1];
    return e ? { label: e.label, bbox: e.bbox } : null;
  }
}

function packedHolds(p: PackedBytes, values: ReadonlySet<number>): boolean {
  if (p.kind === 'raw') {
    for (let i = 0; i < p.data.length; i++) if (values.has(p.data[i])) return true;
    return false;
  }
  let found = false;
  forEachRun(p, (value) => {
    if (values.has(value)) found = true;
  });
  return found;
}

function patchHolds(p: Patch, values: ReadonlySet<number>): boolean {
  return packedHolds(p.before, values) || packedHolds(p.after, values);
}
