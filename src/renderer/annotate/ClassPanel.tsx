/**
 * Defect classes: pick the one to paint (also keys 1-9), see its colour, add, rename (✎) and delete (✕, after a
 * confirm). Deleting never rewrites a mask: a class still painted in this image or a saved mask is refused, with the
 * reason in the notice bar.
 */
import { useState } from 'react';
import type { AnnotationClass } from '../../shared/contract/annotations.js';
import type { AnnotateEditor } from '../editor/index.js';
import type { AnnotateSession } from './AnnotateSession.js';
import { cssColour } from './classes.js';
import { useEditorValue } from './useEditorValue.js';

export function ClassPanel({ editor, session, classes }: { editor: AnnotateEditor; session: AnnotateSession; classes: readonly AnnotationClass[] }) {
  const current = useEditorValue(editor, 'current class', () => editor.getCurrentClassId());
  const [name, setName] = useState('');
  const [renaming, setRenaming] = useState<{ id: number; name: string } | null>(null);
  const [confirming, setConfirming] = useState<number | null>(null);
  return (
    <section className="panel-section">
      <h3 className="section-title">Defect classes</h3>
      <ul className="annotate-classes" data-testid="annotate-classes">
        {classes.map((c, i) => (
          <li key={c.id} className="annotate-class-row">
            {renaming?.id === c.id ? (
              <form
                className="open-form"
                onSubmit={(e) => {
                  e.preventDefault();
                  if (session.renameClass(c.id, renaming.name)) setRenaming(null);
                }}
              >
                <input
                  className="input"
                  data-testid="annotate-class-rename-input"
                  aria-label={`New name for ${c.name}`}
                  autoFocus
                  value={renaming.name}
                  onChange={(e) => setRenaming({ id: c.id, name: e.target.value })}
                  onKeyDown={(e) => {
                    if (e.key === 'Escape') setRenaming(null);
                  }}
                />
                <button className="btn small" data-testid="annotate-class-rename-save" type="submit" disabled={!renaming.name.trim()}>
                  Save
                </button>
              </form>
            ) : (
              <>
                <button
                  className={`annotate-class ${current === c.id ? 'active' : ''}`}
                  data-testid="annotate-class"
                  data-class-id={c.id}
                  data-name={c.name}
                  aria-pressed={current === c.id}
                  title={i < 9 ? `Paint ${c.name} (${i + 1})` : `Paint ${c.name}`}
                  onClick={() => editor.setCurrentClass(c.id)}
                >
                  <span className="swatch" style={{ background: cssColour(c.color) }} />
                  <span className="annotate-class-name">{c.name}</span>
                  {i < 9 && <kbd>{i + 1}</kbd>}
                </button>
                <button className="btn small ghost" data-testid="annotate-class-rename" data-class-id={c.id} title={`Rename ${c.name}`} aria-label={`Rename ${c.name}`} onClick={() => setRenaming({ id: c.id, name: c.name })}>
                  ✎
                </button>
                <button className="btn small ghost" data-testid="annotate-class-delete" data-class-id={c.id} title={`Delete ${c.name}`} aria-label={`Delete ${c.name}`} onClick={() => setConfirming(c.id)}>
                  ✕
                </button>
              </>
            )}
            {confirming === c.id && (
              <div className="annotate-class-confirm" role="alertdialog" data-testid="annotate-class-delete-dialog">
                <span>
                  Delete “{c.name}”? Masks are not changed: a class still painted in a mask cannot be deleted.
                </span>
                <button
                  className="btn small"
                  data-testid="annotate-class-delete-confirm"
                  onClick={() => {
                    setConfirming(null);
                    void session.deleteClass(c.id);
                  }}
                >
                  Delete
                </button>
                <button className="btn small ghost" data-testid="annotate-class-delete-cancel" onClick={() => setConfirming(null)}>
                  Cancel
                </button>
              </div>
            )}
          </li>
        ))}
      </ul>
      <form
        className="open-form annotate-add-class"
        onSubmit={(e) => {
          e.preventDefault();
          if (session.addClass(name)) setName('');
        }}
      >
        <input className="input" data-testid="annotate-class-name" placeholder="New class name" value={name} onChange={(e) => setName(e.target.value)} />
        <button className="btn small" data-testid="annotate-class-add" type="submit" disabled={!name.trim()}>
          Add
        </button>
      </form>
    </section>
  );
}
