/**
 * Typed event bus owned by the composition root (one per app instance, never a module global). Services emit
 * contract events; the Electron shell and the WebSocket server subscribe to all of them and forward.
 */
import { events, type EventName, type EventPayload } from '../../shared/api.js';
import { StudioError } from '../../shared/errors.js';

export type AnyEventListener = (event: EventName, payload: unknown) => void;

export class EventBus {
  private readonly listeners = new Set<AnyEventListener>();

  emit<E extends EventName>(event: E, payload: EventPayload<E>): void {
    // Validate at the source so a malformed payload is the emitter's error, not a renderer crash later.
    const checked = events[event].safeParse(payload);
    if (!checked.success) {
      throw new StudioError('INTERNAL', `Event ${event} was emitted with a payload that breaks the contract: ${checked.error.message}`);
    }
    for (const l of [...this.listeners]) {
      try {
        l(event, checked.data);
      } catch {
        // One broken subscriber (e.g. a closed socket) must not stop delivery to the others.
      }
    }
  }

  /** Every event; returns the unsubscribe function. */
  subscribe(listener: AnyEventListener): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  on<E extends EventName>(event: E, cb: (payload: EventPayload<E>) => void): () => void {
    return this.subscribe((name, payload) => {
      if (name === event) cb(payload as EventPayload<E>);
    });
  }
}
