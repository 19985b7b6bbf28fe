/** `pretrain --data DIR --out BACKBONE.onnx`: CoRe self-supervised pretraining of a backbone on unlabeled images. */
import path from 'node:path';
import { StudioError } from '../../shared/errors.js';
import { flag, hasFlag, intFlag, parseArgs, requireFlag } from '../args.js';
import { EXIT_OK, type CliCommand } from '../command.js';
import { scanDataset } from '../../main/data/scan.js';
import { pretrainCore } from '../../main/models/core/pretrain.js';
import { formatProgressLine } from '../../main/jobs/protocol.js';
import { abortOnSignals } from '../abort.js';

const usage = `Usage: node bin/defect-studio.js pretrain --data DIR --out BACKBONE.onnx [--minutes N | --epochs N]
         [--image-size N] [--seed N] [--batch N] [--work-dir DIR] [--resume] [--progress text|json]

CoRe: contrastive + restorative self-supervised pretraining of the ResNet-style backbone on every image under
DIR (labels and masks are ignored). The result is a backbone file for \`train --backbone BACKBONE.onnx\`.

Options:
  --minutes     time budget; the step count is fixed from a measured step time (default 5)
  --epochs      passes over the images instead of a time budget
  --image-size  crop size in pixels, a multiple of 16 (default 128); images need a short side of at least half
  --batch       images per step (default 16; each gives two views and one corrupted copy)
  --seed        weights, augmentation and corruption seed (default 0)
  --work-dir    checkpoint folder (default <out>.work)
  --resume      continue from the checkpoint in --work-dir (same data and settings); ends at the same step count

Progress (loss terms, images/s, ETA) goes to stderr (--progress json: one JSON line per step, the jobs protocol
of src/main/jobs/protocol.ts; SIGINT/SIGTERM checkpoint and stop), per-step losses to <out>.loss.jsonl, a JSON summary to
stdout. Exit 2 on bad input (no usable images, images too small for the crop).`;

const fmtTime = (s: number | null) => (s === null ? '?' : s >= 60 ? `${Math.floor(s / 60)}m${String(Math.round(s % 60)).padStart(2, '0')}s` : `${Math.round(s)}s`);

export const command: CliCommand = {
  name: 'pretrain',
  summary: 'CoRe self-supervised pretraining of a backbone on a folder of unlabeled images',
  usage,
  async run(argv, io) {
    const args = parseArgs(argv, { values: ['data', 'out', 'minutes', 'epochs', 'image-size', 'seed', 'batch', 'work-dir', 'progress'], booleans: ['resume'] });
    if (args.positional.length) throw new StudioError('BAD_REQUEST', `Unexpected argument "${args.positional[0]}".\n\n${usage}`);
    const root = path.resolve(requireFlag(args, 'data'));
    const out = path.resolve(requireFlag(args, 'out'));
    const minutesFlag = flag(args, 'minutes');
    const minutes = minutesFlag === undefined ? undefined : Number(minutesFlag);
    if (minutes !== undefined && !(minutes > 0)) throw new StudioError('BAD_REQUEST', `--minutes must be a positive number, got "${minutesFlag}".`);
    const epochs = flag(args, 'epochs') === undefined ? undefined : intFlag(args, 'epochs', 1);
    if (epochs !== undefined && epochs < 1) throw new StudioError('BAD_REQUEST', `--epochs must be at least 1, got ${epochs}.`);
    if (minutes !== undefined && epochs !== undefined) throw new StudioError('BAD_REQUEST', 'Give either --minutes or --epochs, not both.');

    const { summary, images } = await scanDataset(root);
    if (summary.broken.length) io.err(`warning: ${summary.broken.length} unreadable file(s) skipped, e.g. ${summary.broken[0].path}: ${summary.broken[0].reason}`);
    if (images.length === 0) {
      const why = summary.broken.length ? `its ${summary.broken.length} image file(s) are unreadable (e.g. ${summary.broken[0].path}: ${summary.broken[0].reason})` : 'it contains no image files';
      throw new StudioError('INVALID_STATE', `Cannot pretrain on ${root}: ${why}. Point --data at a folder of PNG/JPEG/BMP/TIFF images.`);
    }
    io.err(`core: ${images.length} images under ${root}`);
    const json = flag(args, 'progress') === 'json';
    const stop = abortOnSignals(io);
    const res = await pretrainCore({
      signal: stop.signal,
      files: images.map((r) => path.join(root, r.path)),
      out,
      workDir: path.resolve(flag(args, 'work-dir') ?? `${out}.work`),
      dataLabel: root,
      imageSize: intFlag(args, 'image-size', 128),
      batch: intFlag(args, 'batch', 16),
      seed: intFlag(args, 'seed', 0),
      minutes: epochs === undefined ? (minutes ?? 5) : undefined,
      epochs,
      resume: hasFlag(args, 'resume'),
      log: io.err,
      onProgress: (p) => {
        if (json) return io.err(formatProgressLine({ stage: 'pretrain', ...p }));
        if (p.step % 5 !== 0 && p.step !== p.totalSteps && p.step > 3) return;
        io.err(
          `step ${p.step}/${p.totalSteps} loss ${p.losses.loss.toFixed(4)} (contrastive ${p.contrastive.toFixed(4)}, restorative ${p.restorative.toFixed(5)}) ` +
            `lr ${p.lr.toExponential(2)} ${p.imagesPerSecond?.toFixed(1) ?? '?'} img/s ETA ${fmtTime(p.etaSeconds)}`,
        );
      },
    }).finally(() => stop.dispose());
    io.out(JSON.stringify({
      backbone: res.out,
      lossLog: res.lossLog,
      images: res.images,
      skipped: res.skipped.length,
      steps: res.steps,
      totalSteps: res.totalSteps,
      resumedFrom: res.startStep,
      stoppedBy: res.stoppedBy,
      seconds: Math.round(res.seconds * 10) / 10,
    }));
    return EXIT_OK;
  },
};
