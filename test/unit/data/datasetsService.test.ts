import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DatasetsService } from '../../../src/main/data/datasetsService.js';
import type { ScanProgress } from '../../../src/main/data/scan.js';
import { ThumbnailCache } from '../../../src/main/data/thumbnails.js';
import { workspacePaths } from '../../../src/main/workspace/paths.js';
import { maskPng, png, tmpDir, writeTree } from './fixtures.js';

const tmp = tmpDir('ds-service-');
afterAll(tmp.cleanup);
const ws = workspacePaths(path.join(tmp.dir, 'workspace'));
const make = (onProgress?: (p: ScanProgress) => void) =>
  new DatasetsService({ datasetsFile: ws.datasetsFile, thumbnails: new ThumbnailCache({ cacheDir: ws.thumbnails, size: 64 }), onProgress });

const root = path.join(tmp.dir, 'mvtec');
const other = path.join(tmp.dir, 'plain');

describe('DatasetsService', () => {
  it('opens, lists, filters and pages images, and persists the list across instances', async () => {
    const files: Record<string, Buffer> = {};
    for (let i = 0; i < 5; i++) files[`train/good/${i}.png`] = await png(16, 16, i);
    for (let i = 0; i < 3; i++) files[`test/good/${i}.png`] = await png(16, 16, i);
    for (let i = 0; i < 4; i++) {
      files[`test/scratch/${i}.png`] = await png(16, 16, i);
      if (i < 2) files[`ground_truth/scratch/${i}_mask.png`] = await maskPng(16, 16, true);
    }
    writeTree(root, files);
    writeTree(other, { 'a.png': await png(8, 8) });

    const progress: ScanProgress[] = [];
    const svc = make((p) => progress.push(p));
    const s = await svc.open(root);
    expect(s).toMatchObject({ layout: 'mvtec', total: 12, withMask: 2 });
    await svc.open(other);
    await svc.open(root); // reopening replaces, never duplicates
    expect((await svc.list()).map((d) => d.root)).toEqual([path.resolve(root), path.resolve(other)]);

    expect((await svc.images(s.id, { split: 'test' })).total).toBe(7);
    expect((await svc.images(s.id, { split: 'test', label: 'good' })).total).toBe(3);
    expect((await svc.images(s.id, { hasMask: true })).items.map((i) => i.path)).toEqual(['test/scratch/0.png', 'test/scratch/1.png']);
    expect((await svc.images(s.id, { hasMask: false })).total).toBe(10);
    const page = await svc.images(s.id, { split: 'train' }, 2, 2);
    expect(page).toMatchObject({ total: 5 });
    expect(page.items.map((i) => i.path)).toEqual(['train/good/2.png', 'train/good/3.png']);
    expect(progress.filter((p) => p.root === path.resolve(root) && p.scanned === p.total).length).toBeGreaterThan(0);

    // A new instance (app restart) reads datasets.json and rescans on first use.
    const again = make();
    expect((await again.list()).map((d) => d.id)).toEqual([s.id, (await svc.list())[1].id]);
    expect((await again.images(s.id, { label: 'scratch' })).total).toBe(4);
    const saved = JSON.parse(readFileSync(ws.datasetsFile, 'utf8'));
    expect(saved.version).toBe(1);
    expect(readdirSync(ws.root).filter((n) => n.endsWith('.tmp'))).toEqual([]);
  });

  it('serves thumbnails and files only for images inside the dataset', async () => {
    const svc = make();
    const s = await svc.open(root);
    const thumb = await svc.thumbnail(s.id, 'test/scratch/1.png');
    expect(existsSync(thumb)).toBe(true);
    expect(await svc.resolveFile(s.id, 'ground_truth/scratch/0_mask.png')).toBe(path.join(root, 'ground_truth/scratch/0_mask.png'));
    await expect(svc.resolveFile(s.id, '../plain/a.png')).rejects.toMatchObject({ code: 'FORBIDDEN_PATH' });
    await expect(svc.thumbnail(s.id, '../plain/a.png')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(svc.images('nope', {})).rejects.toMatchObject({ code: 'NOT_FOUND', message: expect.stringContaining('nope') });
  });

  it('rescan sees new files; close forgets the dataset', async () => {
    const svc = make();
    const s = await svc.open(other);
    writeTree(other, { 'b.png': await png(8, 8) });
    expect((await svc.rescan(s.id)).total).toBe(2);
    await svc.close(s.id);
    expect((await svc.list()).some((d) => d.id === s.id)).toBe(false);
    expect((await make().list()).some((d) => d.id === s.id)).toBe(false);
    await expect(svc.images(s.id)).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('opening a missing folder is NOT_FOUND and changes nothing', async () => {
    const svc = make();
    const before = await svc.list();
    await expect(svc.open(path.join(tmp.dir, 'missing'))).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(await svc.list()).toEqual(before);
  });

  it('a corrupt datasets.json is moved aside and the list starts empty', async () => {
    writeFileSync(ws.datasetsFile, '{"version": 1, "datasets": [ truncated');
    const svc = make();
    expect(await svc.list()).toEqual([]);
    expect(svc.recovered).toMatch(/datasets\.json is not valid JSON.*moved to .*corrupt-/);
    expect(readdirSync(ws.root).some((n) => n.startsWith('datasets.json.corrupt-'))).toBe(true);
    await svc.open(other);
    expect((await make().list()).length).toBe(1);
  });
});
