/**
 * Datasets screen end to end, in browser mode: real server, real files made by sharp, real Chromium.
 */
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expectedCounts, makeMvtecDataset } from './fixtures/mvtecDataset.js';
import { redPixels } from './fixtures/pixels.js';
import { expect, startStudio, test } from './fixtures/studio.js';

test('open a generated MVTec dataset, browse the grid, view an image with its mask, survive a reload', async ({
  page,
  studio,
  scratch,
  shell,
  datasets,
  viewer,
}, testInfo) => {
  const root = path.join(scratch, 'bottle');
  const spec = await makeMvtecDataset(root);
  const counts = expectedCounts(spec);
  const total = Object.values(counts).reduce((n, byLabel) => n + Object.values(byLabel).reduce((a, b) => a + b, 0), 0);
  const defects = Object.values(spec.defects).reduce((a, b) => a + b, 0);

  await page.goto(studio.url);
  await expect(shell.statusMode()).toContainText('browser');
  await datasets.open(root);

  // Counts: layout, per split and label, masks, the broken file with its reason.
  await expect(datasets.item('bottle')).toBeVisible();
  await expect(page.getByTestId('dataset-layout')).toHaveAttribute('data-layout', 'mvtec');
  expect(await datasets.number('dataset-total')).toBe(total);
  expect(await datasets.number('dataset-masks')).toBe(defects);
  for (const [split, byLabel] of Object.entries(counts)) {
    for (const [label, n] of Object.entries(byLabel)) expect(await datasets.count(split, label), `${split}/${label}`).toBe(n);
  }
  await expect(datasets.brokenItems()).toHaveCount(spec.brokenFiles.length);
  const broken = datasets.brokenItems().first();
  await expect(broken).toHaveAttribute('data-path', spec.brokenFiles[0]);
  expect((await broken.textContent())!.length).toBeGreaterThan(spec.brokenFiles[0].length + 5);
  await page.screenshot({ path: testInfo.outputPath('01-datasets.png') });

  // Grid: virtualized (far fewer cells than images in the DOM), thumbnails decode, scrolling reaches the end.
  expect(await datasets.shownTotal()).toBe(total);
  await expect(datasets.cells().first()).toBeVisible();
  const firstRendered = await datasets.renderedIndices();
  expect(firstRendered.length).toBeLessThan(total);
  expect(Math.min(...firstRendered)).toBe(0);
  await expect.poll(() => datasets.visibleLoadedThumbnails()).toBeGreaterThan(0);
  await datasets.scrollGridTo(1);
  await expect(page.locator(`[data-testid="grid-cell"][data-index="${total - 1}"]`)).toBeVisible();
  expect(Math.min(...(await datasets.renderedIndices()))).toBeGreaterThan(0);
  await page.screenshot({ path: testInfo.outputPath('02-grid-scrolled.png') });

  // Filters: by mask presence and by split, from the counts the dataset was made with.
  await datasets.filter('mask', 'yes');
  expect(await datasets.shownTotal()).toBe(defects);
  await datasets.filter('mask', '');
  await datasets.filter('split', 'train');
  expect(await datasets.shownTotal()).toBe(spec.trainGood);
  await datasets.filter('split', '');

  // Filter to one defect type, then open its first image.
  const [defect, defectCount] = Object.entries(spec.defects)[0];
  await datasets.filter('label', defect);
  expect(await datasets.shownTotal()).toBe(defectCount);
  const paths = await datasets.cells().evaluateAll((els) => els.map((e) => e.getAttribute('data-path')));
  expect(paths.every((p) => p?.startsWith(`test/${defect}/`))).toBe(true);
  const first = `test/${defect}/000.png`;
  await datasets.cell(first).click();
  await viewer.waitFor(first);
  expect(await viewer.position()).toBe(`1 / ${defectCount}`);

  // Mask overlay: red pixels where the mask is, of the mask's shape; none when toggled off; back with key M.
  await expect(viewer.maskToggle()).toBeChecked();
  const withMask = await redPixels(await viewer.stageScreenshot(testInfo.outputPath('03-viewer-mask-on.png')));
  const region = spec.regions[defect];
  const scale = (await viewer.zoomPercent()) / 100;
  const expectedArea = region.width * region.height * scale * scale;
  expect(withMask.count).toBeGreaterThan(expectedArea * 0.8);
  expect(withMask.count).toBeLessThan(expectedArea * 1.2);
  expect(withMask.box!.width / withMask.box!.height).toBeCloseTo(region.width / region.height, 0);
  await viewer.maskToggle().click();
  await expect(viewer.maskToggle()).not.toBeChecked();
  await page.waitForFunction(() => new Promise((r) => requestAnimationFrame(() => r(true))));
  const withoutMask = await redPixels(await viewer.stageScreenshot(testInfo.outputPath('04-viewer-mask-off.png')));
  expect(withoutMask.count).toBe(0);
  await page.keyboard.press('m');
  await expect(viewer.maskToggle()).toBeChecked();

  // Zoom with the wheel around the cursor: the image pixel under it stays under it.
  const fitted = await viewer.zoomPercent();
  const box = (await viewer.stage().boundingBox())!;
  const at = { x: Math.round(box.x + box.width * 0.42), y: Math.round(box.y + box.height * 0.37) };
  const before = await viewer.pixelAt(at.x, at.y);
  expect(before).not.toBeNull();
  await page.mouse.wheel(0, -400);
  await expect.poll(() => viewer.zoomPercent()).toBeGreaterThan(fitted);
  const after = (await viewer.pixelAt(at.x, at.y))!;
  expect(Math.abs(after.x - before!.x)).toBeLessThanOrEqual(1);
  expect(Math.abs(after.y - before!.y)).toBeLessThanOrEqual(1);

  // Drag pans: the same screen point now shows the pixel that was dragged there.
  const zoom = (await viewer.zoomPercent()) / 100;
  await page.mouse.down();
  await page.mouse.move(at.x + 80, at.y + 40, { steps: 4 });
  await page.mouse.up();
  const panned = (await viewer.pixelAt(at.x, at.y))!;
  expect(Math.abs(panned.x - (after.x - 80 / zoom))).toBeLessThanOrEqual(1.5);
  expect(Math.abs(panned.y - (after.y - 40 / zoom))).toBeLessThanOrEqual(1.5);

  // Fit with F, 1:1 with 1.
  await page.keyboard.press('1');
  await expect.poll(() => viewer.zoomPercent()).toBe(100);
  await page.keyboard.press('f');
  await expect.poll(() => viewer.zoomPercent()).toBe(fitted);

  // Arrow to the next image of the filtered list.
  await page.keyboard.press('ArrowRight');
  await viewer.waitFor(`test/${defect}/001.png`);
  expect(await viewer.position()).toBe(`2 / ${defectCount}`);
  await page.screenshot({ path: testInfo.outputPath('05-viewer-next.png') });

  // Escape returns to the grid, with the viewed image highlighted.
  await page.keyboard.press('Escape');
  await expect(viewer.root()).toBeHidden();
  await expect(datasets.cell(`test/${defect}/001.png`)).toHaveClass(/selected/);

  // Reload: the dataset is still listed and its filter is remembered.
  await page.reload();
  await expect(datasets.item('bottle')).toHaveAttribute('data-status', 'ready');
  await expect(page.getByTestId('filter-label')).toHaveValue(defect);
  expect(await datasets.shownTotal()).toBe(defectCount);
  await page.screenshot({ path: testInfo.outputPath('06-after-reload.png') });
});

test('a dataset remembered in IndexedDB is re-opened by a new server that has never seen it', async ({ page, scratch, datasets }, testInfo) => {
  const root = path.join(scratch, 'remembered');
  const spec = await makeMvtecDataset(root, { size: 64, trainGood: 3, testGood: 1, defects: { dent: 2 }, regions: { dent: { x: 8, y: 8, width: 16, height: 16 } }, brokenFiles: [] });
  const first = await startStudio(path.join(scratch, 'ws-a'));
  let port: number;
  try {
    port = first.port;
    await page.goto(first.url);
    await datasets.open(root);
    await expect(datasets.item('remembered')).toHaveAttribute('data-status', 'ready');
  } finally {
    await first.close();
  }
  // IndexedDB is per origin, so the second server must take the same port; its workspace is new and empty.
  const second = await startStudio(path.join(scratch, 'ws-b'), port);
  try {
    await page.goto(second.url);
    await expect(datasets.item('remembered')).toHaveAttribute('data-status', 'ready');
    expect(await datasets.number('dataset-total')).toBe(spec.trainGood + spec.testGood + spec.defects.dent);
    await page.screenshot({ path: testInfo.outputPath('reopened.png') });
  } finally {
    await second.close();
  }
});

test('a remembered dataset whose folder was deleted is listed as missing, with the reason, and can be removed', async ({ page, scratch, datasets }) => {
  const root = path.join(scratch, 'gone');
  await makeMvtecDataset(root, { size: 32, trainGood: 2, testGood: 1, defects: {}, regions: {}, brokenFiles: [] });
  const first = await startStudio(path.join(scratch, 'ws-a'));
  const port = first.port;
  try {
    await page.goto(first.url);
    await datasets.open(root);
    await expect(datasets.item('gone')).toHaveAttribute('data-status', 'ready');
  } finally {
    await first.close();
  }
  await rm(root, { recursive: true, force: true });
  const second = await startStudio(path.join(scratch, 'ws-b'), port);
  try {
    await page.goto(second.url);
    await expect(datasets.item('gone')).toHaveAttribute('data-status', 'missing');
    await expect(datasets.item('gone').getByTestId('dataset-item-error')).toContainText(root);
    await datasets.item('gone').getByTestId('dataset-remove').click();
    await expect(page.getByTestId('dataset-item')).toHaveCount(0);
    await page.reload();
    await expect(page.getByTestId('dataset-list-empty')).toBeVisible();
  } finally {
    await second.close();
  }
});

test('a folder that does not exist gives a clear error and nothing is listed', async ({ page, studio, scratch, datasets }) => {
  const missing = path.join(scratch, 'no-such-folder');
  await page.goto(studio.url);
  await datasets.open(missing);
  await expect(datasets.errorBanner()).toContainText(missing);
  await expect(page.getByTestId('dataset-item')).toHaveCount(0);
});

test('every screen of the rail opens, none is a placeholder', async ({ page, studio, shell }) => {
  await page.goto(studio.url);
  for (const screen of ['review', 'annotate', 'jobs', 'models'] as const) {
    await shell.go(screen);
    await expect(page.getByTestId(`screen-${screen}`)).toBeVisible();
    await expect(page.getByTestId(`screen-${screen}`)).not.toContainText('later release');
  }
  await shell.go('datasets');
  await expect(page.getByTestId('screen-datasets')).toBeVisible();
});

const MAGNETIC_TILE = fileURLToPath(new URL('../../../shared/data/magnetic-tile', import.meta.url));
/** Per-class image counts documented in ../shared/data/README.md. */
const MAGNETIC_TILE_COUNTS: Record<string, number> = { good: 952, Blowhole: 115, Break: 85, Crack: 57, Fray: 32, Uneven: 103 };

test('real data: magnetic-tile opens with 1344 images and the documented counts per class', async ({ page, studio, datasets, viewer }, testInfo) => {
  test.skip(!existsSync(MAGNETIC_TILE), `Skipped: ${MAGNETIC_TILE} is absent (real datasets live in ../shared/data; see its README).`);
  test.setTimeout(90_000);
  await page.goto(studio.url);
  await datasets.open(MAGNETIC_TILE);
  await expect(page.getByTestId('dataset-layout')).toHaveAttribute('data-layout', 'magnetic-tile', { timeout: 60_000 });
  expect(await datasets.number('dataset-total')).toBe(1344);
  for (const [label, n] of Object.entries(MAGNETIC_TILE_COUNTS)) {
    expect(Number(await page.getByTestId(`count-all-${label}`).getAttribute('data-value')), label).toBe(n);
  }
  expect(await datasets.shownTotal()).toBe(1344);
  await datasets.scrollGridTo(0.5);
  await expect(datasets.cells().first()).toBeVisible();
  // Thumbnails of real JPEGs arrive in the cells on screen where the grid was scrolled to.
  await expect.poll(() => datasets.visibleLoadedThumbnails(), { timeout: 30_000 }).toBeGreaterThan(5);
  await page.screenshot({ path: testInfo.outputPath('magnetic-tile-grid.png') });

  // A real defect mask shows as red over the grey tile, and disappears when toggled off.
  await datasets.filter('label', 'Blowhole');
  expect(await datasets.shownTotal()).toBe(MAGNETIC_TILE_COUNTS.Blowhole);
  const first = (await datasets.cells().first().getAttribute('data-path'))!;
  await datasets.cells().first().click();
  await viewer.waitFor(first);
  const on = await redPixels(await viewer.stageScreenshot(testInfo.outputPath('magnetic-tile-mask-on.png')));
  expect(on.count).toBeGreaterThan(0);
  await page.keyboard.press('m');
  await expect(viewer.maskToggle()).not.toBeChecked();
  await page.waitForFunction(() => new Promise((r) => requestAnimationFrame(() => r(true))));
  expect((await redPixels(await viewer.stageScreenshot(testInfo.outputPath('magnetic-tile-mask-off.png')))).count).toBe(0);
});
