/**
 * Thumbnail cache on disk: <cacheDir>/<key>.jpg with key = hash(absolute path, file bytes, mtime, thumbnail
 * size), so an edited image gets a new thumbnail and stale ones are simply never asked for again. JPEG
 * because it encodes several times faster than WebP at this size and every browser shows it.
 * Generation is limited to `concurrency` sharp pipelines (default: the core count), requests for the same
 * key while it is being generated share one pipeline, and huge images are shrunk while decoding
 * (sequentialRead + shrink-on-load) so a 20 000 x 20 000 image costs little memory. Cache files are written
 * atomically but without fsync (see atomicWrite's `durable`).
 */
import { createHash } from 'node:crypto';
import { stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp, { type Sharp } from 'sharp';
import { StudioError } from '../../shared/errors.js';
import { atomicWrite } from '../workspace/atomicWrite.js';
import { readImageInfo } from './imageHeader.js';
import { openSharp } from './imageIO.js';
import type { DecodedPixels } from './preprocess.js';
import { Semaphore } from './pool.js';

/** Above this even a streaming thumbnail decode takes too long to be worth it; the grid shows a placeholder. */
export const MAX_THUMBNAIL_INPUT_PIXELS = 1_000_000_000;

export interface ThumbnailSource {
  absPath: string;
  bytes: number;
  mtimeMs: number;
}

export interface ThumbnailCacheOptions {
  cacheDir: string;
  /** Longest side in pixels. */
  size?: number;
  concurrency?: number;
  quality?: number;
}

export class ThumbnailCache {
  readonly size: number;
  private readonly gate: Semaphore;
  private readonly inFlight = new Map<string, Promise<string>>();

  constructor(private readonly opts: ThumbnailCacheOptions) {
    this.size = opts.size ?? 256;
    this.gate = new Semaphore(opts.concurrency ?? os.availableParallelism());
  }

  pathFor(src: ThumbnailSource): string {
    const key = createHash('sha1').update(`${path.resolve(src.absPath)}\0${src.bytes}\0${src.mtimeMs}\0${this.size}`).digest('hex');
    return path.join(this.opts.cacheDir, key.slice(0, 2), `${key}.jpg`);
  }

  /** Returns the cached thumbnail's path, generating it first when missing. */
  get(src: ThumbnailSource): Promise<string> {
    return this.cached(src, (file) => this.generate(src, file));
  }

  /**
   * Like get(), from pixels the caller has already decoded (8 bits per channel, no EXIF rotation pending), so a
   * caller that needs the pixels anyway (a review run's model input) does not decode the file a second time.
   */
  put(src: ThumbnailSource, pixels: DecodedPixels): Promise<string> {
    const { data, width, height, channels } = pixels;
    return this.cached(src, (file) => this.encode(sharp(data, { raw: { width, height, channels } }), src, file));
  }

  private cached(src: ThumbnailSource, make: (file: string) => Promise<string>): Promise<string> {
    const file = this.pathFor(src);
    const pending = this.inFlight.get(file);
    if (pending) return pending;
    // Registered before the first await, so concurrent callers and drain() see the job at once.
    const job = (async () => ((await exists(file)) ? file : this.gate.run(() => make(file))))().finally(() => this.inFlight.delete(file));
    this.inFlight.set(file, job);
    return job;
  }

  /**
   * Resolves when no thumbnail is being generated or written, including requests whose HTTP client already
   * went away; shells call it on shutdown before the workspace may be removed.
   */
  async drain(): Promise<void> {
    while (this.inFlight.size) await Promise.allSettled([...this.inFlight.values()]);
  }

  private async generate(src: ThumbnailSource, file: string): Promise<string> {
    const info = await readImageInfo(src.absPath);
    if (!info.header.ok) {
      throw new StudioError('UNREADABLE', `No thumbnail for ${src.absPath}: ${info.header.reason}.`, { file: src.absPath });
    }
    const { width, height, format } = info.header;
    if (width * height > MAX_THUMBNAIL_INPUT_PIXELS) {
      throw new StudioError('TOO_LARGE', `No thumbnail for ${src.absPath}: ${width}x${height} is over ${MAX_THUMBNAIL_INPUT_PIXELS / 1e6} MP.`, {
        file: src.absPath,
      });
    }
    let img: Sharp;
    try {
      img = await openSharp(src.absPath, format, {
        limitInputPixels: MAX_THUMBNAIL_INPUT_PIXELS,
        sequentialRead: true,
        failOn: 'error', // a thumbnail of a slightly damaged file is still useful
      });
    } catch (e) {
      throw new StudioError('UNREADABLE', `No thumbnail for ${src.absPath}: ${(e as Error).message}.`, { file: src.absPath });
    }
    return this.encode(img.rotate(), src, file); // rotate(): honour EXIF orientation, as the viewer does
  }

  private async encode(img: Sharp, src: ThumbnailSource, file: string): Promise<string> {
    let data: Buffer;
    try {
      data = await img
        .resize(this.size, this.size, { fit: 'inside', withoutEnlargement: true })
        .jpeg({ quality: this.opts.quality ?? 80 })
        .toBuffer();
    } catch (e) {
      throw new StudioError('UNREADABLE', `No thumbnail for ${src.absPath}: ${(e as Error).message}.`, { file: src.absPath });
    }
    await atomicWrite(file, data, { durable: false });
    return file;
  }
}

/** A cache hit needs a non-empty file: after a crash a non-durable write can leave an empty one behind. */
async function exists(file: string): Promise<boolean> {
  try {
    return (await stat(file)).size > 0;
  } catch {
    return false;
  }
}
