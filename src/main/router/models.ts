/**
 * Handlers of the models contract (src/shared/contract/models.ts): the workspace's model folders and their
 * export. Exports from the app go to a fresh folder <workspace>/exports/<model>-<UTC time>/ so that a second
 * export of the same model never collides with the first; the export itself refuses to overwrite anything.
 */
import path from 'node:path';
import type { modelCalls } from '../../shared/contract/models.js';
import { StudioError } from '../../shared/errors.js';
import { listModels } from '../export/catalog.js';
import { exportModel } from '../export/exportModel.js';
import { workspacePaths } from '../workspace/paths.js';
import type { DomainDeps, DomainModule } from './domain.js';

function stamp(d: Date): string {
  return d.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15) + `-${String(d.getUTCMilliseconds()).padStart(3, '0')}`;
}

export async function createModelsModule(deps: DomainDeps): Promise<DomainModule<typeof modelCalls>> {
  const paths = workspacePaths(deps.workspace);
  return {
    handlers: {
      'models.list': async () => ({ dir: paths.models, models: await listModels(paths.models) }),
      'models.export': async ({ modelId, format }) => {
        const modelDir = path.join(paths.models, modelId);
        if (path.dirname(modelDir) !== paths.models) throw new StudioError('BAD_REQUEST', `"${modelId}" is not a model id (a folder name under ${paths.models}).`);
        const out = path.join(paths.exports, `${modelId}-${stamp(new Date())}`);
        const r = await exportModel({ modelDir, format, out, name: modelId });
        return { format: r.format, modelId: r.modelId, path: r.path, files: r.files, bytes: r.bytes, threshold: r.threshold };
      },
    },
  };
}
