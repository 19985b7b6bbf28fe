import { describe, expect, it } from 'vitest';
import { formatProgressLine, lastJsonObject, parseChildLine } from '../../../src/main/jobs/protocol.js';

describe('job protocol', () => {
  it('round-trips a progress line and reads every other line as a log line with its level', () => {
    const line = formatProgressLine({ stage: 'train', step: 7, totalSteps: 20, epoch: 0, losses: { loss: 0.5, 'kd.cos': 0.25 }, imagesPerSecond: 12.5, etaSeconds: 3 });
    const parsed = parseChildLine(line);
    expect(parsed).toEqual({
      kind: 'progress',
      point: { stage: 'train', step: 7, totalSteps: 20, epoch: 0, losses: { loss: 0.5, 'kd.cos': 0.25 }, imagesPerSecond: 12.5, etaSeconds: 3, executionProvider: null },
    });
    expect(parseChildLine('features 3/10 (30%)')).toEqual({ kind: 'log', level: 'info', message: 'features 3/10 (30%)' });
    expect(parseChildLine('warning: 2 broken file(s) skipped')).toMatchObject({ level: 'warn' });
    expect(parseChildLine('error: Cannot read checkpoint')).toMatchObject({ level: 'error' });
    // JSON that is not a progress object, and broken JSON, are log lines.
    expect(parseChildLine('{"model":"x"}')).toMatchObject({ kind: 'log' });
    expect(parseChildLine('{"type":"progress", step')).toMatchObject({ kind: 'log' });
    // Non-finite or missing numbers become null, non-numeric losses are dropped.
    expect(parseChildLine('{"type":"progress","step":1,"losses":{"a":"x","b":2},"etaSeconds":"soon"}')).toMatchObject({
      kind: 'progress',
      point: { step: 1, losses: { b: 2 }, etaSeconds: null, totalSteps: null },
    });
  });

  it('finds the last JSON object on stdout', () => {
    expect(lastJsonObject(['start', '{"a":1}', 'noise', '{"b":2}', ''])).toEqual({ b: 2 });
    expect(lastJsonObject(['[1,2]', 'x'])).toBeNull();
  });
});
