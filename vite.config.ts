/**
 * Renderer-only build for browser mode: `npx vite build` writes out/renderer without touching Electron, so a
 * machine without the Electron binary can still build and serve the UI. electron.vite.config.ts reuses this.
 */
import react from '@vitejs/plugin-react';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig, type UserConfig } from 'vite';

const root = path.dirname(fileURLToPath(import.meta.url));

export const rendererConfig: UserConfig = {
  root: path.join(root, 'src', 'renderer'),
  // Relative asset URLs work both from http://127.0.0.1:PORT/ and from Electron's studio-app://app/.
  base: './',
  plugins: [react()],
  build: {
    outDir: path.join(root, 'out', 'renderer'),
    emptyOutDir: true,
    rollupOptions: {
      input: path.join(root, 'src', 'renderer', 'index.html'),
      onwarn(warning, warn) {
        // zod's comments confuse Rollup's annotation parser; the warning is harmless and drowns real ones.
        if (warning.code === 'INVALID_ANNOTATION') return;
        warn(warning);
      },
    },
    // One local app loaded from disk or 127.0.0.1: chunk size does not cost network time.
    chunkSizeWarningLimit: 4096,
    reportCompressedSize: false,
  },
};

export default defineConfig(rendererConfig);
