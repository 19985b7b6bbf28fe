/** Defect classes: pick the one to paint (also keys 1-9), see its colour, add a class. */
import { useState } from 'react';
import type { AnnotationClass } from '../../shared/contract/annotations.js';
import type { AnnotateEditor } from '../editor/index.js';
import type { AnnotateSession } from './AnnotateSession.js';
import { cssColour } from './classes.js';
import { useEditorValue } from './useEditorValue.js';

export function ClassPanel({ editor, session, classes }: { editor: AnnotateEditor; session: AnnotateSession; classes: readonly AnnotationClass[] }) {
  const current = useEditorValue(editor, 'current class', () => editor.getCurrentClassId());
  const [name, setName] = useState('');
  return (
    <section className="panel-section">
      <h3 className="section-title">Defect classes</h3>
      <ul className="annotate-classes" data-testid="annotate-classes">
        {classes.map((c, i) => (
          <li key={c.id}>
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
