/**
 * Browser-mode server benchmark: what the page pays per API call and per thumbnail over HTTP on 127.0.0.1 (real
 * server, real router, real datasets service, real sharp). Generates its own dataset (1 000 noisy 256 px PNGs).
 *
 * Records: server.api_roundtrip_ms (app.info, median of 200), server.images_page_ms (datasets.images, 1 000
 * records, median of 30), server.thumbnails_cold_per_s / server.thumbnails_warm_per_s (200 thumbnails, 8 in
 * flight, first generation vs cached).
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import sharp from 'sharp';
import { startBrowserModeServer } from '../src/main/server/index.js';

const IMAGES = 1000;
const SIZE = 256;
const CONTENDED = 'shared machine; numbers include other processes\' load';

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return Math.round(s[Math.floor(s.length / 2)] * 1000) / 1000;
}

async function pool<T>(items: T[], concurrency: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) await fn(items[next++]);
    }),
  );
}

export async function run(emit: (record: Record<string, unknown>) => void): Promise<void> {
  const dir = await mkdtemp(path.join(tmpdir(), 'ds-bench-server-'));
  try {
    const data = path.join(dir, 'data', 'good');
    await mkdir(data, { recursive: true });
    const noise = Buffer.alloc(SIZE * SIZE);
    for (let i = 0; i < IMAGES; i++) {
      for (let j = 0; j < noise.length; j++) noise[j] = ((j + i * 7919) * 2654435761) >>> 24;
      await sharp(noise, { raw: { width: SIZE, height: SIZE, channels: 1 } }).png({ compressionLevel: 1 }).toFile(path.join(data, `${String(i).padStart(4, '0')}.png`));
    }
    const srv = await startBrowserModeServer({ workspace: path.join(dir, 'ws'), port: 0, rendererDir: null });
    try {
      const call = async (name: string, body: unknown) => {
        const res = await fetch(`${srv.origin}/api/${name}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-studio-token': srv.token },
          body: JSON.stringify(body),
        });
        const json = (await res.json()) as { ok: boolean; value?: unknown; error?: { message: string } };
        if (!json.ok) throw new Error(`${name}: ${json.error?.message}`);
        return json.value;
      };
      await call('app.info', {}); // the first call probes the execution provider; not part of the round trip
      const rt: number[] = [];
      for (let i = 0; i < 200; i++) {
        const t = performance.now();
        await call('app.info', {});
        rt.push(performance.now() - t);
      }
      emit({ bench: 'server.api_roundtrip_ms', value: median(rt), unit: 'ms', target: '<=5', calls: 200, contended: CONTENDED });

      const summary = (await call('datasets.open', { root: path.join(dir, 'data') })) as { id: string };
      const page: number[] = [];
      for (let i = 0; i < 30; i++) {
        const t = performance.now();
        await call('datasets.images', { datasetId: summary.id, offset: 0, limit: 1000 });
        page.push(performance.now() - t);
      }
      emit({ bench: 'server.images_page_ms', value: median(page), unit: 'ms', target: '<=50', records: 1000, calls: 30, contended: CONTENDED });

      const names = Array.from({ length: 200 }, (_, i) => `good/${String(i).padStart(4, '0')}.png`);
      for (const phase of ['cold', 'warm'] as const) {
        const t = performance.now();
        await pool(names, 8, async (p) => {
          const res = await fetch(`${srv.origin}/asset?kind=thumbnail&dataset=${summary.id}&path=${encodeURIComponent(p)}&size=256&token=${srv.token}`);
          if (res.status !== 200) throw new Error(`thumbnail ${p}: HTTP ${res.status}`);
          await res.arrayBuffer();
        });
        const seconds = (performance.now() - t) / 1000;
        emit({
          bench: `server.thumbnails_${phase}_per_s`,
          value: Math.round((names.length / seconds) * 10) / 10,
          unit: 'images/s',
          target: phase === 'cold' ? '>=100' : '>=500',
          images: names.length,
          inFlight: 8,
          source: `${SIZE}px PNG`,
          contended: CONTENDED,
        });
      }
    } finally {
      await srv.close();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
