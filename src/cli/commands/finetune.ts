/** `finetune --base MODELDIR --data DIR --out MODELDIR`: few-shot segmentation head from a few labelled defects. */
import path from 'node:path';
import { StudioError } from '../../shared/errors.js';
import { flag, hasFlag, intFlag, parseArgs, requireFlag } from '../args.js';
import { EXIT_OK, type CliCommand } from '../command.js';
import { progressBar } from '../progress.js';
import { scanDataset } from '../../main/data/scan.js';
import { DEFAULT_SHOTS, fewshot, heldOut, labelledFor } from '../../main/models/fewshot/index.js';
import { evaluateHeldOut, evenSubset } from '../../main/models/fewshot/heldOut.js';
import { DEFAULT_FEWSHOT_PARAMS } from '../../main/models/fewshot/train.js';
import { readModelFolder, updateModelJson, writeModelFolder } from '../../main/models/modelFolder.js';
import { splitForTraining } from '../../main/models/split.js';

const usage = `Usage: node bin/defect-studio.js finetune --base MODELDIR --data DIR --out MODELDIR
         [--shots N] [--seed N] [--epochs N] [--masks DIR] [--max-eval N] [--work-dir DIR [--resume]]

Trains a small segmentation head on frozen backbone features + the anomaly map of the base model folder
(e.g. from \`train --method patchcore\`), from N labelled defect images per defect class, picked with the seed
from the base model's test split. Masks: the dataset's mask files, or --masks DIR with one PNG per image
named like the image (<name>.png or <name>_mask.png), the image's size, nonzero = defect.
Then reports pixel AP / F1 / AUROC of the new model and of the base model on the held-out test images (test
split minus the labelled ones; at most --max-eval of them, evenly spaced, default 300) and stores them in
MODELDIR/model.json under metrics.heldOut.

Options:
  --shots     labelled images per defect class (default ${DEFAULT_SHOTS})
  --seed      which images are picked, augmentation and head initialisation (default 0)
  --epochs    passes over the augmented views (default ${DEFAULT_FEWSHOT_PARAMS.epochs})
  --work-dir  checkpoint folder (as train and pretrain); with --resume, continues a cancelled run

Progress goes to stderr; a JSON summary to stdout. Exit 2 on bad input (no masks, masks of the wrong size,
fewer labelled images than --shots).`;

export const command: CliCommand = {
  name: 'finetune',
  summary: 'Few-shot fine-tuning: a segmentation head from a few labelled defects on top of a base model',
  usage,
  async run(argv, io) {
    const args = parseArgs(argv, { values: ['base', 'data', 'out', 'shots', 'seed', 'epochs', 'masks', 'max-eval', 'work-dir'], booleans: ['resume'] });
    if (args.positional.length) throw new StudioError('BAD_REQUEST', `Unexpected argument "${args.positional[0]}".\n\n${usage}`);
    const baseDir = path.resolve(requireFlag(args, 'base'));
    const root = path.resolve(requireFlag(args, 'data'));
    const out = path.resolve(requireFlag(args, 'out'));
    const shots = intFlag(args, 'shots', DEFAULT_SHOTS);
    const seed = intFlag(args, 'seed', 0);
    const epochs = intFlag(args, 'epochs', DEFAULT_FEWSHOT_PARAMS.epochs);
    const maxEval = intFlag(args, 'max-eval', 300);
    if (epochs < 1 || epochs > 10_000) throw new StudioError('BAD_REQUEST', `--epochs must be between 1 and 10000, got ${epochs}.`);
    const masks = flag(args, 'masks') === undefined ? undefined : path.resolve(flag(args, 'masks')!);
    const work = flag(args, 'work-dir') === undefined ? undefined : path.resolve(flag(args, 'work-dir')!);
    const base = await readModelFolder(baseDir);
    const { summary, images } = await scanDataset(root);
    for (const w of summary.warnings) io.err(`warning: ${w}`);
    // The base model's split: its test images were never in its memory bank, so they are fair to label and to evaluate on.
    const split = splitForTraining(images, base.json.training.seed, root);
    const labelled = labelledFor({ root, split, seed }, { shots, masks });
    io.err(`fewshot: ${labelled.length} labelled images (${shots} per class) on top of ${base.json.method} model ${baseDir}`);
    const bar = progressBar(io);
    const trained = await fewshot.train({
      root,
      summary,
      split,
      seed,
      params: { base: baseDir, labeled: labelled.map((l) => l.record), masks, epochs },
      workDir: work,
      resume: hasFlag(args, 'resume'),
      onProgress: (e) => bar(e.losses ? `train loss ${e.losses.loss?.toFixed(3)}` : e.stage, e.done, e.total),
    });
    await writeModelFolder(out, trained.onnx, trained.json);
    const evalSet = evenSubset(heldOut(split.test, labelled), maxEval);
    const fine = await evaluateHeldOut(out, root, evalSet, (d, t) => bar('eval fewshot', d, t));
    const baseline = await evaluateHeldOut(baseDir, root, evalSet, (d, t) => bar('eval base', d, t));
    const metrics = { heldOut: { ...fine, base: baseline, evaluatedAt: new Date().toISOString() } };
    await updateModelJson(out, { ...trained.json, metrics: { ...(trained.json.metrics ?? {}), ...metrics } });
    io.out(JSON.stringify({
      model: out,
      method: 'fewshot',
      base: baseDir,
      shots: labelled.length,
      steps: trained.json.params.steps,
      firstLoss: trained.json.params.firstLoss,
      lastLoss: trained.json.params.lastLoss,
      threshold: trained.json.threshold,
      heldOutImages: fine.images,
      pixel_ap: fine.pixel_ap,
      pixel_f1: fine.pixel_f1,
      pixel_auroc: fine.pixel_auroc,
      base_pixel_ap: baseline.pixel_ap,
      base_pixel_f1: baseline.pixel_f1,
      base_pixel_auroc: baseline.pixel_auroc,
      seconds: Math.round(trained.json.training.seconds * 10) / 10,
    }));
    return EXIT_OK;
  },
};
