/**
 * Asset refs → files. Both asset endpoints (Electron's studio-asset:// protocol and browser mode's /asset) use
 * this one resolver, so the containment rule is written once: dataset images and masks must lie inside their
 * dataset's root, and `file` refs inside an opened dataset root or the workspace (symlinks resolved).
 * Only image types are served: the endpoint exists to show pictures, not to read arbitrary files.
 */
import path from 'node:path';
import type { ResolvedAssetRef } from '../../shared/api.js';
import { StudioError } from '../../shared/errors.js';
import { resolveInside } from '../workspace/pathGuard.js';

export interface ResolvedAsset {
  filePath: string;
  contentType: string;
}

/** What the resolver needs from the datasets service (a subset of DatasetsService). */
export interface AssetSources {
  /** Absolute root of an opened dataset; throws NOT_FOUND for an unknown id. */
  datasetRoot(datasetId: string): Promise<string>;
  /** Path of the cached thumbnail, generating it first when needed. */
  thumbnail(datasetId: string, relPath: string, size: number): Promise<string>;
  /** Roots of all opened datasets plus the workspace. */
  allowedRoots(): Promise<string[]>;
}

const IMAGE_TYPES: Record<string, string> = {
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.bmp': 'image/bmp',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.tif': 'image/tiff',
  '.tiff': 'image/tiff',
};

export function imageContentType(file: string): string {
  const type = IMAGE_TYPES[path.extname(file).toLowerCase()];
  if (!type) {
    throw new StudioError('UNSUPPORTED', `"${path.basename(file)}" is not an image type the asset endpoint serves (${Object.keys(IMAGE_TYPES).join(', ')}).`, {
      file,
    });
  }
  return type;
}

export function createAssetResolver(sources: AssetSources) {
  return {
    async resolve(ref: ResolvedAssetRef): Promise<ResolvedAsset> {
      let filePath: string;
      switch (ref.kind) {
        case 'image':
        case 'mask': {
          const root = await sources.datasetRoot(ref.datasetId);
          filePath = await resolveInside([root], ref.path);
          break;
        }
        case 'thumbnail': {
          const root = await sources.datasetRoot(ref.datasetId);
          await resolveInside([root], ref.path); // refuse before spending time decoding
          filePath = await sources.thumbnail(ref.datasetId, ref.path, ref.size);
          break;
        }
        case 'file': {
          if (!path.isAbsolute(ref.path)) {
            throw new StudioError('BAD_REQUEST', `A file asset needs an absolute path, got "${ref.path}".`);
          }
          filePath = await resolveInside(await sources.allowedRoots(), ref.path);
          break;
        }
      }
      return { filePath, contentType: imageContentType(filePath) };
    },
  };
}

export type AssetResolver = ReturnType<typeof createAssetResolver>;
