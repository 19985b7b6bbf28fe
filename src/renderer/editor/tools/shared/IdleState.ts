import type { PointerInfo } from '../events.js';
import { StateNode } from '../StateNode.js';

/** Idle for tools whose only way in is a primary-button press: it goes to `next` with the press. */
export function idleLeadingTo(next: string) {
  return class Idle extends StateNode {
    static override id = 'idle';
    override onPointerDown(info: PointerInfo): void {
      if (info.button === 0) this.parent!.transition(next, info);
    }
  };
}
