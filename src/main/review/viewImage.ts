/**
 * One decode per inspected image where that is exact. A run needs each image twice: resized to the model's input,
 * and as the ≤ VIEW_MAX_SIDE px JPEG view the Review screen shows first. For an 8-bit PNG both are made from the
 * same decoded pixels (preprocessImage takes them and gives the very tensor it makes from the file, because libvips
 * decodes a PNG whole either way). Other formats keep two decodes: the model's decode of a JPEG or WebP shrinks on
 * load (cheap, and what training did), so feeding it a full decode would change the model's input. The view is
 * written by ThumbnailCache.put, with the same key and encoder as the cache's own decode of the file.
 */
import sharp from 'sharp';
import type { DecodedPixels } from '../data/preprocess.js';

/** The image's pixels when they can serve both uses (see above), else null (also for a file sharp cannot read). */
export async function decodeForModelAndView(file: string): Promise<DecodedPixels | null> {
  try {
    const meta = await sharp(file).metadata();
    // An EXIF rotation would apply to the view but not to the model's input (preprocessImage ignores it).
    if (meta.format !== 'png' || meta.depth !== 'uchar' || (meta.orientation ?? 1) !== 1) return null;
    const { data, info } = await sharp(file, { failOn: 'error' }).raw().toBuffer({ resolveWithObject: true });
    return { data, width: info.width, height: info.height, channels: info.channels as DecodedPixels['channels'] };
  } catch {
    return null; // the file path then reports what is wrong with the image, as for any other format
  }
}
