/** The command lines a job runs: every setting reaches the `train` flag that carries it, and `train` accepts them all. */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { JobRecord } from '../../../src/shared/contract/jobs.js';
import { parseArgs } from '../../../src/cli/args.js';
import { TRAIN_OPTIONS } from '../../../src/cli/commands/train.js';
import { checkpointPath, evalArgs, trainArgs } from '../../../src/main/jobs/commands.js';

const job = JobRecord.parse({
  id: 'j1', kind: 'train', method: 'fewshot', datasetRoot: '/data/tiles', datasetName: 'tiles',
  settings: { epochs: 7, imageSize: 128, backbone: 'resnet', seed: 4, evaluate: true, baseModel: '/ws/models/pc', shots: 3 },
  state: 'queued', phase: null, pid: null, createdAt: '2026-01-01T00:00:00.000Z', startedAt: null, endedAt: null, attempts: 0,
  progress: null, modelDir: '/ws/models/j1', workDir: '/ws/jobs/j1/work', logFile: '/ws/jobs/j1/log.txt', metrics: null, error: null, resumable: false,
});

describe('job command lines', () => {
  it('train carries method, data, output, work dir, JSON progress and every setting; --resume only when resuming', () => {
    const args = trainArgs(job, false);
    expect(args[0]).toBe('train');
    // train's own parser and option list: a flag it does not know would throw here.
    const parsed = parseArgs(args.slice(1), TRAIN_OPTIONS);
    const v = (k: string) => parsed.flags.get(k)?.[0];
    expect([v('method'), v('data'), v('out'), v('work-dir'), v('progress')]).toEqual(['fewshot', '/data/tiles', '/ws/models/j1', '/ws/jobs/j1/work', 'json']);
    expect([v('epochs'), v('image-size'), v('backbone'), v('seed'), v('base'), v('shots')]).toEqual(['7', '128', 'resnet', '4', '/ws/models/pc', '3']);
    expect(v('resume')).toBeUndefined();
    expect(trainArgs(job, true)).toContain('--resume');
    const bare = trainArgs({ ...job, settings: { seed: 0, evaluate: false } }, false);
    expect(bare).not.toContain('--epochs');
    expect(bare).not.toContain('--base');
    // Pretraining jobs run `pretrain` into <output>/backbone.onnx; no eval, no backbone/base flags.
    const pre = trainArgs({ ...job, kind: 'pretrain', modelDir: '/ws/backbones/j1' }, true);
    expect(pre.slice(0, 7)).toEqual(['pretrain', '--data', '/data/tiles', '--out', path.join('/ws/backbones/j1', 'backbone.onnx'), '--work-dir', '/ws/jobs/j1/work']);
    expect(pre).toEqual(expect.arrayContaining(['--progress', 'json', '--epochs', '7', '--image-size', '128', '--resume']));
    expect(pre).not.toContain('--base');
    expect(checkpointPath(job)).toBe(path.join('/ws/jobs/j1/work', 'checkpoint.onnx'));
    expect(checkpointPath({ ...job, kind: 'pretrain' })).toBe(path.join('/ws/jobs/j1/work', 'core-checkpoint.onnx'));
    expect(evalArgs(job)).toEqual(['eval', '--model', '/ws/models/j1', '--data', '/data/tiles', '--json']);
  });
});
