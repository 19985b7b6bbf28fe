/**
 * Preflight shared by the benchmarks that drive the built renderer in Chromium (grid, annotate, review): a
 * Chromium binary and a renderer build must both exist, else the benchmark emits one skipped record saying which
 * is missing and how to get it.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { findChromium } from '../../scripts/find-chromium.mjs';
import { DEFAULT_RENDERER_DIR } from '../../src/main/server/index.js';
import type { Emit } from './anomaly.js';

/** The Chromium to launch, or null after emitting `{ bench, skipped: true, reason }`. */
export function chromiumOrSkip(emit: Emit, bench: string): ReturnType<typeof findChromium> {
  const found = findChromium();
  if (!found) {
    emit({ bench, skipped: true, reason: 'No Chromium found (apt-get install chromium, npx playwright install chromium, or set $DEFECT_STUDIO_CHROMIUM).' });
    return null;
  }
  if (!existsSync(path.join(DEFAULT_RENDERER_DIR, 'index.html'))) {
    emit({ bench, skipped: true, reason: `The renderer is not built (${DEFAULT_RENDERER_DIR}); run \`npx vite build\`.` });
    return null;
  }
  return found;
}
