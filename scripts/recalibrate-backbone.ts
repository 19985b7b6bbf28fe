/**
 * Re-estimates the BatchNorm statistics of a CoRe backbone file on a folder of images (src/main/models/core/
 * recalibrate.ts), keeping its learned weights: how resources/models/core-default.onnx got its statistics
 * (resources/models/core-default.md). `pretrain` does the same itself before it writes a backbone.
 *
 * Usage: npx tsx scripts/recalibrate-backbone.ts --backbone IN.onnx --data DIR --out OUT.onnx [--size 128] [--raw]
 * (--size: images are shrunk to a short side of at most 2x this, as pretraining loads them; --raw: no photometric
 * standardisation.)
 */
import { readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { backboneBytes, loadBackboneFile } from '../src/main/models/backbones/index.js';
import { loadSources } from '../src/main/models/core/augment.js';
import { buildCoreBackbone } from '../src/main/models/core/network.js';
import { recalibrateBatchNorm, weightsOf } from '../src/main/models/core/recalibrate.js';

const arg = (name: string, fallback?: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const input = arg('backbone');
const data = arg('data');
const out = arg('out');
if (!input || !data || !out) {
  console.error('Usage: npx tsx scripts/recalibrate-backbone.ts --backbone IN.onnx --data DIR --out OUT.onnx [--size 128] [--raw]');
  process.exit(2);
}
const backbone = loadBackboneFile(input);
const weights = weightsOf(backbone.model);
if (!weights.has('stem.1.bn.running_mean')) {
  console.error(`${input} is not a CoRe backbone (no stem.1.bn statistics); only CoRe backbones have BatchNorm to recalibrate.`);
  process.exit(2);
}
const files = readdirSync(data).sort().map((f) => path.join(data, f));
const { images } = await loadSources(files, Number(arg('size', '128')));
const photometric = !process.argv.includes('--raw');
const recalibrated = await recalibrateBatchNorm(weights, images, { photometric });
const provenance = `${backbone.provenance}; BatchNorm statistics re-estimated on ${Math.min(64, images.length)} of ${images.length} images of ${path.basename(data)}${photometric ? ' (standardised)' : ''} by scripts/recalibrate-backbone.ts`;
writeFileSync(out, backboneBytes(buildCoreBackbone(recalibrated, { name: backbone.name, provenance })));
console.log(JSON.stringify({ out, images: images.length, provenance }));
