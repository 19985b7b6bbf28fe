/**
 * Models screen end to end, in browser mode: a tiny PatchCore model trained and evaluated by the real CLI into the
 * test's workspace, listed with its metrics, sorted, compared with a second model, exported as a zip by keyboard.
 */
import { cpSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { main } from '../../src/cli/index.js';
import { makeBlobDataset } from '../unit/models/synthetic.js';
import { expect, test } from './fixtures/studio.js';

const quiet = { out: () => {}, err: () => {} };

test('Models screen lists models with metrics, sorts, compares, reports a broken folder and exports a zip', async ({ page, studio, scratch, workspace, shell }, testInfo) => {
  const data = path.join(scratch, 'blobs');
  const models = path.join(workspace, 'models');
  await makeBlobDataset(data, { size: 48, trainGood: 6, testGood: 2, testDefect: 2, seed: 3 });
  expect(await main(['train', '--method', 'patchcore', '--data', data, '--out', path.join(models, 'tiny'), '--image-size', '48'], quiet)).toBe(0);
  expect(await main(['eval', '--model', path.join(models, 'tiny'), '--data', data, '--json'], quiet)).toBe(0);
  const json = JSON.parse(readFileSync(path.join(models, 'tiny', 'model.json'), 'utf8'));
  const auroc = json.metrics[data].image_auroc as number;
  // A second model: the same folder with a worse, known image AUROC, so the sort order is known.
  cpSync(path.join(models, 'tiny'), path.join(models, 'worse'), { recursive: true });
  json.metrics[data].image_auroc = auroc - 0.25;
  writeFileSync(path.join(models, 'worse', 'model.json'), JSON.stringify(json));
  mkdirSync(path.join(models, 'broken'));
  writeFileSync(path.join(models, 'broken', 'model.json'), '{ not json');
  writeFileSync(path.join(models, 'broken', 'model.onnx'), '');

  await page.goto(studio.url);
  await shell.go('models');
  const row = (id: string) => page.locator(`[data-testid="model-row"][data-id="${id}"]`);
  await expect(row('tiny')).toBeVisible();
  await expect(page.getByTestId('models-count')).toHaveAttribute('data-value', '2');
  await expect(row('tiny').getByTestId('metric-image_auroc')).toHaveText(auroc.toFixed(3));
  await expect(row('broken')).toHaveAttribute('data-status', 'error');
  await expect(row('broken').getByTestId('model-row-error')).toContainText('is not valid JSON');

  // Sort by image AUROC: best first, then flipped; broken folders stay last.
  const order = () => page.getByTestId('model-row').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-id')));
  await page.getByTestId('sort-image_auroc').click();
  await expect.poll(order).toEqual(['tiny', 'worse', 'broken']);
  await page.getByTestId('sort-image_auroc').click();
  await expect.poll(order).toEqual(['worse', 'tiny', 'broken']);

  // Compare: two checked models side by side, the better AUROC marked.
  await row('tiny').getByTestId('model-select').check();
  await row('worse').getByTestId('model-select').check();
  const compare = page.getByTestId('models-compare');
  await expect(compare).toHaveAttribute('data-count', '2');
  await expect(compare.locator('[data-testid="compare-image_auroc"].best')).toHaveText(auroc.toFixed(3));
  await page.screenshot({ path: testInfo.outputPath('01-models.png') });

  // Export as zip, by keyboard: the format select and the row's Export button are focusable controls.
  await page.getByTestId('export-format').selectOption('zip');
  await row('tiny').getByTestId('model-export').focus();
  await page.keyboard.press('Enter');
  const result = page.getByTestId('export-result');
  await expect(result).toBeVisible({ timeout: 30_000 });
  const zip = (await result.getAttribute('data-path'))!;
  expect(zip.startsWith(path.join(workspace, 'exports'))).toBe(true);
  expect(zip.endsWith('tiny.zip')).toBe(true);
  expect(existsSync(zip)).toBe(true);
  await page.screenshot({ path: testInfo.outputPath('02-exported.png') });

  // A corrupt model.onnx surfaces on export with the server's sentence.
  writeFileSync(path.join(models, 'worse', 'model.onnx'), 'garbage');
  await row('worse').getByTestId('model-export').click();
  await expect(page.getByTestId('models-error')).toContainText('worse');
});
