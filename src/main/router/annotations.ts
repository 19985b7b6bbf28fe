/** Handlers of the annotations contract (src/shared/contract/annotations.ts). */
import path from 'node:path';
import { decodeMaskBytes, encodeMaskBytes, type annotationCalls } from '../../shared/contract/annotations.js';
import { StudioError } from '../../shared/errors.js';
import { exportMasks } from '../annotations/exportMasks.js';
import { MaskStore } from '../annotations/maskStore.js';
import { resolveInside } from '../workspace/pathGuard.js';
import { validateClasses } from '../../renderer/editor/mask/classes.js';
import { workspacePaths } from '../workspace/paths.js';
import type { DomainDeps, DomainModule } from './domain.js';

/** Which saved studio masks paint which class (decodes every studio mask of the dataset once). */
async function classUsage(store: MaskStore, datasetId: string): Promise<{ classId: number; images: string[]; pixels: number }[]> {
  const byClass = new Map<number, { images: string[]; pixels: number }>();
  for (const { imagePath } of await store.list(datasetId)) {
    const saved = await store.read(datasetId, imagePath);
    if (!saved || saved.mask.channels !== 1) continue;
    const counts = new Uint32Array(256);
    const data = saved.mask.data;
    for (let i = 0; i < data.length; i++) counts[data[i]]++;
    for (let id = 1; id < 256; id++) {
      if (!counts[id]) continue;
      const u = byClass.get(id) ?? { images: [], pixels: 0 };
      u.images.push(imagePath);
      u.pixels += counts[id];
      byClass.set(id, u);
    }
  }
  return [...byClass.entries()].sort((a, b) => a[0] - b[0]).map(([classId, u]) => ({ classId, ...u }));
}

export async function createAnnotationsModule(deps: DomainDeps): Promise<DomainModule<typeof annotationCalls>> {
  const store = new MaskStore({ datasetRoot: (id) => deps.datasets.root(id) });
  const dataset = async (id: string) => {
    const d = (await deps.datasets.list()).find((s) => s.id === id);
    if (!d) throw new StudioError('NOT_FOUND', `No open dataset has id ${id}; open its folder first.`, { datasetId: id });
    return d;
  };
  return {
    handlers: {
      'annotations.load': async ({ datasetId, imagePath, maskPath }) => {
        const classes = await store.readClasses(datasetId);
        const saved = await store.read(datasetId, imagePath);
        if (saved) {
          const m = saved.mask;
          return { source: 'studio' as const, file: saved.file, mask: encodeMaskBytes(m.data, m.width, m.height, m.channels), classes };
        }
        if (maskPath) {
          const m = await store.readDatasetMask(datasetId, maskPath);
          return { source: 'dataset' as const, file: maskPath, mask: encodeMaskBytes(m.data, m.width, m.height, m.channels), classes };
        }
        return { source: 'none' as const, file: null, mask: null, classes };
      },
      'annotations.save': async ({ datasetId, imagePath, mask, classes }) => {
        const data = decodeMaskBytes(mask, `mask of ${imagePath}`);
        const { file, bytes } = await store.write(datasetId, imagePath, { data, width: mask.width, height: mask.height, channels: mask.channels }, classes);
        return { file, bytes, savedAt: new Date().toISOString() };
      },
      'annotations.list': ({ datasetId }) => store.list(datasetId),
      'annotations.classes': async ({ datasetId }) => ({ classes: await store.readClasses(datasetId) }),
      'annotations.classUsage': ({ datasetId }) => classUsage(store, datasetId),
      'annotations.setClasses': async ({ datasetId, classes }) => {
        const checked = validateClasses(classes);
        const kept = new Set(checked.map((c) => c.id));
        const orphaned = (await classUsage(store, datasetId)).filter((u) => !kept.has(u.classId));
        if (orphaned.length) {
          const names = new Map(((await store.readClasses(datasetId)) ?? []).map((c) => [c.id, c.name]));
          const list = orphaned.map((u) => `"${names.get(u.classId) ?? `class ${u.classId}`}" in ${u.images.slice(0, 5).join(', ')}${u.images.length > 5 ? ` and ${u.images.length - 5} more` : ''}`);
          throw new StudioError('INVALID_STATE', `Cannot delete a class that is still painted: ${list.join('; ')}. Erase those strokes (or repaint them with another class) first.`, {
            classIds: orphaned.map((u) => u.classId),
          });
        }
        const out = checked.map((c) => ({ id: c.id, name: c.name, color: [c.color[0], c.color[1], c.color[2]] as [number, number, number] }));
        await store.writeClasses(datasetId, out);
        return { classes: out };
      },
      'annotations.exportTarget': async ({ datasetId }) => {
        const d = await dataset(datasetId);
        return { target: path.join(workspacePaths(deps.workspace).exports, `${d.name}-masks`) };
      },
      'annotations.export': async ({ datasetId, target, formats, classes, overwrite }) => {
        const d = await dataset(datasetId);
        if (!path.isAbsolute(target)) throw new StudioError('BAD_REQUEST', `Export folder "${target}" must be an absolute path.`);
        const resolved = await resolveInside(await deps.allowedRoots(), target);
        return exportMasks(store, { datasetId, dataset: { name: d.name, root: d.root }, target: resolved, formats, classes, overwrite });
      },
    },
  };
}
