/**
 * Runs any method's model folder: preprocess (the same code as training) -> model.onnx -> map and score. The
 * result is identical for every method because model.onnx has one contract (see modelFolder.ts).
 */
import { StudioError } from '../../shared/errors.js';
import { preprocessImage, toImageGeometry, type DecodedPixels, type Geometry, type Preprocessed, type PreprocessSpec } from '../data/preprocess.js';
import { INPUT_NAME, MAP_OUTPUT, readModelFolder, SCORE_OUTPUT, type ModelJson } from './modelFolder.js';
import { openSession, ort } from './session.js';

export interface Inference {
  score: number;
  /** Map on the model input grid [inHeight, inWidth]. */
  map: Float32Array;
  geometry: Geometry;
}

export class AnomalyModel {
  private constructor(
    readonly dir: string,
    readonly json: ModelJson,
    readonly provider: string,
    private readonly session: ort.InferenceSession,
  ) {}

  static async load(dir: string): Promise<AnomalyModel> {
    const folder = await readModelFolder(dir);
    const { session, provider } = await openSession(folder.onnx, `${dir}/model.onnx`);
    return new AnomalyModel(dir, folder.json, provider, session);
  }

  get preprocess(): PreprocessSpec {
    const { fit, size, multiple, maxLong } = this.json.input;
    return { fit, size, multiple, maxLong };
  }

  /** One preprocessed image. Rejects tensors of the wrong channel count before ORT sees them. */
  async run(pre: Preprocessed): Promise<Inference> {
    const { inWidth, inHeight } = pre.geometry;
    const plane = inWidth * inHeight;
    if (pre.data.length !== 3 * plane) {
      const ch = pre.data.length / plane;
      throw new StudioError('BAD_REQUEST', `The model expects 3-channel images (uint8 [1,3,${inHeight},${inWidth}]) but got ${Number.isInteger(ch) ? ch : pre.data.length + ' values, i.e. not a whole number of'} channels.`);
    }
    const out = await this.session.run({ [INPUT_NAME]: new ort.Tensor('uint8', pre.data, [1, 3, inHeight, inWidth]) });
    const map = out[MAP_OUTPUT].data as Float32Array;
    const score = (out[SCORE_OUTPUT].data as Float32Array)[0];
    return { score, map, geometry: pre.geometry };
  }

  /** One image file, or its pixels when the caller decoded them already (see DecodedPixels); `label` names it in errors. */
  async inferFile(file: string | DecodedPixels, label?: string): Promise<Inference & { imageMap: Float32Array }> {
    const r = await this.run(await preprocessImage(file, this.preprocess, label));
    return { ...r, imageMap: toImageGeometry(r.map, r.geometry, 0) };
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}
