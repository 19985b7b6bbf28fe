// Which Chromium the E2E suite drives: $DEFECT_STUDIO_CHROMIUM, then a system Chromium/Chrome (Debian's
// /usr/bin/chromium on CI), then a browser installed by `npx playwright install chromium`. null when none.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

const SYSTEM = {
  linux: ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome', '/usr/bin/google-chrome-stable'],
  darwin: ['/Applications/Chromium.app/Contents/MacOS/Chromium', '/Applications/Google Chrome.app/Contents/MacOS/Google Chrome'],
  win32: [],
};

/** @returns {{ path: string, source: string } | null} */
export function findChromium() {
  const fromEnv = process.env.DEFECT_STUDIO_CHROMIUM;
  if (fromEnv && existsSync(fromEnv)) return { path: fromEnv, source: '$DEFECT_STUDIO_CHROMIUM' };
  for (const p of SYSTEM[process.platform] ?? []) if (existsSync(p)) return { path: p, source: 'system' };
  try {
    const { chromium } = require('playwright-core');
    const p = chromium.executablePath();
    if (p && existsSync(p)) return { path: p, source: 'playwright-installed' };
  } catch {
    /* playwright-core missing or no registry entry */
  }
  return null;
}
