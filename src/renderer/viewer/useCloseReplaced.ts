import { useEffect, useRef } from 'react';

/**
 * Closes a bitmap once the component shows its successor (a 4096^2 ImageBitmap holds 64 MB until closed or collected).
 * It runs after the commit, when the Konva node already holds the new bitmap, so no draw can reach the closed one.
 * Only for bitmaps the caller owns alone (never one a cache hands out again). Not on unmount: a remount (React
 * StrictMode, a screen switched back) shows the same bitmap; `closeOnUnmount` is for owners that drop it then.
 */
export function useCloseReplaced(image: ImageBitmap | null, opts: { closeOnUnmount?: boolean } = {}): void {
  const shown = useRef<ImageBitmap | null>(null);
  useEffect(() => {
    const previous = shown.current;
    shown.current = image;
    if (previous && previous !== image) previous.close();
  }, [image]);
  const closeOnUnmount = opts.closeOnUnmount ?? false;
  useEffect(
    () => () => {
      if (closeOnUnmount) {
        shown.current?.close();
        shown.current = null;
      }
    },
    [closeOnUnmount],
  );
}
