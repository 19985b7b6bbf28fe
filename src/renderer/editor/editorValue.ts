/**
 * Framework-free half of `useEditorValue(name, fn)`: a cached, named, computed value over the editor.
 * `getSnapshot()` recomputes only after the editor reported a change, and returns the previous object when the
 * new one is equal, which is exactly what React's useSyncExternalStore needs (a new array on every call would
 * re-render forever). The React hook is then:
 *
 *   const source = useMemo(() => editorValue(editor, name, fn, equals), [editor])
 *   return useSyncExternalStore(source.subscribe, source.getSnapshot)
 */
export interface ChangeSource {
  subscribe(listener: () => void): () => void;
  getVersion(): number;
}

export interface ValueSource<T> {
  readonly name: string;
  subscribe(listener: () => void): () => void;
  getSnapshot(): T;
}

export function editorValue<T>(editor: ChangeSource, name: string, compute: () => T, equals: (a: T, b: T) => boolean = Object.is): ValueSource<T> {
  let version = -1;
  let value: T;
  return {
    name,
    subscribe: (listener) => editor.subscribe(listener),
    getSnapshot: () => {
      const v = editor.getVersion();
      if (v !== version) {
        const next = compute();
        if (version === -1 || !equals(value, next)) value = next;
        version = v;
      }
      return value;
    },
  };
}

/** Calls `onChange(value)` whenever the computed value changes (not on every editor change); returns unsubscribe. */
export function watchEditorValue<T>(
  editor: ChangeSource,
  name: string,
  compute: () => T,
  onChange: (value: T) => void,
  equals: (a: T, b: T) => boolean = Object.is,
): () => void {
  const source = editorValue(editor, name, compute, equals);
  let last = source.getSnapshot();
  return source.subscribe(() => {
    const next = source.getSnapshot();
    if (next !== last) {
      last = next;
      onChange(next);
    }
  });
}

/** Shallow equality for small arrays and plain objects of primitives (e.g. a rect, a list of points). */
export function shallowEqual<T>(a: T, b: T): boolean {
  if (Object.is(a, b)) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  const ka = Object.keys(a as object);
  const kb = Object.keys(b as object);
  if (ka.length !== kb.length) return false;
  return ka.every((k) => Object.is((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}
