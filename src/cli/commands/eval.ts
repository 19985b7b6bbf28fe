/** `eval --model MODELDIR --data DIR --json`: metrics of a model on the dataset's test split. */
import path from 'node:path';
import { hasFlag, parseArgs, requireFlag } from '../args.js';
import { EXIT_OK, type CliCommand } from '../command.js';
import { progressBar } from '../progress.js';
import { StudioError } from '../../shared/errors.js';
import { scanDataset } from '../../main/data/scan.js';
import { evaluateModel } from '../../main/models/evaluate.js';
import { AnomalyModel } from '../../main/models/inference.js';
import { updateModelJson } from '../../main/models/modelFolder.js';
import { splitForTraining } from '../../main/models/split.js';

const usage = `Usage: node bin/defect-studio.js eval --model MODELDIR --data DIR [--json] [--no-save]

Scores the test split of DIR (the split \`train\` used, rebuilt from the seed in model.json) and prints
image AUROC / AP / best F1 (+ threshold), and, where the layout has masks, pixel AUROC / AP / F1 and PRO
(area under the per-region-overlap curve up to FPR 0.3, normalised), plus image AUROC per defect type.
The metrics are also stored in MODELDIR/model.json under "metrics" (unless --no-save).
Exit 2 on bad input (missing model, no defective or no good test images).`;

const r4 = (x: number | undefined) => (x === undefined ? null : Math.round(x * 10000) / 10000);

export const command: CliCommand = {
  name: 'eval',
  summary: 'Evaluate a model on the test split: image/pixel AUROC, AP, F1, PRO',
  usage,
  async run(argv, io) {
    const args = parseArgs(argv, { values: ['model', 'data'], booleans: ['json', 'no-save'] });
    if (args.positional.length) throw new StudioError('BAD_REQUEST', `Unexpected argument "${args.positional[0]}".\n\n${usage}`);
    const dir = path.resolve(requireFlag(args, 'model'));
    const root = path.resolve(requireFlag(args, 'data'));
    const model = await AnomalyModel.load(dir);
    const { images } = await scanDataset(root);
    const split = splitForTraining(images, model.json.training.seed, root);
    const bar = progressBar(io);
    const r = await evaluateModel(model, root, split.test, (d, t) => bar('eval', d, t));
    await model.release();
    const m = r.metrics;
    const result = {
      model: dir,
      data: root,
      method: model.json.method,
      backbone: model.json.backbone.name,
      testImages: m.images,
      imagesWithMask: m.imagesWithMask,
      image_auroc: r4(m.image.auroc),
      image_ap: r4(m.image.ap),
      image_f1: r4(m.image.f1),
      image_f1_threshold: m.image.threshold,
      pixel_auroc: r4(m.pixel?.auroc),
      pixel_ap: r4(m.pixel?.ap),
      pixel_f1: r4(m.pixel?.f1),
      pro: r4(m.pro),
      per_label_image_auroc: Object.fromEntries(Object.entries(r.perLabel).map(([k, v]) => [k, r4(v.auroc)])),
      stored_threshold: model.json.threshold,
      ms_per_image: Math.round(r.msPerImage * 10) / 10,
      provider: model.provider,
    };
    if (!hasFlag(args, 'no-save')) {
      await updateModelJson(dir, { ...model.json, metrics: { ...(model.json.metrics ?? {}), [root]: { ...result, evaluatedAt: new Date().toISOString() } } });
    }
    if (hasFlag(args, 'json')) io.out(JSON.stringify(result));
    else for (const [k, v] of Object.entries(result)) io.out(`${k.padEnd(24)} ${typeof v === 'object' ? JSON.stringify(v) : v}`);
    return EXIT_OK;
  },
};
