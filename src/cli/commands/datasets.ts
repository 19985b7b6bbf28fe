/** `datasets inspect DIR [--json]`: what Defect Studio sees in a folder, without opening the app. */
import path from 'node:path';
import type { DatasetSummary } from '../../shared/dataset.js';
import { hasFlag, parseArgs } from '../args.js';
import { EXIT_BAD_INPUT, EXIT_OK, type CliCommand } from '../command.js';
import { scanDataset } from '../../main/data/scan.js';

const usage = `Usage: node bin/defect-studio.js datasets inspect DIR [--json] [--verify] [--no-sizes] [--images]

Detects the folder's layout (MVTec AD, KolektorSDD, KolektorSDD2, magnetic-tile, plain folders) and prints
counts per split and label, masks found, broken files with reasons, and warnings.

Options:
  --json       one JSON object (the DatasetSummary) on stdout
  --images     with --json: also include every image record ({ summary, images })
  --verify     also decode every image, so damage inside the pixel data is listed too (slow:
               about one thumbnail's cost per image)
  --no-sizes   skip header reads (faster; width/height 0, truncated files not detected)

Exit codes: 0 ok, 2 missing or unreadable folder or bad usage.`;

function table(rows: string[][]): string[] {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  return rows.map((r) => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  '));
}

export function formatSummary(s: DatasetSummary): string[] {
  const labels = Object.keys(s.byLabel).sort((a, b) => (a === 'good' ? -1 : b === 'good' ? 1 : a.localeCompare(b)));
  const splits = Object.keys(s.bySplit).sort();
  const lines = [
    `Dataset  ${s.name}  (${s.root})`,
    `Layout   ${s.layout}`,
    `Images   ${s.total}, ${s.withMask} with a mask, ${s.broken.length} broken file(s)`,
    '',
    ...table([
      ['split \\ label', ...labels, 'total'],
      ...splits.map((sp) => [sp, ...labels.map((l) => String(s.bySplitLabel[sp]?.[l] ?? 0)), String(s.bySplit[sp])]),
    ]),
  ];
  if (s.broken.length) {
    lines.push('', 'Broken files:');
    for (const b of s.broken.slice(0, 50)) lines.push(`  ${b.path}: ${b.reason}`);
    if (s.broken.length > 50) lines.push(`  ... and ${s.broken.length - 50} more (use --json for all)`);
  }
  if (s.warnings.length) lines.push('', 'Warnings:', ...s.warnings.map((w) => `  ${w}`));
  return lines;
}

export const command: CliCommand = {
  name: 'datasets',
  summary: 'Inspect a dataset folder: layout, counts per split and label, masks, broken files',
  usage,
  async run(argv, io) {
    const args = parseArgs(argv, { booleans: ['json', 'no-sizes', 'images', 'verify'] });
    const [sub, dir, ...extra] = args.positional;
    if (sub !== 'inspect' || !dir || extra.length) {
      io.err(usage);
      return EXIT_BAD_INPUT;
    }
    const root = path.resolve(dir);
    const started = performance.now();
    const { summary, images } = await scanDataset(root, { readSizes: !hasFlag(args, 'no-sizes'), verify: hasFlag(args, 'verify') });
    if (hasFlag(args, 'json')) {
      io.out(JSON.stringify(hasFlag(args, 'images') ? { summary, images } : summary));
    } else {
      for (const line of formatSummary(summary)) io.out(line);
      io.err(`(scanned in ${((performance.now() - started) / 1000).toFixed(2)} s)`);
    }
    return EXIT_OK;
  },
};

