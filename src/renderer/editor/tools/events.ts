import type { Point } from '../geometry/rect.js';

/** Modifier keys carried by every input event. */
export interface Modifiers {
  shiftKey: boolean;
  ctrlKey: boolean;
  altKey: boolean;
  metaKey: boolean;
}

/**
 * A pointer event as states see it: `screen` is in stage pixels (what Konva reports), `point` the same position
 * in image pixels (computed by the editor from the view), `button` as in DOM PointerEvent (0 left, 1 middle, 2 right).
 */
export interface PointerInfo extends Modifiers {
  name: 'pointer_down' | 'pointer_move' | 'pointer_up' | 'double_click';
  screen: Point;
  point: Point;
  button: number;
}

export interface KeyInfo extends Modifiers {
  name: 'key_down';
  key: string;
}

export interface SignalInfo {
  name: 'cancel' | 'complete' | 'interrupt';
}

export type EditorEvent = PointerInfo | KeyInfo | SignalInfo;

export const NO_MODIFIERS: Modifiers = { shiftKey: false, ctrlKey: false, altKey: false, metaKey: false };
