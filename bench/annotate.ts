/**
 * Annotate brush benchmark (issue 9): one 4096 x 4096 image opened in Annotate in browser mode, a 4 s brush stroke
 * dispatched in the page as PointerEvents on the stage (2 samples per frame, like a 120 Hz mouse; Playwright's
 * mouse over CDP delivered only ~7 moves/s on the loaded machine), frame times measured as requestAnimationFrame
 * deltas while drawing.
 *
 * Each frame of a stroke costs: the pointer samples (capsule rasterisation into the mask, tile snapshots), the
 * re-colouring of the dirty rects only (putImageData of those rects into the image-sized overlay canvas) and one
 * nearest-neighbour redraw of the mask layer.
 *
 * Headless Chromium paces requestAnimationFrame at 60 Hz, so a rAF delta cannot go below 16.7 ms: a median at that
 * floor means "keeps up with a 60 Hz display", not how much of the frame was used. Uncapping does not work here:
 * with --disable-frame-rate-limit --disable-gpu-vsync, Chromium 156 headless still drew 60 frames/s (idle delta
 * 17 ms; during a stroke the deltas alternated short/long around the same 16.7 ms mean, so their median, 9.6 ms, was
 * an artefact, not a frame cost), and there is no display server here for a headed run. So the JSON carries, per
 * stroke:
 *  - frame_ms: median rAF delta at the 60 Hz pace (≤ 16.7 ms = every frame made it; p95 and droppedShare show misses);
 *  - frameWorkMs: per frame, the main-thread time from the start of the frame's first rAF callback (the bench's,
 *    which dispatches the pointer samples) to a MessageChannel task posted from it, which runs only after that
 *    frame's other rAF callbacks (the editor's dirty-rect recolour, Konva's draw) and its style/layout/paint: the
 *    real per-frame cost on the main thread, not capped (the target reads on it: ≤ 16 ms);
 *  - main_thread_cpu_ms_per_frame: renderer main-thread CPU in a trace of the stroke / frames drawn (bench/grid.ts's
 *    rendererMainCpuMs), which does not include waiting for the CPU on the shared machine.
 * The in-page time spent in the stage's pointermove handlers per frame is recorded too (pointer_handler_ms).
 *
 * Records: annotate.brush.frame_ms (fitted view, whole 4096^2 image on screen; the target applies here),
 * annotate.brush_zoomed.frame_ms (100 % zoom), annotate.brush.main_thread_cpu_ms_per_frame,
 * annotate.brush.pointer_handler_ms, annotate.brush.commit_ms, annotate.idle.frame_ms, annotate.open_s.
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { chromium } from 'playwright-core';
import sharp from 'sharp';
import { chromiumOrSkip } from './lib/browser.js';
import { startBrowserModeServer } from '../src/main/server/index.js';
import { rendererMainCpuMs, round, stats } from './grid.js';

const SIZE = 4096;
const BRUSH = 40;
const STROKE_SECONDS = 4;

type Emit = (record: Record<string, unknown>) => void;

/**
 * Page-side stroke, as source text (see bench/grid.ts for why not a function). Each animation frame dispatches
 * `perFrame` pointermove events on the stage (a 120 Hz mouse gives 2 per 60 Hz frame) along a Lissajous path, so the
 * sample rate does not depend on how fast the benchmark process can talk to the browser. Records rAF deltas, the
 * time the pointer handlers took per frame, and how long the pointer-up (commit, Dexie save, PNG request) blocked.
 */
const STROKE = `(seconds, perFrame) => new Promise((resolve) => {
  const el = document.querySelector('[data-testid="annotate-stage"]');
  const r = el.getBoundingClientRect();
  const at = (t) => ({ x: r.left + r.width * (0.5 + 0.4 * Math.sin(t * 1.3)), y: r.top + r.height * (0.5 + 0.4 * Math.sin(t * 2.1 + 0.7)) });
  const fire = (type, p, buttons) => el.dispatchEvent(new PointerEvent(type, { clientX: p.x, clientY: p.y, button: 0, buttons, pointerId: 1, isPrimary: true, pointerType: 'mouse', bubbles: true }));
  const deltas = [], handler = [], work = [];
  let start = -1, last = -1, workStart = -1;
  // Runs after the frame's remaining rAF callbacks and its rendering steps (see the header: frameWorkMs).
  const after = new MessageChannel();
  after.port1.onmessage = () => { if (workStart >= 0) work.push(performance.now() - workStart); workStart = -1; };
  fire('pointerdown', at(0), 1);
  const frame = (t) => {
    if (start < 0) start = t; else deltas.push(t - last);
    last = t;
    const s = (t - start) / 1000;
    const h0 = performance.now();
    workStart = h0;
    after.port2.postMessage(0);
    for (let i = 1; i <= perFrame; i++) fire('pointermove', at(s + i / (60 * perFrame)), 1);
    handler.push(performance.now() - h0);
    if (s < seconds) { requestAnimationFrame(frame); return; }
    const u0 = performance.now();
    fire('pointerup', at(s), 0);
    const commitMs = performance.now() - u0;
    requestAnimationFrame((t2) => resolve({ deltas, handler, work, commitMs, afterCommitFrameMs: t2 - last }));
  };
  requestAnimationFrame(frame);
})`;

const IDLE = `(seconds) => new Promise((resolve) => {
  const deltas = [];
  let start = -1, last = -1;
  const frame = (t) => {
    if (start < 0) start = t; else deltas.push(t - last);
    last = t;
    if ((t - start) / 1000 < seconds) requestAnimationFrame(frame); else resolve({ deltas });
  };
  requestAnimationFrame(frame);
})`;

interface Stroke {
  deltas: number[];
  handler: number[];
  work: number[];
  commitMs: number;
  afterCommitFrameMs: number;
}

const SAMPLES_PER_FRAME = 2;
/** A 60 Hz display's frame: stats' droppedShare counts frames over 1.5 of these (a 60 Hz display would repeat one). */
const DISPLAY_MS = 1000 / 60;

/** A smooth grey 4096^2 test image (compresses well, so writing it takes a second, not ten). */
async function makeImage(file: string): Promise<void> {
  const px = Buffer.alloc(SIZE * SIZE);
  for (let y = 0; y < SIZE; y++) for (let x = 0; x < SIZE; x++) px[y * SIZE + x] = 96 + ((x >> 5) ^ (y >> 5)) % 64;
  await mkdir(path.dirname(file), { recursive: true });
  await sharp(px, { raw: { width: SIZE, height: SIZE, channels: 1 } }).png({ compressionLevel: 1 }).toFile(file);
}

export async function run(emit: Emit): Promise<void> {
  const found = chromiumOrSkip(emit, 'annotate.brush.frame_ms');
  if (!found) return;
  const scratch = await mkdtemp(path.join(tmpdir(), 'ds-bench-annotate-'));
  const root = path.join(scratch, 'large');
  await makeImage(path.join(root, 'good', 'big.png'));
  const server = await startBrowserModeServer({ workspace: path.join(scratch, 'workspace'), port: 0 });
  const browser = await chromium.launch({
    executablePath: found.path,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1400, height: 860 } });
    await page.goto(server.url);
    await page.getByTestId('open-path').fill(root);
    await page.getByTestId('open-submit').click();
    await page.locator('[data-testid="grid-cell"][data-path="good/big.png"]').click();
    const opened = performance.now();
    await page.getByTestId('nav-annotate').click();
    await page.locator('[data-testid="screen-annotate"][data-status="ready"]').waitFor({ timeout: 120_000 });
    await page.getByTestId('annotate-stage').locator('canvas').first().waitFor();
    await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
    const openSeconds = (performance.now() - opened) / 1000;
    await page.getByTestId('annotate-brush-size').fill(String(BRUSH));
    await page.waitForTimeout(500);

    const idle = (await page.evaluate(`(${IDLE})(2)`)) as { deltas: number[] };
    const idleStats = stats(idle.deltas, DISPLAY_MS);
    const refreshMs = idleStats.median;

    await browser.startTracing(page, { categories: ['toplevel', 'devtools.timeline'] });
    const fitted = (await page.evaluate(`(${STROKE})(${STROKE_SECONDS}, ${SAMPLES_PER_FRAME})`)) as Stroke;
    const cpuMs = rendererMainCpuMs(await browser.stopTracing());
    const strokeSeconds = fitted.deltas.reduce((a, b) => a + b, 0) / 1000;
    const zoomFitted = Number(await page.getByTestId('annotate-zoom').getAttribute('data-value'));

    // 100 % zoom with the toolbar (no wheel), then the same stroke.
    for (let i = 0; i < 20 && Number(await page.getByTestId('annotate-zoom').getAttribute('data-value')) < 100; i++) {
      await page.getByTestId('annotate-zoom-in').click();
    }
    const zoomed = (await page.evaluate(`(${STROKE})(${STROKE_SECONDS}, ${SAMPLES_PER_FRAME})`)) as Stroke;
    const painted = Number(await page.getByTestId('annotate-painted').getAttribute('data-value'));

    const common = {
      image: `${SIZE}x${SIZE}`,
      brushPx: BRUSH,
      viewport: '1400x860',
      chromium: browser.version(),
      note: 'headless Chromium, software rendering (--disable-gpu), rAF paced at 60 Hz (frame_ms cannot go below 16.7; frameWorkMs is the uncapped main-thread cost per frame); machine shared with other work, so p95 includes CPU contention',
    };
    const workStats = (w: number[]) => {
      const st = stats(w, DISPLAY_MS);
      return { median: st.median, p95: st.p95, max: st.max, frames: st.frames };
    };
    const perFrameCpu = round(cpuMs / Math.max(1, fitted.deltas.length));
    emit({
      bench: 'annotate.brush.frame_ms',
      value: stats(fitted.deltas, DISPLAY_MS).median,
      unit: 'ms',
      target: '<=16',
      ...stats(fitted.deltas, DISPLAY_MS),
      fps: round(fitted.deltas.length / strokeSeconds),
      frameWorkMs: workStats(fitted.work),
      idleFloorMs: refreshMs,
      mainThreadCpuMsPerFrame: perFrameCpu,
      zoomPercent: zoomFitted,
      samplesPerFrame: SAMPLES_PER_FRAME,
      ...common,
    });
    emit({
      bench: 'annotate.brush.main_thread_cpu_ms_per_frame',
      value: perFrameCpu,
      unit: 'ms',
      target: '<=16',
      mainThreadCpuMs: Math.round(cpuMs),
      frames: fitted.deltas.length,
      seconds: round(strokeSeconds),
      ...common,
      note: 'renderer main-thread CPU during the fitted stroke (trace) / frames drawn in it (60 Hz pace; raster and compositor threads excluded)',
    });
    emit({ bench: 'annotate.brush.pointer_handler_ms', value: stats(fitted.handler, DISPLAY_MS).median, unit: 'ms', p95: stats(fitted.handler, DISPLAY_MS).p95, max: stats(fitted.handler, DISPLAY_MS).max, frames: fitted.handler.length, ...common, note: `stage pointermove listeners per frame (${SAMPLES_PER_FRAME} samples: rasterise + tile snapshots + settle), fitted view` });
    emit({ bench: 'annotate.brush.commit_ms', value: round(fitted.commitMs), unit: 'ms', zoomedCommitMs: round(zoomed.commitMs), frameAfterCommitMs: round(fitted.afterCommitFrameMs), ...common, note: 'pointer-up of a 4 s stroke: history diff, committed event (mask zlib + Dexie put + save request), painted-pixel count' });
    emit({ bench: 'annotate.brush_zoomed.frame_ms', value: stats(zoomed.deltas, DISPLAY_MS).median, unit: 'ms', ...stats(zoomed.deltas, DISPLAY_MS), frameWorkMs: workStats(zoomed.work), idleFloorMs: refreshMs, zoomPercent: 100, paintedPixels: painted, ...common });
    emit({ bench: 'annotate.idle.frame_ms', value: idleStats.median, unit: 'ms', ...idleStats, ...common });
    emit({ bench: 'annotate.open_s', value: round(openSeconds), unit: 's', ...common, note: 'Annotate tab click to the editor ready and two frames drawn (4096^2 PNG decode, whole-mask colouring)' });
  } finally {
    await browser.close();
    await server.close();
    await rm(scratch, { recursive: true, force: true });
  }
}
