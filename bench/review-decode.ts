/**
 * Per-image decode work of an inspection run (src/main/review/viewImage.ts): the model input (256 px) and the
 * 1024 px JPEG view made from one decode of each 1024² PNG ("one") vs each decoding the file ("two": preprocessImage
 * + data/thumbnails.ts, what runs did before). Inference is left out, so only the decode difference shows. CPU time
 * of this process per image is the robust number on a shared machine (sharp runs on libuv's pool, counted in
 * process.cpuUsage); wall time is recorded too. Rounds alternate the two modes.
 */
import { readdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os, { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { preprocessImage } from '../src/main/data/preprocess.js';
import { ThumbnailCache } from '../src/main/data/thumbnails.js';
import { decodeForModelAndView } from '../src/main/review/viewImage.js';
import { makeBlobDataset } from '../test/unit/models/synthetic.js';

type Emit = (record: Record<string, unknown>) => void;

const ROUNDS = 3;
const round = (v: number) => Math.round(v * 10) / 10;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

export async function run(emit: Emit): Promise<void> {
  const dir = await mkdtemp(path.join(tmpdir(), 'ds-bench-review-decode-'));
  try {
    await makeBlobDataset(path.join(dir, 'd'), { size: 1024, trainGood: 1, testGood: 6, testDefect: 6, seed: 3 });
    const files: string[] = [];
    const walk = (d: string) => {
      for (const e of readdirSync(d, { withFileTypes: true })) {
        const p = path.join(d, e.name);
        if (e.isDirectory()) walk(p);
        else if (p.endsWith('.png') && !p.includes('ground_truth')) files.push(p);
      }
    };
    walk(path.join(dir, 'd'));
    const spec = { fit: 'stretch' as const, size: 256, multiple: 32, maxLong: 1024 };
    const per: Record<'one' | 'two', { cpu: number[]; wall: number[] }> = { one: { cpu: [], wall: [] }, two: { cpu: [], wall: [] } };
    for (let r = 0; r < ROUNDS; r++) {
      for (const mode of ['two', 'one'] as const) {
        const views = new ThumbnailCache({ cacheDir: path.join(dir, `views-${r}-${mode}`), size: 1024, quality: 85, concurrency: 1 });
        const c0 = process.cpuUsage();
        const t0 = performance.now();
        for (const [i, file] of files.entries()) {
          const source = { absPath: file, bytes: i, mtimeMs: r };
          if (mode === 'two') await Promise.all([views.get(source), preprocessImage(file, spec)]);
          else {
            const px = await decodeForModelAndView(file);
            if (!px) throw new Error(`${file} was not decoded once; the bench needs 8-bit PNGs.`);
            await Promise.all([views.put(source, px), preprocessImage(px, spec)]);
          }
        }
        const cpu = process.cpuUsage(c0);
        per[mode].cpu.push((cpu.user + cpu.system) / 1000 / files.length);
        per[mode].wall.push((performance.now() - t0) / files.length);
      }
    }
    const loadavg = os.loadavg().map((l) => Math.round(l * 100) / 100);
    for (const mode of ['two', 'one'] as const) {
      emit({
        bench: `review.decode_${mode}_cpu_ms`,
        value: round(median(per[mode].cpu)),
        unit: 'ms/image',
        wallMs: round(median(per[mode].wall)),
        roundsCpu: per[mode].cpu.map(round),
        images: files.length,
        image: '1024x1024 PNG',
        note: mode === 'one' ? 'one decode: view JPEG + 256 px model input from the same pixels' : 'two decodes: thumbnail cache + preprocessImage from the file',
        cores: os.cpus().length,
        loadavg,
      });
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
