/**
 * PatchCore exploration loop (README.md table): trains on magnetic tile (seed-0 split, as bench/patchcore.ts)
 * with parameter overrides, evaluates an evenly spaced test subset, times batch-1 inference at 256 x 256.
 *   EXP='[{"sigma":2},{"levels":["block_2","block_5"]}]' MAX_TEST=200 npx tsx scripts/patchcore-exp.ts
 * One JSON line per config. Wall times are contended on the shared machine.
 * A config's "backbone" (e.g. "mobilenetv2+/tmp/core-mt.onnx", a fused pair) and "imageSize" (the neighbourhood and σ
 * scale with it, as with `train --image-size`) go to the train request, not params.
 * DATASET=elpv runs the same loop on ELPV cells (bench/patchcore.ts's ELPV record; no masks, so image AUROC only).
 * TRAIN=200 trains on the first 200 training images only (the KD / EAR exploration protocol).
 */
import os from 'node:os';
import path from 'node:path';
import { mkdtempSync, rmSync } from 'node:fs';
import { evaluateModel } from '../src/main/models/evaluate.js';
import { AnomalyModel } from '../src/main/models/inference.js';
import { writeModelFolder } from '../src/main/models/modelFolder.js';
import { patchcore } from '../src/main/models/patchcore/index.js';
import { elpv, latency256, magneticTile } from '../bench/lib/anomaly.js';

const ds = process.env.DATASET === 'elpv' ? await elpv() : await magneticTile();
if ('skipped' in ds) throw new Error(ds.skipped);
const { root, summary } = ds;
const trainCount = Number(process.env.TRAIN ?? ds.split.train.length);
const split = { ...ds.split, train: ds.split.train.slice(0, trainCount) };
const configs = JSON.parse(process.env.EXP ?? '[{}]') as Record<string, unknown>[];
const max = Number(process.env.MAX_TEST ?? 200);
const r4 = (x: number | undefined) => (x === undefined ? null : Math.round(x * 10000) / 10000);
const test = max < split.test.length ? Array.from({ length: max }, (_, i) => split.test[Math.floor((i * split.test.length) / max)]) : split.test;
const tmp = mkdtempSync(path.join(os.tmpdir(), 'pc-exp-'));
try {
  for (const { backbone, imageSize, ...params } of configs) {
    const trained = await patchcore.train({ root, summary, split, seed: 0, params, backbone: backbone as string | undefined, imageSize: imageSize as number | undefined });
    const dir = path.join(tmp, 'm');
    await writeModelFolder(dir, trained.onnx, trained.json);
    const model = await AnomalyModel.load(dir);
    const r = await evaluateModel(model, root, test);
    const ms = await latency256(model, 15);
    await model.release();
    console.log(JSON.stringify({
      dataset: path.basename(root),
      ...(backbone ? { backbone } : {}),
      ...(imageSize ? { imageSize } : {}),
      params,
      image_auroc: r4(r.metrics.image.auroc),
      pixel_auroc: r4(r.metrics.pixel?.auroc),
      pro: r4(r.metrics.pro),
      per_class: Object.fromEntries(Object.entries(r.perLabel).map(([k, v]) => [k, Math.round(v.auroc * 1000) / 1000])),
      train: split.train.length,
      test: r.metrics.images,
      bank: trained.json.params.bankSize,
      train_s: Math.round(trained.json.training.seconds),
      infer_ms_256: Math.round(ms[7] * 10) / 10,
      load1: Math.round(os.loadavg()[0] * 10) / 10,
    }));
  }
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
