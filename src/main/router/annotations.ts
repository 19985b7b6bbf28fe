/** Handlers of the annotations contract (src/shared/contract/annotations.ts). */
import path from 'node:path';
import { decodeMaskBytes, encodeMaskBytes, type annotationCalls } from '../../shared/contract/annotations.js';
import { StudioError } from '../../shared/errors.js';
import { exportMasks } from '../annotations/exportMasks.js';
import { MaskStore } from '../annotations/maskStore.js';
import { resolveInside } from '../workspace/pathGuard.js';
import { workspacePaths } from '../workspace/paths.js';
import type { DomainDeps, DomainModule } from './domain.js';

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
