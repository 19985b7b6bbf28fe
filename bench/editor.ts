/**
 * Annotate editor micro-benchmark (issue 9), Node side: the CPU work one pointer-move sample of a brush stroke costs
 * on a 4096 x 4096 mask, i.e. rasterising the segment into the open edit (with its undo snapshots) plus colouring the
 * dirty rect into an RGBA buffer the canvas layer would upload. Target: median far under 16 ms (one 60 fps frame).
 * The Chromium frame-time benchmark (canvas upload, Konva draw) belongs to the renderer's E2E benchmarks; this one
 * isolates the editor's share so a regression in rasterisation or diffing shows up without a browser.
 *
 * Records: editor.brush.sample_ms (per sample: segment + dirty RGBA), editor.brush.commit_ms (pointer up: building the
 * stroke's diff and history entry), editor.undo_ms, editor.history_bytes_per_stroke.
 */
import { performance } from 'node:perf_hooks';
import { AnnotateEditor } from '../src/renderer/editor/index.js';

const SIZE = 4096;
const SAMPLES = 200;
const STROKES = 5;

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

function summary(values: number[]): { median: number; p95: number; max: number } {
  const s = [...values].sort((a, b) => a - b);
  const r = (v: number) => Math.round(v * 1000) / 1000;
  return { median: r(quantile(s, 0.5)), p95: r(quantile(s, 0.95)), max: r(s[s.length - 1]) };
}

/** A wavy 200-sample stroke across the image; `step` is the pointer travel between samples in image px. */
function strokePath(k: number, step: number): [number, number][] {
  const pts: [number, number][] = [];
  const y0 = 400 + k * 700;
  for (let i = 0; i < SAMPLES; i++) {
    // Back and forth across the image (a triangle wave), so no sample jumps back to the left edge.
    const span = SIZE - 200;
    const pos = (i * step) % (2 * span);
    const x = 100 + (pos < span ? pos : 2 * span - pos);
    pts.push([x, y0 + 150 * Math.sin(i / 12)]);
  }
  return pts;
}

export async function run(emit: (record: Record<string, unknown>) => void): Promise<void> {
  for (const { brushSize, step } of [
    { brushSize: 20, step: 8 },
    { brushSize: 100, step: 8 },
    { brushSize: 100, step: 40 },
  ]) {
    const editor = new AnnotateEditor({
      width: SIZE,
      height: SIZE,
      classes: [{ id: 1, name: 'scratch', color: [255, 0, 0] }],
      settings: { brushSize },
    });
    // Reused across frames, as the canvas layer would; big enough for any rect one sample can dirty here.
    const side = brushSize + step + 64;
    const rgba = new Uint8ClampedArray(side * side * 4);
    editor.takeDirtyRects();
    const sampleMs: number[] = [];
    const commitMs: number[] = [];
    let pixelsColoured = 0;
    for (let k = 0; k < STROKES; k++) {
      const pts = strokePath(k, step);
      for (let i = 0; i < pts.length; i++) {
        const [x, y] = pts[i];
        const t0 = performance.now();
        if (i === 0) editor.pointerDown(x, y);
        else editor.pointerMove(x, y);
        for (const r of editor.takeDirtyRects()) {
          editor.renderOverlay(r, rgba.length >= r.w * r.h * 4 ? rgba : undefined);
          pixelsColoured += r.w * r.h;
        }
        sampleMs.push(performance.now() - t0);
      }
      const last = pts[pts.length - 1];
      const t1 = performance.now();
      editor.pointerUp(last[0], last[1]);
      commitMs.push(performance.now() - t1);
      editor.takeDirtyRects();
    }
    const stats = editor.getHistoryStats();
    const undoMs: number[] = [];
    while (editor.canUndo()) {
      const t = performance.now();
      editor.undo();
      undoMs.push(performance.now() - t);
    }
    const common = { mask: `${SIZE}x${SIZE}`, brushSize, stepPx: step, samples: SAMPLES * STROKES, contended: 'shared 2-core machine' };
    const s = summary(sampleMs);
    emit({ bench: 'editor.brush.sample_ms', value: s.median, unit: 'ms', target: '<=16 (far under)', p95: s.p95, max: s.max, avgRectPx: Math.round(pixelsColoured / sampleMs.length), ...common });
    const c = summary(commitMs);
    emit({ bench: 'editor.brush.commit_ms', value: c.median, unit: 'ms', target: '<=16', max: c.max, ...common, samples: STROKES });
    const u = summary(undoMs);
    emit({ bench: 'editor.undo_ms', value: u.median, unit: 'ms', target: '<=16', max: u.max, ...common, samples: undoMs.length });
    emit({ bench: 'editor.history_bytes_per_stroke', value: Math.round(stats.bytes / STROKES), unit: 'B', target: '<<33554432 (a full before+after copy)', ...common, samples: STROKES });
  }
}

// Run directly: `npx tsx bench/editor.ts`
if (import.meta.url === `file://${process.argv[1]}`) {
  await run((r) => console.log(JSON.stringify(r)));
}
