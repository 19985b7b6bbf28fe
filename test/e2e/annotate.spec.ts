/**
 * Annotate screen end to end, in browser mode: real server, real files, real Chromium, no mocks. Paint a stroke,
 * undo/redo it with the keyboard, find it on disk and after a reload, export it and read the exported PNGs with
 * sharp; a failing save keeps the edit and recovers with Retry; a wrong-size dataset mask is refused with a sentence.
 */
import { readFile, rm, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import type { Page } from '@playwright/test';
import { main } from '../../src/cli/index.js';
import { makeBlobDataset } from '../unit/models/synthetic.js';
import { makeMvtecDataset, type MvtecSpec } from './fixtures/mvtecDataset.js';
import { expect, test } from './fixtures/studio.js';

const SPEC: MvtecSpec = {
  size: 128,
  trainGood: 2,
  testGood: 2,
  defects: { crack: 2 },
  regions: { crack: { x: 16, y: 56, width: 96, height: 16 } },
  brokenFiles: [],
};

/** Grey pixels of a PNG stored as one channel; fails when the file is not single-channel 8-bit. */
async function readGrey(file: string): Promise<Buffer> {
  const meta = await sharp(file).metadata();
  expect(meta.channels, `${file} channels`).toBe(1);
  return sharp(file).toColourspace('b-w').raw().toBuffer();
}

const nonZero = (px: Buffer) => px.reduce((n, v) => n + (v !== 0 ? 1 : 0), 0);

/** Painted pixels of the open mask, once the mask worker has counted them (empty while counting). */
async function painted(page: Page): Promise<number> {
  const el = page.getByTestId('annotate-painted');
  await expect(el).toHaveAttribute('data-value', /^\d+$/);
  return Number(await el.getAttribute('data-value'));
}

/** Opens an image from the Datasets grid, then switches to Annotate and waits until its editor is ready. */
async function annotate(page: Page, imagePath: string): Promise<void> {
  await page.getByTestId('nav-datasets').click();
  const viewerBack = page.getByTestId('viewer-back');
  if (await viewerBack.isVisible()) await viewerBack.click();
  await page.locator(`[data-testid="grid-cell"][data-path="${imagePath}"]`).click();
  await expect(page.getByTestId('viewer')).toHaveAttribute('data-path', imagePath);
  await page.getByTestId('nav-annotate').click();
  await expectReady(page, imagePath);
}

async function expectReady(page: Page, imagePath: string): Promise<void> {
  const screen = page.getByTestId('screen-annotate');
  await expect(screen).toHaveAttribute('data-image', imagePath);
  await expect(screen).toHaveAttribute('data-status', 'ready');
  await expect(page.getByTestId('annotate-stage').locator('canvas').first()).toBeVisible();
}

/** A horizontal brush stroke through the stage centre (the fitted image is centred), `half` screen px each side. */
async function stroke(page: Page, half = 60): Promise<void> {
  const box = (await page.getByTestId('annotate-stage').boundingBox())!;
  const cx = box.x + box.width / 2;
  const cy = box.y + box.height / 2;
  await page.mouse.move(cx - half, cy);
  await page.mouse.down();
  await page.mouse.move(cx + half, cy, { steps: 12 });
  await page.mouse.up();
}

async function expectSaved(page: Page): Promise<void> {
  await expect(page.getByTestId('annotate-save-status')).toHaveAttribute('data-status', 'saved');
  await expect(page.getByTestId('annotate-save-status')).toHaveAttribute('data-unsaved', '0');
}

test('paint, undo, redo, reload, find the PNG on disk, export and read the exported pixels', async ({ page, studio, scratch, datasets, shell }, testInfo) => {
  const root = path.join(scratch, 'bottle');
  await makeMvtecDataset(root, SPEC);
  await page.goto(studio.url);
  await datasets.open(root);
  await expect(datasets.item('bottle')).toHaveAttribute('data-status', 'ready');

  // A good image: nothing painted yet, mask from nowhere.
  const image = 'test/good/000.png';
  await annotate(page, image);
  expect(await painted(page)).toBe(0);
  await expect(page.getByTestId('annotate-mask-source')).toContainText('nowhere');

  // Help overlay lists the editor's shortcuts; Escape closes it.
  await page.keyboard.press('?');
  await expect(page.getByTestId('annotate-help-overlay')).toBeVisible();
  await expect(page.getByTestId('annotate-shortcut').filter({ hasText: 'Undo' })).toHaveCount(1);
  await page.keyboard.press('Escape');
  await expect(page.getByTestId('annotate-help-overlay')).toBeHidden();

  // Brush stroke (B), then undo with Ctrl+Z and redo with Ctrl+Shift+Z and Ctrl+Y.
  await page.keyboard.press('b');
  await expect(page.getByTestId('annotate-tool-brush')).toHaveAttribute('aria-pressed', 'true');
  await stroke(page);
  await expect.poll(() => painted(page)).toBeGreaterThan(500);
  const strokePixels = await painted(page);
  await page.screenshot({ path: testInfo.outputPath('01-stroke.png') });
  await page.keyboard.press('Control+z');
  await expect.poll(() => painted(page)).toBe(0);
  await page.keyboard.press('Control+Shift+Z');
  await expect.poll(() => painted(page)).toBe(strokePixels);
  await page.keyboard.press('Control+z');
  await expect.poll(() => painted(page)).toBe(0);
  await page.keyboard.press('Control+y');
  await expect.poll(() => painted(page)).toBe(strokePixels);

  // On disk: a single-channel class-index PNG in the hidden masks folder, with exactly the painted pixels.
  await expectSaved(page);
  const maskFile = path.join(root, '.defect-studio/masks', `${image}.png`);
  await expect.poll(async () => nonZero(await readGrey(maskFile).catch(() => Buffer.alloc(0)))).toBe(strokePixels);
  const onDisk = await readGrey(maskFile);
  expect(onDisk[64 * SPEC.size + 64]).toBe(1); // the stroke crosses the image centre, class id 1
  expect(onDisk[0]).toBe(0);

  // Zoom without a wheel: toolbar buttons and keys.
  const fitted = Number(await page.getByTestId('annotate-zoom').getAttribute('data-value'));
  await page.getByTestId('annotate-zoom-in').click();
  await expect.poll(async () => Number(await page.getByTestId('annotate-zoom').getAttribute('data-value'))).toBeGreaterThan(fitted);
  await page.getByTestId('annotate-stage').focus();
  await page.keyboard.press('0');
  await expect(page.getByTestId('annotate-zoom')).toHaveAttribute('data-value', String(fitted));

  // Reload: the same image opens with the same mask, now from the studio's PNG.
  await page.reload();
  await expect(datasets.item('bottle')).toHaveAttribute('data-status', 'ready');
  await shell.go('annotate');
  await expectReady(page, image);
  await expect.poll(() => painted(page)).toBe(strokePixels);
  await expect(page.getByTestId('annotate-mask-source')).toHaveText('studio');
  await page.screenshot({ path: testInfo.outputPath('02-after-reload.png') });

  // Export: MVTec ground_truth/<class>/<name>_mask.png (0/255) and class-index PNGs, summary.json.
  const target = await page.getByTestId('export-target').inputValue();
  expect(target.length).toBeGreaterThan(0);
  await page.getByTestId('export-submit').click();
  await expect(page.getByTestId('export-result')).toHaveAttribute('data-images', '1');
  const mvtec = await readGrey(path.join(target, 'ground_truth/defect/000_mask.png'));
  expect(nonZero(mvtec)).toBe(strokePixels);
  expect(mvtec[64 * SPEC.size + 64]).toBe(255);
  expect(new Set(mvtec)).toEqual(new Set([0, 255]));
  const index = await readGrey(path.join(target, 'class_index/test/good/000.png'));
  expect(Buffer.compare(index, onDisk)).toBe(0);
  const summary = JSON.parse(await readFile(path.join(target, 'summary.json'), 'utf8'));
  expect(summary.classes[0]).toMatchObject({ name: 'defect', pixels: strokePixels, images: 1 });
  expect(summary.images).toEqual([expect.objectContaining({ path: image, pixels: { defect: strokePixels } })]);

  // A second export into the same folder asks first.
  await page.getByTestId('export-submit').click();
  await expect(page.getByTestId('export-conflict')).toBeVisible();
  await page.getByTestId('export-overwrite').click();
  await expect(page.getByTestId('export-result')).toBeVisible();

  // An export folder that cannot be created (below a file) is reported with the offer to choose another.
  const blocker = path.join(path.dirname(target), 'not-a-folder');
  await writeFile(blocker, 'x');
  await page.getByTestId('export-target').fill(path.join(blocker, 'out'));
  await page.getByTestId('export-submit').click();
  await expect(page.getByTestId('export-error')).toHaveAttribute('data-readonly', 'true');
  await expect(page.getByTestId('export-error')).toContainText('another folder');

  // Polygon (P): three clicks and Enter fill a triangle in a new class, one undo step.
  await page.getByTestId('annotate-class-name').fill('scratch');
  await page.getByTestId('annotate-class-add').click();
  await expect(page.locator('[data-testid="annotate-class"][data-name="scratch"]')).toHaveAttribute('aria-pressed', 'true');
  await page.getByTestId('annotate-stage').focus();
  await page.keyboard.press('p');
  await expect(page.getByTestId('annotate-tool-polygon')).toHaveAttribute('aria-pressed', 'true');
  const box = (await page.getByTestId('annotate-stage').boundingBox())!;
  for (const [fx, fy] of [[0.4, 0.2], [0.6, 0.2], [0.5, 0.35]]) await page.mouse.click(box.x + box.width * fx, box.y + box.height * fy);
  await expect(page.getByTestId('annotate-tool-path')).toHaveText('root.polygon.drafting');
  await page.keyboard.press('Enter');
  await expect.poll(() => painted(page)).toBeGreaterThan(strokePixels);
  await expectSaved(page);
  const classes = await readGrey(maskFile);
  expect(classes.includes(2)).toBe(true); // the new class got id 2
  await page.keyboard.press('Control+z');
  await expect.poll(() => painted(page)).toBe(strokePixels);

  // Classes: deleting one still painted is refused with the reason; a rename keeps the pixels (masks store ids); an
  // unpainted class goes after a confirm; the list beside the masks and after a reload is the edited one.
  await expectSaved(page);
  await page.locator('[data-testid="annotate-class-delete"][data-class-id="1"]').click();
  await expect(page.getByTestId('annotate-class-delete-dialog')).toContainText('Delete “defect”');
  await page.getByTestId('annotate-class-delete-confirm').click();
  await expect(page.getByTestId('annotate-notice')).toContainText('Cannot delete "defect"');
  await expect(page.getByTestId('annotate-class')).toHaveCount(2);
  await page.locator('[data-testid="annotate-class-rename"][data-class-id="1"]').click();
  await page.getByTestId('annotate-class-rename-input').fill('crack');
  await page.getByTestId('annotate-class-rename-save').click();
  await expect(page.locator('[data-testid="annotate-class"][data-class-id="1"]')).toHaveAttribute('data-name', 'crack');
  expect(await painted(page)).toBe(strokePixels);
  await page.locator('[data-testid="annotate-class-delete"][data-class-id="2"]').click();
  await page.getByTestId('annotate-class-delete-confirm').click();
  await expect(page.getByTestId('annotate-class')).toHaveCount(1);
  // The undone polygon (class 2) was still on the redo stack: it is dropped with the class, so a redo paints nothing.
  await expect(page.getByTestId('annotate-notice')).toContainText('1 undo/redo step painted or erased "scratch"');
  await page.getByTestId('annotate-stage').focus();
  await page.keyboard.press('Control+Shift+z');
  await expect(page.getByTestId('annotate-redo')).toBeDisabled();
  expect(await painted(page)).toBe(strokePixels);
  const classesFile = path.join(root, '.defect-studio/masks/classes.json');
  await expect.poll(async () => (JSON.parse(await readFile(classesFile, 'utf8')) as { name: string }[]).map((c) => c.name)).toEqual(['crack']);
  await page.reload();
  await shell.go('annotate');
  await expectReady(page, image);
  await expect(page.getByTestId('annotate-class')).toHaveCount(1);
  await expect(page.locator('[data-testid="annotate-class"][data-class-id="1"]')).toHaveAttribute('data-name', 'crack');
  expect(await painted(page)).toBe(strokePixels);

  // Next image and back: the session closes each replaced bitmap after the next is drawn; the picture must still
  // show, without a page error, after the steps and a zoom.
  const pageErrors: string[] = [];
  page.on('pageerror', (e) => pageErrors.push(e.message));
  const screen = page.getByTestId('screen-annotate');
  await page.getByTestId('annotate-next').click();
  await expect(screen).not.toHaveAttribute('data-image', image);
  await expect(screen).toHaveAttribute('data-status', 'ready');
  await page.getByTestId('annotate-prev').click();
  await expectReady(page, image);
  const stage = (await page.getByTestId('annotate-stage').boundingBox())!;
  await page.mouse.move(stage.x + stage.width / 2, stage.y + stage.height / 2);
  await page.mouse.wheel(0, -200);
  await page.mouse.wheel(0, 200);
  await page.waitForTimeout(200);
  expect(await painted(page)).toBe(strokePixels);
  expect(pageErrors).toEqual([]);
  const alpha = await page.getByTestId('annotate-stage').locator('canvas').first().evaluate((c: HTMLCanvasElement) => c.getContext('2d')!.getImageData(c.width >> 1, c.height >> 1, 1, 1).data[3]);
  expect(alpha).toBe(255);
});

test('a save that fails keeps the edit in the browser and Retry writes it; a wrong-size mask is refused clearly', async ({ page, studio, scratch, datasets }, testInfo) => {
  const root = path.join(scratch, 'tiles');
  await makeMvtecDataset(root, SPEC);
  // The crack masks' folder is blocked by a file, so writing test/crack/000.png's mask fails (as on a full disk).
  const blocked = path.join(root, '.defect-studio/masks/test/crack');
  await mkdir(path.dirname(blocked), { recursive: true });
  await writeFile(blocked, 'in the way');
  await page.goto(studio.url);
  await datasets.open(root);
  await expect(datasets.item('tiles')).toHaveAttribute('data-status', 'ready');
  // 001's own mask is replaced by one of the wrong size after the scan (which would otherwise drop it with a warning).
  await sharp(Buffer.alloc(32 * 32, 255), { raw: { width: 32, height: 32, channels: 1 } }).png().toFile(path.join(root, 'ground_truth/crack/001_mask.png'));

  // The dataset's own 0/255 mask is the starting mask (painted in the class named like the label, else the first class).
  await annotate(page, 'test/crack/000.png');
  await expect(page.getByTestId('annotate-mask-source')).toHaveText('dataset');
  const region = SPEC.regions.crack;
  expect(await painted(page)).toBe(region.width * region.height);

  await stroke(page, 30);
  await expect(page.getByTestId('annotate-save-status')).toHaveAttribute('data-status', 'failed');
  await expect(page.getByTestId('annotate-save-error')).toContainText('Could not write');
  await expect(page.getByTestId('annotate-save-status')).toHaveAttribute('data-unsaved', '1');
  const withStroke = await painted(page);
  await page.screenshot({ path: testInfo.outputPath('01-save-failed.png') });

  // Reload: the unsaved edit comes back from Dexie, not from the (older) dataset mask.
  await page.reload();
  await page.getByTestId('nav-annotate').click();
  await expectReady(page, 'test/crack/000.png');
  await expect(page.getByTestId('annotate-mask-source')).toContainText('browser');
  expect(await painted(page)).toBe(withStroke);

  // Clear the obstacle and retry: the PNG is written and the entry is marked saved.
  await rm(blocked);
  await page.getByTestId('annotate-save-retry').click();
  await expectSaved(page);
  expect(nonZero(await readGrey(path.join(root, '.defect-studio/masks/test/crack/000.png.png')))).toBe(withStroke);

  // Wrong-size dataset mask: a sentence naming the file and both sizes; the editor starts empty.
  await page.keyboard.press('PageDown');
  await expectReady(page, 'test/crack/001.png');
  await expect(page.getByTestId('annotate-mask-problem')).toContainText('001_mask.png is 32 x 32 but its image is 128 x 128');
  expect(await painted(page)).toBe(0);

  // An image deleted after the scan: a sentence naming it instead of a stage.
  await rm(path.join(root, 'test/good/001.png'));
  await page.getByTestId('nav-datasets').click();
  await page.getByTestId('viewer-back').click();
  await page.locator('[data-testid="grid-cell"][data-path="test/good/001.png"]').click();
  await page.getByTestId('nav-annotate').click();
  await expect(page.getByTestId('screen-annotate')).toHaveAttribute('data-status', 'error');
  await expect(page.getByTestId('annotate-error')).toContainText('test/good/001.png');
});

test('heatmap to mask: the anomaly map of a Review run becomes an undoable proposal at the panel threshold', async ({ page, studio, scratch, workspace, datasets, shell }, testInfo) => {
  test.setTimeout(150_000);
  const root = path.join(scratch, 'blobs');
  const size = 96;
  await makeBlobDataset(root, { size, trainGood: 8, testGood: 3, testDefect: 3, seed: 5 });
  const err: string[] = [];
  const code = await main(['train', '--method', 'patchcore', '--data', root, '--out', path.join(workspace, 'models', 'blobs-pc'), '--image-size', '64', '--seed', '1'], {
    out: () => undefined,
    err: (l) => err.push(l),
  });
  expect(code, err.join('\n')).toBe(0);

  await page.goto(studio.url);
  await datasets.open(root);
  await expect(datasets.item('blobs')).toHaveAttribute('data-status', 'ready');
  await shell.go('review');
  await page.getByTestId('review-split').selectOption('test');
  await page.getByTestId('review-run').click();
  await expect(page.getByTestId('review-status')).toHaveAttribute('data-status', 'done', { timeout: 60_000 });

  // A good image (no mask of its own): nothing painted, then the map arrives and the panel is enabled.
  await annotate(page, 'test/good/000.png');
  expect(await painted(page)).toBe(0);
  await expect(page.getByTestId('annotate-heatmap')).toHaveAttribute('data-available', 'true');
  await expect(page.getByTestId('annotate-heatmap-run')).toBeVisible();

  // Threshold at the map's minimum: every pixel is at or above it, so the proposal is the whole image.
  const slider = page.getByTestId('annotate-threshold');
  await slider.focus();
  await page.keyboard.press('Home');
  await page.getByTestId('annotate-heatmap-apply').click();
  await expect.poll(() => painted(page)).toBe(size * size);
  await page.screenshot({ path: testInfo.outputPath('01-proposal-all.png') });
  await page.getByTestId('annotate-undo').click();
  await expect.poll(() => painted(page)).toBe(0);

  // At the maximum only the hottest pixels remain: a small, non-empty proposal, saved like any edit.
  await slider.focus();
  await page.keyboard.press('End');
  await page.getByTestId('annotate-heatmap-apply').click();
  await expect.poll(() => painted(page)).toBeGreaterThan(0);
  const hot = await painted(page);
  expect(hot).toBeLessThan(size * size * 0.1);
  await expectSaved(page);
  expect(nonZero(await readGrey(path.join(root, '.defect-studio/masks/test/good/000.png.png')))).toBe(hot);
});
