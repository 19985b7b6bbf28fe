import type { AnnotateEditor } from '../AnnotateEditor.js';
import type { EditorEvent, KeyInfo, PointerInfo } from './events.js';

/**
 * A node of the tool state chart (tldraw's StateNode, reduced to what the Annotate screen needs).
 * The root's children are tools; a tool's children are its states (idle, drawing, ...). Exactly one path from the
 * root is active, e.g. `root.brush.drawing`; `editor.getPath()` returns it, and tests assert on it.
 *
 * Events go down the active path: each node runs its own handler, then passes the event to its active child,
 * unless the handler changed which child is active (so an event that caused a transition is not handled twice).
 */
export interface StateNodeConstructor {
  new (editor: AnnotateEditor, parent?: StateNode): StateNode;
  id: string;
  initial?: string;
  children?: () => StateNodeConstructor[];
}

export abstract class StateNode {
  static id: string;
  static initial?: string;
  static children?: () => StateNodeConstructor[];

  readonly id: string;
  readonly children = new Map<string, StateNode>();
  private readonly initial?: string;
  private current: StateNode | undefined;
  private active = false;

  constructor(
    readonly editor: AnnotateEditor,
    readonly parent?: StateNode,
  ) {
    const ctor = this.constructor as StateNodeConstructor;
    this.id = ctor.id;
    this.initial = ctor.initial;
    for (const Child of ctor.children?.() ?? []) this.children.set(Child.id, new Child(editor, this));
    if (this.initial && !this.children.has(this.initial)) {
      throw new Error(`${this.id} - initial state "${this.initial}" is not one of its children (${[...this.children.keys()].join(', ')}).`);
    }
  }

  getCurrent(): StateNode | undefined {
    return this.current;
  }

  isActive(): boolean {
    return this.active;
  }

  /** Dotted path of the active states below and including this node, e.g. `brush.drawing`. */
  getPath(): string {
    return this.current ? `${this.id}.${this.current.getPath()}` : this.id;
  }

  /** Makes child `id` active, exiting the current one; `info` reaches the new state's onEnter. */
  transition(id: string, info?: unknown): this {
    const next = this.children.get(id);
    if (!next) throw new Error(`${this.id} - no child state exists with the id ${id}.`);
    const prev = this.current;
    prev?.exit(info, id);
    this.current = next;
    next.enter(info, prev?.id ?? '');
    this.editor.markChanged();
    return this;
  }

  enter(info: unknown, from: string): void {
    this.active = true;
    this.onEnter?.(info, from);
    if (this.initial && this.active && !this.current) this.transition(this.initial, info);
  }

  exit(info: unknown, to: string): void {
    this.current?.exit(info, to);
    this.current = undefined;
    this.active = false;
    this.onExit?.(info, to);
  }

  handleEvent(event: EditorEvent): void {
    const child = this.current;
    switch (event.name) {
      case 'pointer_down':
        this.onPointerDown?.(event);
        break;
      case 'pointer_move':
        this.onPointerMove?.(event);
        break;
      case 'pointer_up':
        this.onPointerUp?.(event);
        break;
      case 'double_click':
        this.onDoubleClick?.(event);
        break;
      case 'key_down':
        this.onKeyDown?.(event);
        break;
      case 'cancel':
        this.onCancel?.();
        break;
      case 'complete':
        this.onComplete?.();
        break;
      case 'interrupt':
        this.onInterrupt?.();
        break;
    }
    if (this.active && child && child === this.current) child.handleEvent(event);
  }

  onEnter?(info: unknown, from: string): void;
  onExit?(info: unknown, to: string): void;
  onPointerDown?(info: PointerInfo): void;
  onPointerMove?(info: PointerInfo): void;
  onPointerUp?(info: PointerInfo): void;
  onDoubleClick?(info: PointerInfo): void;
  onKeyDown?(info: KeyInfo): void;
  /** Escape: abandon the intent in progress, leaving the mask as it was before it. */
  onCancel?(): void;
  /** Enter: finish the intent in progress (close a polygon, apply a proposal). */
  onComplete?(): void;
  /** Something else needs the editor (tool switch, undo, window blur): end the intent in a safe way. */
  onInterrupt?(): void;
}
