/**
 * electron-vite build: main (ESM, native deps such as sharp and onnxruntime-node stay external), preload
 * (CommonJS, because sandboxed preloads cannot load ES modules) and the renderer (same config as the
 * browser-mode build in vite.config.ts).
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'electron-vite';
import { rendererConfig } from './vite.config.js';

const root = path.dirname(fileURLToPath(import.meta.url));

export default defineConfig({
  main: {
    build: {
      externalizeDeps: true,
      outDir: path.join(root, 'out', 'main'),
      rollupOptions: { input: { index: path.join(root, 'src', 'main', 'index.ts') } },
    },
  },
  preload: {
    build: {
      externalizeDeps: false,
      outDir: path.join(root, 'out', 'preload'),
      rollupOptions: {
        input: { index: path.join(root, 'src', 'preload', 'index.ts') },
        output: { format: 'cjs', entryFileNames: '[name].cjs' },
      },
    },
  },
  renderer: {
    ...rendererConfig,
    build: { ...rendererConfig.build },
  },
});
