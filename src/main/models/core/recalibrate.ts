/**
 * BatchNorm running statistics re-estimated on the images the backbone will actually see ("precise BN").
 *
 * Why: during pretraining the running statistics average mini-batches of 128 px augmented crops, half of them
 * corrupted (noise boxes, out-painting), at the raw exposure of each shot. Methods run the backbone on whole images
 * at their own size and PatchCore standardises each image's brightness and contrast first; the BN shifts learned on
 * the pretraining mix then no longer centre the activations, and whole channels end up always on or always off.
 * Recalibration runs each (uncorrupted, un-augmented) image through the encoder with batch-statistics BN
 * (network.ts buildCoreStatsGraph) and sets each BN's running mean / variance to the average over images of its
 * per-image mean and second moment. Learned weights are untouched.
 */
import { StudioError } from '../../../shared/errors.js';
import type { TypedArray } from '../../engine/onnx/proto.js';
import { serializeModel, tensorToArray, type ModelProto } from '../../engine/onnx/proto.js';
import { openSession, ort } from '../session.js';
import { standardise, type SourceImage } from './augment.js';
import { buildCoreStatsGraph } from './network.js';

type Weights = Map<string, { dims: number[]; data: TypedArray }>;

export interface RecalibrateOptions {
  /** Standardise each image to mean 0.5 / std 0.2 first, as PatchCore does in its graph (default true). */
  photometric?: boolean;
  /** At most this many images (evenly spaced), default 64. */
  maxImages?: number;
  /** Side multiple the encoder needs (its coarsest stride). */
  multiple?: number;
}

/** Float initializers of a model (a backbone or checkpoint file) by name. */
export function weightsOf(model: ModelProto): Weights {
  const out: Weights = new Map();
  for (const t of model.graph?.initializer ?? []) {
    const a = tensorToArray(t);
    if (a.dtype === 'float32') out.set(t.name ?? '', { dims: a.dims, data: a.data });
  }
  return out;
}

/** One source image as planar [1, 3, H, W] in [0, 1], cropped to a multiple of `multiple`, optionally standardised. */
export function imageTensor(src: SourceImage, multiple: number, photometric: boolean): ort.Tensor {
  const H = Math.floor(src.height / multiple) * multiple;
  const W = Math.floor(src.width / multiple) * multiple;
  const y0 = (src.height - H) >> 1;
  const x0 = (src.width - W) >> 1;
  const plane = H * W;
  const out = new Float32Array(3 * plane);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const p = ((y + y0) * src.width + x + x0) * 3;
      for (let c = 0; c < 3; c++) out[c * plane + y * W + x] = src.data[p + c] / 255;
    }
  }
  if (photometric) standardise(out);
  return new ort.Tensor('float32', out, [1, 3, H, W]);
}

/** `weights` with every BN's running_mean / running_var replaced by statistics measured on `images`. */
export async function recalibrateBatchNorm(weights: Weights, images: SourceImage[], o: RecalibrateOptions = {}): Promise<Weights> {
  const multiple = o.multiple ?? 16;
  const usable = images.filter((s) => s.width >= multiple && s.height >= multiple);
  if (usable.length === 0) throw new StudioError('INVALID_STATE', `BatchNorm recalibration needs images of at least ${multiple} x ${multiple} px; none was given.`);
  const max = Math.min(o.maxImages ?? 64, usable.length);
  const picked = Array.from({ length: max }, (_, i) => usable[Math.floor((i * usable.length) / max)]);
  const { model, stats } = buildCoreStatsGraph(weights);
  const { session } = await openSession(serializeModel(model), 'the CoRe BatchNorm statistics graph');
  const sums = stats.map((s) => ({ mean: new Float64Array(s.channels), second: new Float64Array(s.channels) }));
  try {
    for (const src of picked) {
      const r = await session.run({ image: imageTensor(src, multiple, o.photometric ?? true) });
      stats.forEach((s, k) => {
        const m = r[s.mean].data as Float32Array;
        const v = r[s.variance].data as Float32Array;
        for (let c = 0; c < s.channels; c++) {
          sums[k].mean[c] += m[c];
          sums[k].second[c] += v[c] + m[c] * m[c];
        }
      });
    }
  } finally {
    await session.release();
  }
  const out: Weights = new Map(weights);
  stats.forEach((s, k) => {
    const mean = new Float32Array(s.channels);
    const variance = new Float32Array(s.channels);
    for (let c = 0; c < s.channels; c++) {
      mean[c] = sums[k].mean[c] / max;
      variance[c] = Math.max(1e-6, sums[k].second[c] / max - mean[c] * mean[c]);
    }
    out.set(`${s.name}.running_mean`, { dims: [s.channels], data: mean });
    out.set(`${s.name}.running_var`, { dims: [s.channels], data: variance });
  });
  return out;
}
