import { describe, expect, it } from 'vitest';
import {
  AnnotateEditor,
  PATCH_OVERHEAD_BYTES,
  packBytes,
  unpackBytes,
  type CommittedEvent,
} from '../../../src/renderer/editor/index.js';
import { CLASSES, countValue, editorRows, makeEditor, rng, stroke } from './helpers.js';

describe('undo / redo', () => {
  it('paint, undo, redo, and a new edit clears redo', () => {
    const editor = makeEditor(6, 1, { settings: { brushSize: 1 } });
    stroke(editor, [
      [0.5, 0.5],
      [1.5, 0.5],
    ]);
    expect(editorRows(editor)).toEqual(['11....']);
    editor.setCurrentClass(2);
    stroke(editor, [[4.5, 0.5]]);
    expect(editorRows(editor)).toEqual(['11..2.']);

    expect(editor.keyDown('z', { ctrlKey: true })).toBe(true);
    expect(editorRows(editor)).toEqual(['11....']);
    editor.undo();
    expect(editorRows(editor)).toEqual(['......']);
    expect(editor.canUndo()).toBe(false);
    expect(editor.undo()).toBeNull();

    editor.keyDown('Z', { ctrlKey: true, shiftKey: true });
    expect(editorRows(editor)).toEqual(['11....']);
    expect(editor.canRedo()).toBe(true);

    stroke(editor, [[3.5, 0.5]]);
    expect(editorRows(editor)).toEqual(['11.2..']);
    expect(editor.canRedo()).toBe(false);
    expect(editor.redo()).toBeNull();
    expect(editor.getHistoryStats()).toMatchObject({ undoEntries: 2, redoEntries: 0 });
  });

  it('undo restores pixels that a stroke painted over another class', () => {
    const editor = makeEditor(5, 1, { settings: { brushSize: 1 }, mask: Uint8Array.from([2, 2, 2, 0, 0]) });
    stroke(editor, [
      [0.5, 0.5],
      [4.5, 0.5],
    ]);
    expect(editorRows(editor)).toEqual(['11111']);
    editor.undo();
    expect(editorRows(editor)).toEqual(['222..']);
  });

  it('one stroke with many samples is one history entry', () => {
    const editor = makeEditor(100, 100);
    const pts: [number, number][] = [];
    for (let i = 0; i < 60; i++) pts.push([10 + i, 50 + 20 * Math.sin(i / 5)]);
    stroke(editor, pts);
    expect(editor.getHistoryStats().undoEntries).toBe(1);
    editor.undo();
    expect(countValue(editor.getMask(), 0)).toBe(100 * 100);
  });

  it('Ctrl+Z during a stroke ends the stroke and undoes it', () => {
    const editor = makeEditor(20, 20);
    stroke(editor, [[3, 3]]);
    const after1 = editor.getMask().slice();
    editor.pointerDown(15, 15);
    editor.pointerMove(16, 16);
    editor.keyDown('z', { ctrlKey: true });
    expect(editor.getPath()).toBe('root.brush.idle');
    expect(editor.getMask()).toEqual(after1);
    expect(editor.canRedo()).toBe(true);
  });

  it('emits committed with the changed bbox on edit, undo and redo', () => {
    const editor = makeEditor(10, 10, { settings: { brushSize: 3 } });
    const events: CommittedEvent[] = [];
    editor.on('committed', (e) => events.push(e));
    editor.pointerDown(4.5, 4.5);
    expect(events).toHaveLength(0); // not before the intent ends
    editor.pointerUp(4.5, 4.5);
    editor.undo();
    editor.redo();
    expect(events.map((e) => e.reason)).toEqual(['edit', 'undo', 'redo']);
    for (const e of events) expect(e.bbox).toEqual({ x: 3, y: 3, w: 3, h: 3 });
    expect(events[0].label).toBe('brush stroke');
    expect(new Set(events.map((e) => e.entryId)).size).toBe(1);
  });

  it('opening another image mid-stroke cancels the stroke; the next stroke works on the new mask', () => {
    const editor = makeEditor(10, 10);
    editor.pointerDown(2, 2);
    editor.pointerMove(8, 8);
    editor.open({ width: 6, height: 4 });
    expect(editor.getPath()).toBe('root.brush.idle');
    expect(editor.isEditOpen()).toBe(false);
    editor.pointerMove(3, 3); // late events of the old stroke are ignored
    expect(countValue(editor.getMask(), 0)).toBe(24);
    stroke(editor, [[1, 1]]);
    expect(editor.canUndo()).toBe(true);
  });

  it('loading a mask clears history and is not undoable', () => {
    const editor = makeEditor(3, 1);
    stroke(editor, [[0.5, 0.5]]);
    editor.loadMask(Uint8Array.from([0, 2, 0]), 'a.png');
    expect(editor.canUndo()).toBe(false);
    expect(editorRows(editor)).toEqual(['.2.']);
  });
});

describe('diff patches', () => {
  // 128 wide takes the word-wise comparison path, 130 wide the byte-wise one; both must give tight, exact boxes.
  for (const width of [128, 130]) {
    it(`are tight boxes of changed pixels and replay exactly (width ${width}, seed 9)`, () => {
      const rand = rng(9);
      const editor = makeEditor(width, 70, { settings: { brushSize: 1 } });
      let skipped = 0;
      for (let k = 0; k < 40; k++) {
        const before = editor.getMask().slice();
        editor.setCurrentClass(k % 3 === 0 ? 2 : 1);
        editor.setCurrentTool(k % 4 === 3 ? 'eraser' : 'brush');
        editor.setBrushSize(1 + Math.floor(rand() * 9));
        stroke(editor, [
          [rand() * width, rand() * 70],
          [rand() * width, rand() * 70],
        ]);
        const undo = editor.getHistoryEntries().undo;
        const entry = undo.length === k + 1 - skipped ? undo[undo.length - 1] : null;
        if (!entry) {
          skipped++;
          expect(Buffer.compare(editor.getMask(), before), 'a stroke with no entry must not change the mask').toBe(0);
        }
        const after = editor.getMask();
        for (const p of entry ? entry.patches : []) {
          const changed = (x: number, y: number) => before[y * width + x] !== after[y * width + x];
          const col = (x: number) => Array.from({ length: p.h }, (_, i) => changed(x, p.y + i)).some(Boolean);
          const row = (y: number) => Array.from({ length: p.w }, (_, i) => changed(p.x + i, y)).some(Boolean);
          expect([col(p.x), col(p.x + p.w - 1), row(p.y), row(p.y + p.h - 1)], `patch ${JSON.stringify({ ...p, before: 0, after: 0 })}`).toEqual([true, true, true, true]);
        }
      }
      expect(skipped).toBeLessThan(10);
      const final = editor.getMask().slice();
      while (editor.undo());
      expect(countValue(editor.getMask(), 0)).toBe(width * 70);
      while (editor.redo());
      expect(Buffer.compare(editor.getMask(), final)).toBe(0);
    });
  }
});

describe('settling tiles during a stroke', () => {
  it('leaves only the tiles near the pointer for pointer-up, and a stroke that comes back is still exact', () => {
    const width = 512;
    const editor = makeEditor(width, 256, { settings: { brushSize: 10 } });
    const edit = editor.beginEdit('probe');
    const pts: { x: number; y: number }[] = [];
    for (let i = 0; i <= 60; i++) pts.push({ x: 20 + i * 8, y: 20 + i }); // away to the right...
    for (let i = 0; i <= 60; i++) pts.push({ x: 500 - i * 8, y: 80 - i }); // ...and back over the same tiles
    for (let i = 1; i < pts.length; i++) editor.paintSegment(pts[i - 1], pts[i], { value: 1 });
    expect(edit.snapshotCount).toBe(10); // tile columns 0-6 on tile row 0, 5-7 on tile row 1 (y + 5 >= 64 from x = 340)
    expect(edit.unsettledCount).toBeLessThanOrEqual(4);
    const painted = editor.getMask().slice();
    const entry = editor.commitEdit()!;
    // one patch per tile, none duplicated by the revisit
    const tiles = entry.patches.map((p) => `${Math.floor(p.x / 64)},${Math.floor(p.y / 64)}`);
    expect(new Set(tiles).size).toBe(tiles.length);
    editor.undo();
    expect(countValue(editor.getMask(), 0)).toBe(width * 256);
    editor.redo();
    expect(Buffer.compare(editor.getMask(), painted)).toBe(0);
  });
});

describe('packed patch bytes', () => {
  it('round-trips runs, long runs (varint) and noise', () => {
    const rand = rng(3);
    const cases = [new Uint8Array(0), new Uint8Array(100_000), Uint8Array.from({ length: 300 }, (_, i) => (i < 200 ? 1 : 2))];
    cases.push(Uint8Array.from({ length: 1000 }, () => Math.floor(rand() * 4)));
    for (const c of cases) expect(Buffer.compare(unpackBytes(packBytes(c)), c)).toBe(0);
    expect(packBytes(new Uint8Array(100_000)).data.byteLength).toBeLessThan(8);
    const noise = packBytes(cases[3]);
    expect(noise.kind).toBe('raw');
    expect(noise.data.byteLength).toBe(1000);
  });
});

describe('history memory on a 4096 x 4096 mask', () => {
  const SIZE = 4096;
  /** Deterministic wavy strokes of 12 samples each, 40 px brush, all over the image. */
  function strokes(n: number, seed: number): [number, number][][] {
    const rand = rng(seed);
    const out: [number, number][][] = [];
    for (let s = 0; s < n; s++) {
      const x0 = rand() * SIZE;
      const y0 = rand() * SIZE;
      const ang = rand() * Math.PI * 2;
      const pts: [number, number][] = [];
      for (let i = 0; i < 12; i++) pts.push([x0 + Math.cos(ang) * i * 15, y0 + Math.sin(ang) * i * 15 + 10 * Math.sin(i)]);
      out.push(pts);
    }
    return out;
  }
  const big = (history?: { maxBytes: number }) =>
    new AnnotateEditor({ width: SIZE, height: SIZE, classes: CLASSES, settings: { brushSize: 40 }, history });

  it('300 strokes stay far below the budget, and the accounting matches the stored bytes', () => {
    const editor = big();
    const all = strokes(300, 11);
    all.forEach((s, i) => {
      editor.setCurrentClass(i % 2 === 0 ? 1 : 2);
      stroke(editor, s);
    });
    const stats = editor.getHistoryStats();
    expect(stats.undoEntries).toBe(300);
    expect(stats.dropped).toBe(0);
    let counted = 0;
    for (const e of editor.getHistoryEntries().undo) {
      for (const p of e.patches) counted += p.before.data.byteLength + p.after.data.byteLength + PATCH_OVERHEAD_BYTES;
    }
    expect(stats.bytes).toBe(counted);
    // A full before+after copy per stroke would be 32 MiB each; diffs must be a tiny fraction of that.
    expect(stats.bytes / 300).toBeLessThan(64 * 1024);
    console.log(JSON.stringify({ test: 'history 300 strokes 4096^2', bytes: stats.bytes, bytesPerStroke: Math.round(stats.bytes / 300) }));

    // Undoing everything gives the empty mask back; redoing everything gives the painted mask back.
    const painted = editor.getMask().slice();
    while (editor.undo());
    expect(countValue(editor.getMask(), 0)).toBe(SIZE * SIZE);
    while (editor.redo());
    expect(Buffer.compare(editor.getMask(), painted)).toBe(0);
  });

  it('a small byte budget drops the oldest entries, stays within budget, and the rest still undo exactly', () => {
    const all = strokes(120, 12);
    const budget = 256 * 1024;
    const editor = big({ maxBytes: budget });
    for (const s of all) stroke(editor, s);
    const stats = editor.getHistoryStats();
    expect(stats.bytes).toBeLessThanOrEqual(budget);
    expect(stats.dropped).toBeGreaterThan(0);
    expect(stats.undoEntries + stats.dropped).toBe(120);

    while (editor.undo());
    // The result must equal the mask after only the dropped (no longer undoable) strokes.
    const reference = big();
    for (const s of all.slice(0, stats.dropped)) stroke(reference, s);
    expect(Buffer.compare(editor.getMask(), reference.getMask())).toBe(0);
  });

  it('maxEntries caps the number of entries', () => {
    const editor = new AnnotateEditor({ width: 64, height: 64, classes: CLASSES, settings: { brushSize: 2 }, history: { maxEntries: 5 } });
    for (let i = 0; i < 9; i++) stroke(editor, [[i * 5 + 2, 10]]);
    expect(editor.getHistoryStats()).toMatchObject({ undoEntries: 5, dropped: 4 });
  });
});

describe('deleting a class trims the history', () => {
  const painted = (editor: AnnotateEditor, cls: number, x: number) => {
    editor.setCurrentTool('brush');
    editor.setCurrentClass(cls);
    stroke(editor, [[x + 0.5, 0.5]]);
  };
  const erased = (editor: AnnotateEditor, x: number) => {
    editor.setCurrentTool('eraser');
    stroke(editor, [[x + 0.5, 0.5]]);
  };

  it('an undo after the delete never brings back pixels of the deleted class; later steps stay undoable', () => {
    const editor = makeEditor(6, 1, { settings: { brushSize: 1 } });
    const notices: string[] = [];
    editor.on('notice', (n) => notices.push(n.message));
    painted(editor, 1, 0);
    painted(editor, 2, 4);
    erased(editor, 4);
    painted(editor, 1, 2);
    expect(editorRows(editor)).toEqual(['1.1...']);
    editor.setClasses([CLASSES[0]]);
    // The erase of class 2 and everything before it are gone; the last stroke (class 1 only) is kept.
    expect(editor.getHistoryStats()).toMatchObject({ undoEntries: 1, redoEntries: 0 });
    expect(notices.at(-1)).toMatch(/3 undo\/redo steps painted or erased "dent"/);
    editor.undo();
    expect(editorRows(editor)).toEqual(['1.....']);
    expect(editor.undo()).toBeNull();
    expect(countValue(editor.getMask(), 2)).toBe(0);
  });

  it('cuts the redo stack at the first step that would paint the class', () => {
    const editor = makeEditor(6, 1, { settings: { brushSize: 1 } });
    painted(editor, 1, 0);
    painted(editor, 2, 4);
    erased(editor, 4);
    editor.undo();
    editor.undo();
    editor.undo();
    expect(editorRows(editor)).toEqual(['......']);
    editor.setClasses([CLASSES[0]]);
    expect(editor.getHistoryStats()).toMatchObject({ undoEntries: 0, redoEntries: 1 });
    editor.redo();
    expect(editorRows(editor)).toEqual(['1.....']);
    expect(editor.redo()).toBeNull();
  });

  it('keeps the whole history when no step touched the deleted class', () => {
    const editor = makeEditor(6, 1, { settings: { brushSize: 1 } });
    const notices: string[] = [];
    editor.on('notice', (n) => notices.push(n.message));
    painted(editor, 1, 0);
    painted(editor, 1, 3);
    editor.undo();
    const before = editor.getHistoryStats();
    editor.setClasses([CLASSES[0]]);
    expect(editor.getHistoryStats()).toEqual(before);
    expect(notices).toEqual([]);
  });
});
