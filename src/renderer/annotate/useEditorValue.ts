/** React side of editorValue(): a named, cached value computed from the editor, re-rendering only when it changes. */
import { useMemo, useSyncExternalStore } from 'react';
import { editorValue, type AnnotateEditor } from '../editor/index.js';

export function useEditorValue<T>(editor: AnnotateEditor, name: string, compute: () => T, equals?: (a: T, b: T) => boolean): T {
  // compute closes over `editor` only, so the source is rebuilt exactly when the editor is.
  // eslint-disable-next-line react-hooks/exhaustive-deps
  const source = useMemo(() => editorValue(editor, name, compute, equals), [editor, name]);
  return useSyncExternalStore(source.subscribe, source.getSnapshot, source.getSnapshot);
}
