/**
 * E2E in browser mode: each test starts its own server (test/e2e/fixtures/studio.ts) on a free port with a fresh
 * workspace, so no webServer entry is needed. The browser is Debian's Chromium where present (see
 * scripts/find-chromium.mjs); screenshots and traces land in test-results/ as artifacts.
 */
import { defineConfig } from '@playwright/test';
import { findChromium } from './scripts/find-chromium.mjs';

const chromium = findChromium();

export default defineConfig({
  testDir: 'test/e2e',
  outputDir: 'test-results',
  timeout: 120_000,
  expect: { timeout: 15_000 },
  retries: process.env.CI ? 1 : 0,
  // Two cores shared by everything on CI machines: one browser at a time keeps timings meaningful.
  workers: 1,
  // scripts/test.mjs adds a JSON reporter to count results.
  reporter: [['list']],
  use: {
    browserName: 'chromium',
    headless: true,
    viewport: { width: 1280, height: 800 },
    trace: 'on-first-retry',
    screenshot: 'on',
    launchOptions: chromium ? { executablePath: chromium.path } : {},
  },
});
