/**
 * A copy of the open image's class-index mask, kept off the main thread. The page sends the whole mask once per
 * image (`sync`), then only the rectangle each edit changed (`patch`); this side applies it, counts the painted
 * pixels and compresses the mask for Dexie and the save call. Copying and compressing a 4096 x 4096 mask costs
 * hundreds of milliseconds on a busy machine, which on the main thread would freeze the frames after every stroke.
 */
import { encodeMaskBytes } from '../../shared/contract/annotations.js';
import { unpackBytes } from '../editor/history/packedBytes.js';
import type { MirrorReply, MirrorRequest } from './maskCodec.js';

let current: { key: string; width: number; height: number; mask: Uint8Array } | null = null;

function painted(mask: Uint8Array): number {
  let n = 0;
  for (let i = 0; i < mask.length; i++) if (mask[i] !== 0) n++;
  return n;
}

const scope = self as unknown as { onmessage: ((e: MessageEvent<MirrorRequest>) => void) | null; postMessage(message: MirrorReply): void };
scope.onmessage = (e) => {
  const req = e.data;
  try {
    if (req.type === 'sync') {
      current = { key: req.key, width: req.width, height: req.height, mask: req.mask };
      scope.postMessage({ id: req.id, ok: true, painted: painted(req.mask), bytes: null });
      return;
    }
    if (!current || current.key !== req.key) throw new Error(`The mask of ${req.key} was not sent to the worker before its edits.`);
    for (const p of req.patches) {
      const data = unpackBytes(p.bytes);
      for (let y = 0; y < p.h; y++) current.mask.set(data.subarray(y * p.w, (y + 1) * p.w), (p.y + y) * current.width + p.x);
    }
    scope.postMessage({ id: req.id, ok: true, painted: painted(current.mask), bytes: encodeMaskBytes(current.mask, current.width, current.height) });
  } catch (err) {
    scope.postMessage({ id: req.id, ok: false, error: err instanceof Error ? err.message : String(err) });
  }
};
