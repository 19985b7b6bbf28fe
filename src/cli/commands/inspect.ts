/** `inspect --model MODELDIR --data DIR|FILE... --out RESULTDIR`: score images and write anomaly maps. */
import { existsSync, statSync } from 'node:fs';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { StudioError } from '../../shared/errors.js';
import { flagAll, parseArgs, requireFlag } from '../args.js';
import { EXIT_OK, type CliCommand } from '../command.js';
import { progressBar } from '../progress.js';
import { scanDataset } from '../../main/data/scan.js';
import { AnomalyModel } from '../../main/models/inference.js';
import { writeMapPng } from '../../main/models/mapPng.js';

const usage = `Usage: node bin/defect-studio.js inspect --model MODELDIR --data DIR|FILE... --out RESULTDIR

Scores every image of DIR (all splits and labels), or the listed image files, with a trained model folder.
Writes:
  RESULTDIR/scores.csv        header path,score,is_defect; path relative to DIR (for files: to their common
                              folder); is_defect is 1 when score >= the model's stored threshold, else 0
  RESULTDIR/maps/<path>.png   16-bit grayscale anomaly map at the image's own size;
                              value = png / 65535 * mapPng.maxValue from model.json (threshold = mid-scale)
Exit 2 on bad input (missing or corrupt model folder, unreadable image).`;

function csvField(s: string): string {
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

function commonDir(files: string[]): string {
  let dir = path.dirname(files[0]);
  while (!files.every((f) => f.startsWith(dir + path.sep))) {
    const up = path.dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  return dir;
}

export const command: CliCommand = {
  name: 'inspect',
  summary: 'Score images with a trained model: scores.csv + 16-bit anomaly-map PNGs',
  usage,
  async run(argv, io) {
    const args = parseArgs(argv, { values: ['model', 'data', 'out'] });
    const inputs = [...flagAll(args, 'data'), ...args.positional].map((p) => path.resolve(p));
    if (inputs.length === 0) throw new StudioError('BAD_REQUEST', `Missing required option --data.\n\n${usage}`);
    const out = path.resolve(requireFlag(args, 'out'));
    const model = await AnomalyModel.load(path.resolve(requireFlag(args, 'model')));
    let root: string;
    let rels: string[];
    for (const p of inputs) if (!existsSync(p)) throw new StudioError('NOT_FOUND', `${p} does not exist.`);
    if (inputs.length === 1 && statSync(inputs[0]).isDirectory()) {
      root = inputs[0];
      const { summary, images } = await scanDataset(root);
      for (const b of summary.broken) io.err(`warning: skipped ${b.path}: ${b.reason}`);
      rels = images.map((r) => r.path).sort();
      if (rels.length === 0) throw new StudioError('INVALID_STATE', `${root} contains no readable images to inspect.`);
    } else {
      const dirs = inputs.filter((p) => statSync(p).isDirectory());
      if (dirs.length) throw new StudioError('BAD_REQUEST', `--data takes one folder or a list of image files, not both (${dirs[0]} is a folder).`);
      root = commonDir(inputs);
      rels = inputs.map((p) => path.relative(root, p).split(path.sep).join('/'));
    }
    io.err(`inspect: ${rels.length} image(s) with ${model.json.method} (${model.json.backbone.name}) on ${model.provider}`);
    const bar = progressBar(io);
    const lines = ['path,score,is_defect'];
    const { threshold } = model.json;
    let defects = 0;
    for (let i = 0; i < rels.length; i++) {
      const r = await model.inferFile(path.join(root, rels[i]));
      const isDefect = r.score >= threshold;
      defects += isDefect ? 1 : 0;
      lines.push(`${csvField(rels[i])},${r.score},${isDefect ? 1 : 0}`);
      await writeMapPng(path.join(out, 'maps', `${rels[i]}.png`), r.imageMap, r.geometry.width, r.geometry.height, model.json.mapPng.maxValue);
      bar('inspect', i + 1, rels.length);
    }
    await mkdir(out, { recursive: true });
    const csv = path.join(out, 'scores.csv');
    await writeFile(`${csv}.tmp`, lines.join('\n') + '\n');
    await rename(`${csv}.tmp`, csv);
    await model.release();
    io.out(JSON.stringify({ scores: csv, images: rels.length, defects, threshold, provider: model.provider }));
    return EXIT_OK;
  },
};
