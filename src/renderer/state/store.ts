/**
 * A minimal observable value kept outside React. Pointer-rate state (viewer zoom/pan) lives in stores like this
 * so that canvas nodes can be updated imperatively from a subscription, and React components re-render only
 * when the slice they select actually changes (see useStoreValue).
 */
import { useCallback, useRef, useSyncExternalStore } from 'react';

export type Listener<T> = (value: T, previous: T) => void;

export class Store<T> {
  private value: T;
  private readonly listeners = new Set<Listener<T>>();

  constructor(initial: T) {
    this.value = initial;
  }

  get(): T {
    return this.value;
  }

  set(next: T): void {
    if (Object.is(next, this.value)) return;
    const previous = this.value;
    this.value = next;
    for (const listener of [...this.listeners]) listener(next, previous);
  }

  update(fn: (value: T) => T): void {
    this.set(fn(this.value));
  }

  subscribe(listener: Listener<T>): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

/**
 * Re-renders the calling component only when `select(store.get())` changes by `equal` (default Object.is).
 * The selected value is cached so that a selector returning a fresh object for equal input does not loop.
 */
export function useStoreValue<T, S>(store: Store<T>, select: (value: T) => S, equal: (a: S, b: S) => boolean = Object.is): S {
  const cache = useRef<{ source: T; selected: S } | null>(null);
  const subscribe = useCallback((onChange: () => void) => store.subscribe(onChange), [store]);
  const getSnapshot = (): S => {
    const source = store.get();
    const cached = cache.current;
    if (cached && Object.is(cached.source, source)) return cached.selected;
    const selected = select(source);
    if (cached && equal(cached.selected, selected)) {
      cache.current = { source, selected: cached.selected };
      return cached.selected;
    }
    cache.current = { source, selected };
    return selected;
  };
  return useSyncExternalStore(subscribe, getSnapshot, getSnapshot);
}
