/**
 * Datasets benchmarks (issue 3). Records:
 * - datasets.scan: scanDataset over 10 000 generated files in MVTec layout (8 000 images + 2 000 masks, header
 *   reads on), median of 5 warm runs; target <= 1 s. cpu_s is the process CPU time of one scan, which, unlike
 *   wall time, stays comparable on a machine shared with other jobs.
 * - datasets.scan.no_sizes: the same with readSizes: false (stat only).
 * - datasets.thumbnails: cold-cache thumbnail generation (256 px) of 512 x 512 JPEGs through ThumbnailCache at
 *   its default concurrency (core count); target >= 100 images/s on 2 cores.
 * - datasets.scan.ksdd2_labels: 1 000 KolektorSDD2-style image + GT pairs; the scan decodes every GT for the label.
 * - datasets.scan.magnetic_tile: the real magnetic-tile set when ../shared/data is present.
 * Every record carries the core count and the 1-minute load average, because the numbers are only
 * meaningful next to them.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { scanDataset } from '../src/main/data/scan.js';
import { ThumbnailCache } from '../src/main/data/thumbnails.js';

type Emit = (record: Record<string, unknown>) => void;

const machine = () => ({ cores: os.availableParallelism(), load1: Math.round(os.loadavg()[0] * 100) / 100 });
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const round = (x: number, d = 3) => Math.round(x * 10 ** d) / 10 ** d;

async function timeScan(root: string, readSizes: boolean, runs: number) {
  await scanDataset(root, { readSizes }); // warm the page cache and the JIT
  const wall: number[] = [];
  const cpu: number[] = [];
  let total = 0;
  for (let i = 0; i < runs; i++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    const r = await scanDataset(root, { readSizes });
    wall.push((performance.now() - t0) / 1000);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1e6);
    total = r.summary.total + r.summary.withMask;
  }
  return { wall: median(wall), cpu: median(cpu), min: Math.min(...wall), files: total };
}

/**
 * A 512 x 512 textured JPEG (smooth pattern + grain), about 50 KB at quality 90 like a typical inspection
 * photo of that size; a flat colour would decode unrealistically fast, pure noise unrealistically slowly.
 */
async function textureJpeg(seed: number): Promise<Buffer> {
  const w = 512;
  const px = Buffer.alloc(w * w * 3);
  let s = seed * 2654435761;
  for (let i = 0; i < px.length; i++) {
    s = (s * 1103515245 + 12345) >>> 0;
    const x = (i / 3) % w;
    const y = Math.floor(i / 3 / w);
    px[i] = 100 + 40 * Math.sin(x / 17 + seed) * Math.cos(y / 23) + ((s >>> 24) % 24);
  }
  return sharp(px, { raw: { width: w, height: w, channels: 3 } }).jpeg({ quality: 90 }).toBuffer();
}

export async function run(emit: Emit): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'bench-datasets-'));
  try {
    // 10 000 files: 7 000 train/good, 1 000 test/good, 500 test/crack and 500 test/hole images, and one
    // ground_truth mask per defect image (1 000).
    const root = path.join(dir, 'mvtec');
    const img = await sharp(Buffer.alloc(256 * 256, 128), { raw: { width: 256, height: 256, channels: 1 } }).png().toBuffer();
    const jpg = await sharp(Buffer.alloc(256 * 256, 128), { raw: { width: 256, height: 256, channels: 1 } }).jpeg().toBuffer();
    const mask = await sharp(Buffer.alloc(256 * 256), { raw: { width: 256, height: 256, channels: 1 } }).png().toBuffer();
    const files: [string, Buffer][] = [];
    for (let i = 0; i < 7000; i++) files.push([`train/good/${String(i).padStart(4, '0')}.png`, i % 2 ? img : jpg]);
    for (let i = 0; i < 1000; i++) files.push([`test/good/${String(i).padStart(3, '0')}.png`, img]);
    for (const type of ['crack', 'hole']) {
      for (let i = 0; i < 500; i++) {
        files.push([`test/${type}/${String(i).padStart(3, '0')}.png`, img]);
        files.push([`ground_truth/${type}/${String(i).padStart(3, '0')}_mask.png`, mask]);
      }
    }
    for (const [rel, data] of files) {
      mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
      writeFileSync(path.join(root, rel), data);
    }
    const sized = await timeScan(root, true, 5);
    emit({ bench: 'datasets.scan', value: round(sized.wall), unit: 's', target: '<=1', files: sized.files, best_s: round(sized.min), cpu_s: round(sized.cpu), ...machine() });
    const bare = await timeScan(root, false, 5);
    emit({ bench: 'datasets.scan.no_sizes', value: round(bare.wall), unit: 's', files: bare.files, cpu_s: round(bare.cpu), ...machine() });

    const thumbsIn = path.join(dir, 'photos');
    mkdirSync(thumbsIn);
    const N = 200;
    const distinct = await Promise.all(Array.from({ length: 8 }, (_, i) => textureJpeg(i + 1)));
    const sources = Array.from({ length: N }, (_, i) => {
      const absPath = path.join(thumbsIn, `${i}.jpg`);
      writeFileSync(absPath, distinct[i % distinct.length]);
      return { absPath, bytes: distinct[i % distinct.length].length, mtimeMs: i }; // distinct keys
    });
    const cache = new ThumbnailCache({ cacheDir: path.join(dir, 'thumbs'), size: 256 });
    await cache.get({ ...sources[0], mtimeMs: -1 }); // load libvips before timing
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    await Promise.all(sources.map((s) => cache.get(s)));
    const secs = (performance.now() - t0) / 1000;
    const c = process.cpuUsage(c0);
    emit({
      bench: 'datasets.thumbnails',
      value: round(N / secs, 1),
      unit: 'images/s',
      target: '>=100',
      images: N,
      input: '512x512 JPEG',
      input_kb: round(distinct.reduce((a, b) => a + b.length, 0) / distinct.length / 1024, 1),
      thumb_px: 256,
      concurrency: os.availableParallelism(),
      cpu_s: round((c.user + c.system) / 1e6),
      ...machine(),
    });

    // KolektorSDD2 labels are mask content, so its scan decodes every GT (232 x 640 like the real set).
    const ks = path.join(dir, 'ksdd2');
    const gtEmpty = await sharp(Buffer.alloc(232 * 640), { raw: { width: 232, height: 640, channels: 1 } }).png().toBuffer();
    const defect = Buffer.alloc(232 * 640);
    defect.fill(255, 300 * 232, 310 * 232);
    const gtDefect = await sharp(defect, { raw: { width: 232, height: 640, channels: 1 } }).png().toBuffer();
    const ksImg = await sharp(Buffer.alloc(232 * 640, 90), { raw: { width: 232, height: 640, channels: 1 } }).png().toBuffer();
    for (let i = 0; i < 1000; i++) {
      const split = i < 700 ? 'train' : 'test';
      mkdirSync(path.join(ks, split), { recursive: true });
      writeFileSync(path.join(ks, split, `${10000 + i}.png`), ksImg);
      writeFileSync(path.join(ks, split, `${10000 + i}_GT.png`), i % 10 ? gtEmpty : gtDefect);
    }
    const k = await timeScan(ks, true, 3);
    emit({ bench: 'datasets.scan.ksdd2_labels', value: round(k.wall), unit: 's', images: 1000, masks_decoded: 1000, cpu_s: round(k.cpu), ...machine() });

    const mt = path.resolve('../shared/data/magnetic-tile');
    if (existsSync(mt)) {
      const r = await timeScan(mt, true, 3);
      emit({ bench: 'datasets.scan.magnetic_tile', value: round(r.wall), unit: 's', files: r.files, cpu_s: round(r.cpu), ...machine() });
    } else {
      emit({ bench: 'datasets.scan.magnetic_tile', skipped: `${mt} is absent` });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
