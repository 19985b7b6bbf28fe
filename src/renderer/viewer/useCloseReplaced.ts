import { useEffect, useRef } from 'react';

/**
 * Closes a bitmap once the component shows its successor, and when the component unmounts (a 4096^2 ImageBitmap
 * holds 64 MB until closed or collected). It runs after the commit, when the Konva node already holds the new
 * bitmap, so no draw can reach the closed one. Only for bitmaps held in the component's own state: a remount starts
 * with new state, so nothing shows a bitmap closed at unmount, and never for one a cache hands out again.
 */
export function useCloseReplaced(image: ImageBitmap | null): void {
  const shown = useRef<ImageBitmap | null>(null);
  useEffect(() => {
    const previous = shown.current;
    shown.current = image;
    if (previous && previous !== image) previous.close();
  }, [image]);
  useEffect(
    () => () => {
      shown.current?.close();
      shown.current = null;
    },
    [],
  );
}
