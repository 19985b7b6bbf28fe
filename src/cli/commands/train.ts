/** `train --method patchcore --data DIR --out MODELDIR`: train an anomaly model on the good images of a dataset. */
import path from 'node:path';
import { StudioError } from '../../shared/errors.js';
import { flag, intFlag, parseArgs, requireFlag } from '../args.js';
import { EXIT_OK, type CliCommand } from '../command.js';
import { progressBar } from '../progress.js';
import { scanDataset } from '../../main/data/scan.js';
import { methodByName, METHODS } from '../../main/models/index.js';
import { writeModelFolder } from '../../main/models/modelFolder.js';
import { splitForTraining } from '../../main/models/split.js';

const usage = `Usage: node bin/defect-studio.js train --method patchcore --data DIR --out MODELDIR
         [--backbone NAME|PATH] [--image-size N] [--seed N]

Trains on the good training images of DIR and writes MODELDIR/model.onnx + model.json.
  MVTec AD layout: train/good is the training set (10% held out for the threshold), test/ is the test set.
  Layouts without a split (magnetic tile, plain folders): a seeded 50% of the good images train, the rest
  and every defective image are the test set (the seed is stored, so \`eval\` uses the same split).

Options:
  --method      ${METHODS.map((m) => m.name).join(', ')}
  --backbone    mobilenetv2 (ImageNet, default), resnet (random init), or a backbone .onnx file
  --image-size  short side of the model input in pixels (default 256)
  --seed        split, projection and coreset seed (default 0)

Progress goes to stderr; a JSON summary to stdout. Exit 2 on bad input (no good images, unreadable data).`;

export const command: CliCommand = {
  name: 'train',
  summary: 'Train an anomaly-detection model (PatchCore) on the good images of a dataset',
  usage,
  async run(argv, io) {
    const args = parseArgs(argv, { values: ['method', 'data', 'out', 'backbone', 'image-size', 'seed'] });
    if (args.positional.length) throw new StudioError('BAD_REQUEST', `Unexpected argument "${args.positional[0]}".\n\n${usage}`);
    const method = methodByName(requireFlag(args, 'method'));
    const root = path.resolve(requireFlag(args, 'data'));
    const out = path.resolve(requireFlag(args, 'out'));
    const seed = intFlag(args, 'seed', 0);
    const imageSize = flag(args, 'image-size') === undefined ? undefined : intFlag(args, 'image-size', 256);
    if (imageSize !== undefined && (imageSize < 32 || imageSize > 2048)) {
      throw new StudioError('BAD_REQUEST', `--image-size must be between 32 and 2048 pixels, got ${imageSize}.`);
    }
    const { summary, images } = await scanDataset(root);
    for (const w of summary.warnings) io.err(`warning: ${w}`);
    if (summary.broken.length) io.err(`warning: ${summary.broken.length} broken file(s) skipped, e.g. ${summary.broken[0].path}: ${summary.broken[0].reason}`);
    const split = splitForTraining(images, seed, root);
    io.err(`${method.name}: ${split.train.length} training, ${split.val.length} validation images (${split.description})`);
    const bar = progressBar(io);
    const trained = await method.train({
      root,
      summary,
      split,
      backbone: flag(args, 'backbone'),
      imageSize,
      seed,
      onProgress: (e) => bar(e.stage, e.done, e.total),
    });
    await writeModelFolder(out, trained.onnx, trained.json);
    const j = trained.json;
    io.out(JSON.stringify({
      model: out,
      method: j.method,
      backbone: j.backbone.name,
      trainImages: j.training.trainImages,
      valImages: j.training.valImages,
      threshold: j.threshold,
      thresholdSource: j.thresholdSource,
      seconds: Math.round(j.training.seconds * 10) / 10,
    }));
    return EXIT_OK;
  },
};
