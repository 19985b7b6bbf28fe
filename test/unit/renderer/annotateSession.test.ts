/**
 * AnnotateSession.deleteClass against fakes of the IPC client, Dexie and MaskPersistence: the class leaves the state
 * and the editor before classes.json is written, a refused delete puts it back, and nothing rejects.
 */
import { describe, expect, it, vi } from 'vitest';
import type { StudioClient } from '../../../src/shared/client.js';
import type { StudioDb } from '../../../src/renderer/db.js';
import { AnnotateSession } from '../../../src/renderer/annotate/AnnotateSession.js';
import type { MaskPersistence, MaskToSave } from '../../../src/renderer/annotate/MaskPersistence.js';
import { CLASSES, makeEditor } from '../editor/helpers.js';

function deferred<T>() {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

const tick = () => new Promise((r) => setTimeout(r, 0));

function setup(opts: { unsaved?: Promise<never[]> } = {}) {
  const calls: string[] = [];
  const setClasses: { classes: number[]; reply: ReturnType<typeof deferred<unknown>> }[] = [];
  const client = {
    invoke: vi.fn((name: string, args: { classes: { id: number }[] }) => {
      calls.push(name);
      const reply = deferred<unknown>();
      if (name === 'annotations.setClasses') setClasses.push({ classes: args.classes.map((c) => c.id), reply });
      return reply.promise;
    }),
  } as unknown as StudioClient;
  const db = { annotationClasses: { put: async () => undefined, get: async () => undefined } } as unknown as StudioDb;
  const saves: MaskToSave[] = [];
  const persistence = {
    unsavedMasks: async () => (opts.unsaved ? opts.unsaved : []),
    replaceUnsavedClasses: vi.fn(async () => void calls.push('replaceUnsavedClasses')),
    idle: vi.fn(async () => void calls.push('idle')),
    save: vi.fn(async (m: MaskToSave) => {
      saves.push(m);
      return 0;
    }),
    dispose: () => undefined,
  } as unknown as MaskPersistence;
  const session = new AnnotateSession(client, db, persistence);
  const editor = makeEditor(10, 10, { settings: { brushSize: 3 } });
  session.set({ ...session.get(), status: 'ready', datasetId: 'ds', record: { path: 'a.png' } as never, editor, classes: CLASSES.map((c) => ({ ...c, color: [c.color[0], c.color[1], c.color[2]] })) });
  (session as unknown as { bind(e: unknown, d: string, p: string): void }).bind(editor, 'ds', 'a.png');
  return { session, editor, calls, setClasses, saves };
}

const ids = (list: readonly { id: number }[]) => list.map((c) => c.id);

async function until(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 50 && !cond(); i++) await tick();
  expect(cond()).toBe(true);
}

describe('AnnotateSession.deleteClass', () => {
  it('drops the class from state and editor before classes.json is written; a stroke stored meanwhile does not carry it', async () => {
    const { session, editor, calls, setClasses, saves } = setup();
    const done = session.deleteClass(2);
    await until(() => setClasses.length === 1);
    // Unsaved entries get the new list and saves already sent land before the new classes.json.
    expect(calls).toEqual(['replaceUnsavedClasses', 'idle', 'annotations.setClasses']);
    expect(setClasses[0].classes).toEqual([1]);
    expect(ids(session.get().classes)).toEqual([1]);
    expect(ids(editor.getClasses())).toEqual([1]);
    editor.pointerDown(4.5, 4.5);
    editor.pointerUp(4.5, 4.5);
    expect(saves).toHaveLength(1);
    expect(ids(saves[0].classes())).toEqual([1]);
    setClasses[0].reply.resolve({});
    expect(await done).toBe(true);
    expect(ids(session.get().classes)).toEqual([1]);
  });

  it('a delete the main process refuses puts the class back everywhere and says why', async () => {
    const { session, editor, setClasses } = setup();
    const done = session.deleteClass(2);
    await until(() => setClasses.length === 1);
    setClasses[0].reply.reject(new Error('b.png still paints "dent".'));
    expect(await done).toBe(false);
    expect(ids(session.get().classes)).toEqual([1, 2]);
    expect(ids(editor.getClasses())).toEqual([1, 2]);
    expect(session.get().notice).toMatchObject({ level: 'error', message: 'b.png still paints "dent".' });
    // Strokes saved during the delete wrote the list without the class beside the masks: it is written again.
    expect(setClasses).toHaveLength(2);
    expect(setClasses[1].classes).toEqual([1, 2]);
  });

  it('the class cannot be painted while classes.json is written, so the delete resolves instead of rejecting', async () => {
    const { session, editor, setClasses } = setup();
    editor.setCurrentClass(2);
    const done = session.deleteClass(2);
    await until(() => setClasses.length === 1);
    expect(() => editor.setCurrentClass(2)).toThrow(/no defect class with id 2/);
    editor.pointerDown(4.5, 4.5);
    editor.pointerUp(4.5, 4.5);
    expect(editor.getMask().includes(2)).toBe(false);
    setClasses[0].reply.resolve({});
    expect(await done).toBe(true);
  });

  it('painting the class while the unsaved masks are checked refuses the delete with a notice', async () => {
    const unsaved = deferred<never[]>();
    const { session, editor, setClasses } = setup({ unsaved: unsaved.promise });
    const done = session.deleteClass(2);
    editor.setCurrentClass(2);
    editor.pointerDown(4.5, 4.5);
    editor.pointerUp(4.5, 4.5);
    unsaved.resolve([]);
    expect(await done).toBe(false);
    expect(session.get().notice?.level).toBe('error');
    expect(ids(session.get().classes)).toEqual([1, 2]);
    expect(ids(editor.getClasses())).toEqual([1, 2]);
    expect(setClasses).toHaveLength(0);
  });

  it('an image opened while the unsaved masks are checked refuses the delete (its old entry was not checked)', async () => {
    const unsaved = deferred<never[]>();
    const { session, setClasses } = setup({ unsaved: unsaved.promise });
    const done = session.deleteClass(2);
    const other = makeEditor(10, 10);
    session.set({ ...session.get(), record: { path: 'b.png' } as never, editor: other });
    unsaved.resolve([]);
    expect(await done).toBe(false);
    expect(session.get().notice?.level).toBe('warning');
    expect(ids(other.getClasses())).toEqual([1, 2]);
    expect(setClasses).toHaveLength(0);
  });
});

describe('AnnotateSession saves', () => {
  it('a stroke stored after another dataset was opened keeps the list of its own dataset', () => {
    const { session, editor, saves } = setup();
    editor.pointerDown(4.5, 4.5);
    editor.pointerUp(4.5, 4.5);
    session.set({ ...session.get(), datasetId: 'other', classes: [{ id: 5, name: 'hole', color: [0, 255, 0] }] });
    expect(ids(saves[0].classes())).toEqual([1, 2]);
  });
});
