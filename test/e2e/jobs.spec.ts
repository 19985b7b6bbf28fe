/**
 * Jobs screen end to end, in browser mode: real server, real job processes (`train` then `eval` children of the
 * server), real KD training on a generated dataset, real Chromium. Start a short job, watch progress and the loss
 * curve move, cancel it (the training loop checkpoints), resume it from the checkpoint, see it finish and its
 * metrics appear.
 */
import path from 'node:path';
import { DEFAULT_SPEC, makeMvtecDataset } from './fixtures/mvtecDataset.js';
import { expect, test } from './fixtures/studio.js';

test('start a KD job, watch it, cancel it, resume it from its checkpoint, see its metrics', async ({ page, studio, scratch, shell, datasets }, testInfo) => {
  test.setTimeout(150_000);
  const root = path.join(scratch, 'tiles');
  await makeMvtecDataset(root, { ...DEFAULT_SPEC, trainGood: 16, brokenFiles: [] });

  await page.goto(studio.url);
  await datasets.open(root);
  await expect(datasets.item('tiles')).toBeVisible();
  await shell.go('jobs');
  await expect(page.getByTestId('screen-jobs')).toBeVisible();
  await expect(page.getByTestId('job-list-empty')).toBeVisible();

  // Methods come from the registry; the dataset list from the server.
  await expect(page.getByTestId('job-method').locator('option[value="kd"]')).toHaveCount(1, { timeout: 30_000 });
  const methods = await page.getByTestId('job-method').locator('option').allTextContents();
  expect(methods).toEqual(expect.arrayContaining(['patchcore', 'kd']));
  await page.getByTestId('job-method').selectOption('kd');
  await expect(page.getByTestId('job-dataset')).toHaveValue(/.+/);
  // 40 short epochs: long enough (seconds on a quiet 2-core machine) that the cancel below lands mid-training.
  await page.getByTestId('job-epochs').fill('40');
  await page.getByTestId('job-image-size').fill('64');
  await page.getByTestId('job-start').click();

  const detail = page.getByTestId('job-detail');
  const progress = page.getByTestId('job-progress');
  await expect(detail).toHaveAttribute('data-state', /queued|running/);
  await expect(page.getByTestId('job-item')).toHaveCount(1);

  // Progress moves through the training loop: steps rise, the loss curve grows, ETA and provider show.
  await expect(progress).toHaveAttribute('data-stage', 'train', { timeout: 60_000 });
  await expect.poll(async () => Number(await progress.getAttribute('data-step')), { timeout: 30_000 }).toBeGreaterThanOrEqual(2);
  // The total is 40 student epochs + 10 head epochs (KD's default segmentation head, one bar for both stages) of
  // whole steps (KD's default may take several crops per image, so several steps per epoch).
  const total = Number(await progress.getAttribute('data-total'));
  expect(total).toBeGreaterThanOrEqual(50);
  expect(total % 50).toBe(0);
  await expect.poll(async () => Number(await page.getByTestId('loss-chart').getAttribute('data-points'))).toBeGreaterThanOrEqual(2);
  await expect(page.getByTestId('loss-legend').first()).toHaveAttribute('data-name', 'loss');
  await expect(page.getByTestId('job-provider')).toContainText('cpu');
  await page.screenshot({ path: testInfo.outputPath('01-running.png') });

  // Cancel: SIGTERM, the loop checkpoints, the job is cancelled and resumable.
  await page.getByTestId('job-cancel').click();
  await expect(detail).toHaveAttribute('data-state', 'cancelled', { timeout: 30_000 });
  const stoppedAt = Number(await progress.getAttribute('data-step'));
  expect(stoppedAt).toBeGreaterThanOrEqual(2);
  expect(stoppedAt).toBeLessThan(total);
  await expect(page.getByTestId('job-log')).toContainText(/cancelled at step \d+/);
  await page.screenshot({ path: testInfo.outputPath('02-cancelled.png') });

  // Resume: relaunched with --resume from the checkpoint, training continues past where it stopped.
  await page.getByTestId('job-resume').click();
  await expect(detail).toHaveAttribute('data-state', /queued|running/);
  await expect(page.getByTestId('job-log')).toContainText(/resume: from the checkpoint at step \d+/, { timeout: 15_000 });
  const resumedFrom = Number((await page.getByTestId('job-log').textContent())!.match(/resume: from the checkpoint at step (\d+)/)![1]);
  expect(resumedFrom).toBeGreaterThanOrEqual(2);
  await expect.poll(async () => Number(await progress.getAttribute('data-step')), { timeout: 60_000 }).toBeGreaterThan(resumedFrom);

  // It finishes (train, then eval) and its metrics appear, with a toast.
  await expect(detail).toHaveAttribute('data-state', 'done', { timeout: 90_000 });
  await expect(page.getByTestId('job-metrics')).toBeVisible();
  const auroc = Number(await page.getByTestId('metric-image_auroc').getAttribute('data-value'));
  expect(auroc).toBeGreaterThanOrEqual(0);
  expect(auroc).toBeLessThanOrEqual(1);
  await expect(page.getByTestId('metric-pixel_ap')).toBeVisible();
  await expect(page.getByTestId('toast')).toHaveCount(1); // a cancel the user asked for raises no notice
  await expect(page.getByTestId('toast')).toContainText('kd on tiles: done');
  await expect(page.getByTestId('job-item').first()).toHaveAttribute('data-state', 'done');
  await page.screenshot({ path: testInfo.outputPath('03-done.png') });
});
