/**
 * Review screen end to end, in browser mode: a generated textured dataset with bright-blob defects, a small
 * PatchCore model, the real server and ONNX Runtime, real Chromium.
 *
 * The model is trained in the test's Node process with the CLI's train command (`main(['train', …])`) straight
 * into <workspace>/models/: the jobs.start call exists in the contract but its handler was not wired when this
 * test was written, and training through a job would only change who calls the same train function.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { main } from '../../src/cli/index.js';
import { makeBlobDataset } from '../unit/models/synthetic.js';
import { expect, test } from './fixtures/studio.js';

test('run a model, move the threshold, view a heatmap, decide with keys, find the decisions after a reload', async ({ page, studio, scratch, workspace, shell, datasets }, testInfo) => {
  test.setTimeout(90_000);
  const root = path.join(scratch, 'blobs');
  // 20 good training images so that 2 are held out for the threshold: with 10 (1 held out) the stored threshold is
  // that one image's score, which may sit below every good test score (it did with the block_9 default).
  await makeBlobDataset(root, { size: 96, trainGood: 20, testGood: 6, testDefect: 6, seed: 5 });
  const err: string[] = [];
  const code = await main(['train', '--method', 'patchcore', '--data', root, '--out', path.join(workspace, 'models', 'blobs-pc'), '--image-size', '64', '--seed', '1'], {
    out: () => undefined,
    err: (l) => err.push(l),
  });
  expect(code, err.join('\n')).toBe(0);
  // Bad input the screen must survive: a corrupt model folder beside the good one, an image deleted after the scan.
  mkdirSync(path.join(workspace, 'models', 'corrupt'), { recursive: true });
  writeFileSync(path.join(workspace, 'models', 'corrupt', 'model.json'), '{"format": "defect-studio-model"');
  writeFileSync(path.join(workspace, 'models', 'corrupt', 'model.onnx'), 'not onnx');

  // The dataset's defect classes, as Annotate saves them beside its masks: Review relabels with these (keys 1-9).
  mkdirSync(path.join(root, '.defect-studio', 'masks'), { recursive: true });
  const classes = [
    { id: 1, name: 'crack', color: [255, 64, 80] },
    { id: 2, name: 'scratch', color: [64, 160, 255] },
  ];
  writeFileSync(path.join(root, '.defect-studio', 'masks', 'classes.json'), JSON.stringify(classes));

  await page.goto(studio.url);
  await datasets.open(root);
  await expect(datasets.item('blobs')).toBeVisible();
  rmSync(path.join(root, 'test/good/005.png'));

  await shell.go('review');
  await expect(page.getByTestId('screen-review')).toBeVisible();
  await expect(page.getByTestId('review-model')).toHaveValue(path.join(workspace, 'models', 'blobs-pc'));
  await expect(page.getByTestId('review-broken-model')).toHaveAttribute('data-name', 'corrupt');
  await page.getByTestId('review-broken-models').locator('summary').click();
  await expect(page.getByTestId('review-broken-model')).toContainText('not valid JSON');
  await page.getByTestId('review-split').selectOption('test');
  await page.getByTestId('review-run').click();

  const status = page.getByTestId('review-status');
  await expect(status).toHaveAttribute('data-status', 'done', { timeout: 60_000 });
  await expect(status).toHaveAttribute('data-total', '12');
  const rows = page.getByTestId('review-row');
  await expect(page.getByTestId('review-list')).toHaveAttribute('data-count', '12');
  // The deleted image is listed last, failed, with the reason.
  await expect(page.getByTestId('review-count-failed')).toHaveAttribute('data-value', '1');
  const failed = page.locator('[data-testid="review-row"][data-verdict="failed"]');
  await expect(failed).toHaveAttribute('data-path', 'test/good/005.png');

  // Sorted by score: the top rows are blobs (the model finds them), scores descending.
  const scores = await rows.evaluateAll((els) => els.map((e) => Number(e.querySelector('.result-score')?.textContent)));
  const finite = scores.filter((s) => Number.isFinite(s));
  expect(finite).toEqual([...finite].sort((a, b) => b - a));
  await expect(rows.first()).toHaveAttribute('data-path', /^test\/blob\//);
  await expect(page.getByTestId('review-roc')).toBeVisible();
  expect(Number(await page.getByTestId('review-roc').getAttribute('data-auroc'))).toBeGreaterThan(0.8);

  // Threshold: at the slider's low end every scored image is a defect, at its high end none.
  const count = async () => Number(await page.getByTestId('review-count-defect').getAttribute('data-value'));
  const slider = page.getByTestId('review-threshold');
  await slider.focus();
  await page.keyboard.press('Home');
  await expect.poll(count).toBe(11);
  const histX0 = Number(await page.getByTestId('review-histogram').getAttribute('data-threshold-x'));
  await page.keyboard.press('End');
  await expect.poll(count).toBe(0);
  expect(Number(await page.getByTestId('review-histogram').getAttribute('data-threshold-x'))).toBeGreaterThan(histX0);
  await expect(page.locator('[data-testid="review-row"][data-verdict="defect"]')).toHaveCount(0);
  // A few steps down (1% of the range each) passes the top score: the top image, and few others, flip.
  for (let i = 0; i < 3; i++) await page.keyboard.press('ArrowLeft');
  await expect.poll(count).toBeGreaterThanOrEqual(1);
  await expect(rows.first()).toHaveAttribute('data-verdict', 'defect');
  expect(await count()).toBeLessThan(11);
  await page.getByRole('button', { name: /model threshold/ }).click();
  const atModel = await count();
  expect(atModel).toBeGreaterThan(0);
  expect(atModel).toBeLessThan(11);
  await page.screenshot({ path: testInfo.outputPath('01-review-threshold.png') });

  // Open the top image: its heatmap is drawn, with a contour around the blob at the model threshold.
  const top = await rows.first().getAttribute('data-path');
  await rows.first().click();
  const viewer = page.getByTestId('review-viewer');
  await expect(viewer).toHaveAttribute('data-heatmap', top!);
  expect(Number(await viewer.getAttribute('data-contour'))).toBeGreaterThan(0);
  // Heatmap pixels really are on the canvas: toggling it off changes what is drawn.
  const stage = page.getByTestId('viewer-stage');
  const withHeat = await stage.screenshot();
  await page.keyboard.press('h');
  await expect(page.getByTestId('review-heatmap-toggle')).not.toBeChecked();
  await expect.poll(async () => Buffer.compare(await stage.screenshot(), withHeat) !== 0).toBe(true);
  await page.keyboard.press('h');
  await page.screenshot({ path: testInfo.outputPath('02-review-heatmap.png') });

  // Decisions with one key each; J moves to the next image.
  await page.keyboard.press('a');
  await expect(rows.first()).toHaveAttribute('data-decision', 'accept');
  await page.keyboard.press('j');
  const second = await rows.nth(1).getAttribute('data-path');
  await expect(viewer).toHaveAttribute('data-path', second!);
  await page.keyboard.press('r');
  await expect(rows.nth(1)).toHaveAttribute('data-decision', 'reject');
  await page.keyboard.press('j');
  await page.keyboard.press('l');
  await expect(rows.nth(2)).toHaveAttribute('data-decision', 'relabel');
  // Relabel as any class of the dataset by its number, or as good with 0.
  await page.keyboard.press('2');
  await expect(page.getByTestId('review-selected-decision')).toHaveText('relabel → scratch');
  await page.keyboard.press('0');
  await expect(page.getByTestId('review-selected-decision')).toHaveText('relabel → good');
  await page.getByTestId('review-relabel-class').selectOption('crack');
  await expect(page.getByTestId('review-selected-decision')).toHaveText('relabel → crack');
  await expect(page.getByTestId('review-count-decided')).toHaveAttribute('data-value', '3');
  // The failed image shows why instead of a heatmap.
  await failed.click();
  await expect(page.getByTestId('review-viewer-error')).toContainText('deleted or moved');
  await page.keyboard.press('?');
  await expect(page.getByTestId('review-help')).toContainText('accept the verdict');
  await page.keyboard.press('Escape');
  await expect(page.getByTestId('review-help')).toHaveCount(0);

  // Reload: the run is cached (same id, instant) and the decisions are stored.
  const runId = await status.getAttribute('data-run-id');
  await page.reload();
  await shell.go('review');
  await page.getByTestId('review-split').selectOption('test');
  await page.getByTestId('review-run').click();
  await expect(status).toHaveAttribute('data-run-id', runId!);
  await expect(status).toHaveAttribute('data-status', 'done');
  await expect(page.locator(`[data-testid="review-row"][data-path="${top}"]`)).toHaveAttribute('data-decision', 'accept');
  await expect(page.locator(`[data-testid="review-row"][data-path="${second}"]`)).toHaveAttribute('data-decision', 'reject');
});
