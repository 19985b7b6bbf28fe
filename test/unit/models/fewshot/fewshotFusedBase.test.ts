import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../../../src/cli/index.js';
import { scanDataset } from '../../../../src/main/data/scan.js';
import { fewshot, labelledFor } from '../../../../src/main/models/fewshot/index.js';
import { splitForTraining } from '../../../../src/main/models/split.js';
import { resolveBackbone } from '../../../../src/main/models/backbones/index.js';
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
});
