import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../../../src/cli/index.js';
import { scanDataset } from '../../../../src/main/data/scan.js';
import { fewshot, labelledFor } from '../../../../src/main/models/fewshot/index.js';
import { splitForTraining } from '../../../../src/main/models/split.js';
import { backboneBytes, resolveBackbone } from '../../../../src/main/models/backbones/index.js';
import { makeBlobDataset } from '../synthetic.js';
import { capture } from '../../helpers/captureIo.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'ds-fewshot-fused-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('few-shot head on a fused-backbone base', () => {
  it('model.json lists every part\'s normalisation, as the one-class methods do', async () => {
    const data = path.join(tmp, 'blobs');
    const baseDir = path.join(tmp, 'base');
    await makeBlobDataset(data, { size: 64, trainGood: 8, testGood: 6, testDefect: 8, seed: 5 });
    const c = capture();
    const code = await main(['train', '--method', 'patchcore', '--backbone', 'mobilenetv2+resnet', '--data', data, '--out', baseDir, '--image-size', '64', '--seed', '1'], c.io);
    if (code !== 0) throw new Error(c.err.join('\n'));
    const { summary, images } = await scanDataset(data);
    const split = splitForTraining(images, 1, data);
    const labeled = labelledFor({ root: data, split, seed: 4 }, { shots: 3 }).map((l) => l.record);
    const t = await fewshot.train({ root: data, summary, split, seed: 4, params: { base: baseDir, labeled, epochs: 1, views: 1, minSteps: 0 } });
    expect(t.json.backbone.parts?.map((p) => p.normalisation)).toEqual([resolveBackbone('mobilenetv2').normalisation, resolveBackbone('resnet').normalisation]);
  }, 90_000);

  it('rebuilds a file-based backbone from the path the base was trained with, not its metadata name', async () => {
    const data = path.join(tmp, 'blobs-file');
    const baseDir = path.join(tmp, 'base-file');
    await makeBlobDataset(data, { size: 64, trainGood: 8, testGood: 6, testDefect: 8, seed: 6 });
    // A pretrained backbone file whose metadata name ('core-mt', as CoRe writes it) is not a name resolveBackbone knows.
    const file = path.join(tmp, 'core-mt.onnx');
    writeFileSync(file, backboneBytes({ ...resolveBackbone('resnet', 3), name: 'core-mt' }));
    expect(readFileSync(file).includes(Buffer.from(tmp))).toBe(false); // no local path inside the backbone file
    const c = capture();
    const code = await main(['train', '--method', 'patchcore', '--backbone', file, '--data', data, '--out', baseDir, '--image-size', '64', '--seed', '1'], c.io);
    if (code !== 0) throw new Error(c.err.join('\n'));
    const { summary, images } = await scanDataset(data);
    const split = splitForTraining(images, 1, data);
    const labeled = labelledFor({ root: data, split, seed: 4 }, { shots: 3 }).map((l) => l.record);
    const t = await fewshot.train({ root: data, summary, split, seed: 4, params: { base: baseDir, labeled, epochs: 1, views: 1, minSteps: 0 } });
    expect(t.json.backbone.name).toBe('core-mt');
    expect(t.json.backbone.source).toBe(path.resolve(file));
  }, 90_000);
});
