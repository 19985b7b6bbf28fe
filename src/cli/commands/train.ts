/** `train --method METHOD --data DIR --out MODELDIR`: train an anomaly model (any registered method) on a dataset. */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { StudioError } from '../../shared/errors.js';
import { flag, hasFlag, intFlag, parseArgs, requireFlag } from '../args.js';
import { EXIT_OK, type CliCommand } from '../command.js';
import { progressBar } from '../progress.js';
import { abortOnSignals, EXIT_CANCELLED } from '../abort.js';
import { formatProgressLine } from '../../main/jobs/protocol.js';
import { scanDataset } from '../../main/data/scan.js';
import { methodByName, METHODS } from '../../main/models/index.js';
import { writeModelFolder } from '../../main/models/modelFolder.js';
import { splitForTraining } from '../../main/models/split.js';
import { GOOD_QUANTILE } from '../../main/models/threshold.js';
import type { TrainRequest } from '../../main/models/types.js';

/** The execution provider training will use, for the JSON progress lines (the engine's probe, asked once). */
async function providerName(): Promise<string | null> {
  try {
    const { chooseProvider } = await import('../../main/engine/runtime/providers.js');
    return (await chooseProvider()).provider;
  } catch {
    return null;
  }
}

/** Below this many good validation images a quantile threshold is flagged to the user. */
const MIN_VAL_FOR_QUANTILE = 10;

const usage = `Usage: node bin/defect-studio.js train --method METHOD --data DIR --out MODELDIR
         [--backbone NAME|PATH] [--image-size N] [--seed N] [--epochs N]
         [--work-dir DIR [--resume]] [--progress bar|json] [--base MODELDIR] [--shots N] [--aggregate N[,N]]

Trains on the good training images of DIR and writes MODELDIR/model.onnx + model.json.
  MVTec AD layout: train/good is the training set (10% held out for the threshold), test/ is the test set.
  Layouts without a split (magnetic tile, plain folders): a seeded 50% of the good images train, the rest
  and every defective image are the test set (the seed is stored, so \`eval\` uses the same split).

Options:
  --method      ${METHODS.map((m) => m.name).join(', ')}
  --backbone    mobilenetv2 (ImageNet, default), resnet (random init), core-default (CoRe on procedural
                textures), or a backbone .onnx file written by \`pretrain\`
  --image-size  short side of the model input in pixels (default 256)
  --seed        split, projection and coreset seed (default 0)
  --epochs      training epochs of trained methods (params.epochs; default: the method's)
  --base        supervised methods (fewshot): the unsupervised model folder to build on (params.base)
  --shots       supervised methods: labelled images per defect class (params.shots)
  --work-dir    folder for checkpoints (checkpoint.onnx) and training state; Ctrl-C / SIGTERM checkpoint there
  --resume      continue from --work-dir's checkpoint (same data, settings and seed give the same result)
  --aggregate   patchcore: local-average neighbourhood side in feature cells, one for all levels or one per
                level, finest first (default 9,13 at 256 px; 3 suits ELPV-like cell images better)
  --skips       ear: U-Net skip switches at inference, shallow level first (default 0,1,1: shallow off)
  --progress    bar (default): a progress bar on stderr; json: one JSON object per line on stderr
                ({"type":"progress","stage","step","totalSteps","epoch","losses","imagesPerSecond",
                "etaSeconds","executionProvider"}), the protocol of the jobs service (src/main/jobs/protocol.ts)

Progress goes to stderr; a JSON summary to stdout. Exit 2 on bad input (no good images, unreadable data),
130 when cancelled (SIGINT/SIGTERM; with --work-dir the checkpoint is written first, resume with --resume).`;

/** The options `train` accepts (the jobs service's command lines are tested against this list). */
export const TRAIN_OPTIONS = {
  values: ['method', 'data', 'out', 'backbone', 'image-size', 'seed', 'epochs', 'work-dir', 'progress', 'skips', 'base', 'shots', 'aggregate'],
  booleans: ['resume'],
};

export const command: CliCommand = {
  name: 'train',
  summary: 'Train an anomaly-detection model (patchcore, kd, ear; fewshot with --base) on a dataset',
  usage,
  async run(argv, io) {
    const args = parseArgs(argv, TRAIN_OPTIONS);
    if (args.positional.length) throw new StudioError('BAD_REQUEST', `Unexpected argument "${args.positional[0]}".\n\n${usage}`);
    const method = methodByName(requireFlag(args, 'method'));
    const root = path.resolve(requireFlag(args, 'data'));
    const out = path.resolve(requireFlag(args, 'out'));
    const seed = intFlag(args, 'seed', 0);
    const imageSize = flag(args, 'image-size') === undefined ? undefined : intFlag(args, 'image-size', 256);
    if (imageSize !== undefined && (imageSize < 32 || imageSize > 2048)) {
      throw new StudioError('BAD_REQUEST', `--image-size must be between 32 and 2048 pixels, got ${imageSize}.`);
    }
    const epochs = flag(args, 'epochs') === undefined ? undefined : intFlag(args, 'epochs', 1);
    if (epochs !== undefined && epochs < 1) throw new StudioError('BAD_REQUEST', `--epochs must be at least 1, got ${epochs}.`);
    const skips = flag(args, 'skips'); // EAR: skip levels kept at inference, e.g. 0,1,1 (params.skips)
    // A method-specific flag given to another method would be stored in params and silently do nothing.
    for (const [name, owner] of [['skips', 'ear'], ['aggregate', 'patchcore']] as const) {
      if (flag(args, name) !== undefined && method.name !== owner) {
        throw new StudioError('BAD_REQUEST', `--${name} applies to --method ${owner} only; remove it for --method ${method.name}.`);
      }
    }
    const params: Record<string, unknown> = {};
    if (epochs !== undefined) params.epochs = epochs;
    if (skips !== undefined) params.skips = skips;
    if (flag(args, 'aggregate') !== undefined) params.aggregate = flag(args, 'aggregate'); // patchcore: parsed and checked there
    if (flag(args, 'base') !== undefined) params.base = path.resolve(flag(args, 'base')!);
    if (flag(args, 'shots') !== undefined) params.shots = intFlag(args, 'shots', 5);
    const progressMode = flag(args, 'progress') ?? 'bar';
    if (progressMode !== 'bar' && progressMode !== 'json') throw new StudioError('BAD_REQUEST', `--progress must be bar or json, got "${progressMode}".`);
    const workDir = flag(args, 'work-dir') === undefined ? undefined : path.resolve(flag(args, 'work-dir')!);
    const resume = hasFlag(args, 'resume');
    if (resume && !workDir) throw new StudioError('BAD_REQUEST', '--resume needs --work-dir (the folder holding checkpoint.onnx).');
    if (workDir) await mkdir(workDir, { recursive: true });
    const { summary, images } = await scanDataset(root);
    for (const w of summary.warnings) io.err(`warning: ${w}`);
    if (summary.broken.length) io.err(`warning: ${summary.broken.length} broken file(s) skipped, e.g. ${summary.broken[0].path}: ${summary.broken[0].reason}`);
    const split = splitForTraining(images, seed, root);
    io.err(`${method.name}: ${split.train.length} training, ${split.val.length} validation images (${split.description})`);
    const bar = progressBar(io);
    const provider = progressMode === 'json' ? await providerName() : null;
    const stop = abortOnSignals(io);
    const show: TrainRequest['onProgress'] =
      progressMode === 'json'
        ? (e) =>
            io.err(formatProgressLine({
              stage: e.stage, step: e.done, totalSteps: e.total, epoch: e.epoch ?? null, losses: e.losses ?? {},
              imagesPerSecond: e.imagesPerSecond ?? null, etaSeconds: e.etaSeconds ?? null, executionProvider: provider,
            }))
        : (e) => bar(e.stage, e.done, e.total);
    // Reports without losses come from stages outside the training loop (PatchCore's features, a method's
    // validation), where there is nothing to checkpoint: a cancel is honoured there at the next report. Inside the
    // loop the method sees the signal itself and checkpoints first.
    const onProgress: TrainRequest['onProgress'] = (e) => {
      if (stop.signal.aborted && e.losses === undefined) throw new StudioError('CANCELLED', `Training was cancelled during ${e.stage} (${e.done}/${e.total}).`);
      show(e);
    };
    let trained;
    try {
      trained = await method.train({
        root,
        summary,
        split,
        backbone: flag(args, 'backbone'),
        imageSize,
        seed,
        ...(Object.keys(params).length ? { params } : {}),
        onProgress,
        signal: stop.signal,
        workDir,
        resume,
      });
    } catch (e) {
      if (e instanceof StudioError && e.code === 'CANCELLED') {
        io.err(`cancelled: ${e.message}${workDir ? ` Resume with --work-dir ${workDir} --resume.` : ''}`);
        return EXIT_CANCELLED;
      }
      throw e;
    } finally {
      stop.dispose();
    }
    if (stop.signal.aborted) io.err('warning: the method finished before it saw the cancel request; its model is written.');
    await writeModelFolder(out, trained.onnx, trained.json);
    const j = trained.json;
    if (j.thresholdSource === 'quantile-good' && j.training.valImages < MIN_VAL_FOR_QUANTILE) {
      // A 99% quantile of one or two scores is just the highest of them: the threshold is a guess.
      io.err(`warning: the threshold is the ${GOOD_QUANTILE * 100}% quantile of only ${j.training.valImages} good validation image(s); check it in Review, or train on more good images (10% are held out) or give the dataset a val split.`);
    }
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
