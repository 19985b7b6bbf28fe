#!/usr/bin/env node
// `npm test`: vitest (unit + parity), then the Playwright E2E suite in browser mode against a fresh renderer
// build. Without any Chromium the E2E suite is skipped LOUDLY and the exit code is the unit tests'. Ends with
// plain summary lines ("Unit: N passed, N failed", "E2E: …") and exits non-zero when anything failed.
// Plain Node (no shell constructs) so it runs the same on Windows.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { findChromium } from './find-chromium.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const reports = path.join(root, '.cache', 'test-reports');
const bin = (...p) => path.join(root, 'node_modules', ...p);

function run(args, env = {}) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { cwd: root, stdio: 'inherit', shell: false, env: { ...process.env, ...env } });
    child.on('error', (e) => {
      console.error(`Could not start ${args[0]}: ${e.message}`);
      resolve(1);
    });
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
}

function readJson(file) {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return null;
  }
}

function failedFiles(report) {
  const files = (report.testResults ?? []).filter((t) => t.status !== 'passed').map((t) => path.relative(root, t.name));
  return files.length ? `failing files: ${files.join(', ')}` : '';
}

function banner(lines) {
  const width = Math.max(...lines.map((l) => l.length)) + 4;
  const bar = '!'.repeat(width);
  console.log(['', bar, ...lines.map((l) => `! ${l.padEnd(width - 4)} !`), bar, ''].join('\n'));
}

rmSync(reports, { recursive: true, force: true });
mkdirSync(reports, { recursive: true });
const results = [];

// 1. Unit + parity tests.
const unitJson = path.join(reports, 'vitest.json');
const unitCode = await run([bin('vitest', 'vitest.mjs'), 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${unitJson}`]);
const unit = readJson(unitJson);
results.push({
  suite: 'Unit',
  code: unitCode,
  passed: unit?.numPassedTests ?? null,
  failed: unit?.numFailedTests ?? null,
  skipped: unit ? (unit.numPendingTests ?? 0) + (unit.numTodoTests ?? 0) : null,
  note: unit ? failedFiles(unit) : 'no report: vitest crashed before finishing',
});

// 2. E2E in browser mode.
const chromium = findChromium();
if (!chromium) {
  banner([
    'E2E TESTS WERE SKIPPED: no Chromium was found.',
    'Looked for $DEFECT_STUDIO_CHROMIUM, /usr/bin/chromium and a Playwright-installed browser.',
    'Install one: `sudo apt-get install chromium` (Debian/Ubuntu) or `npx playwright install chromium`.',
    'Only the unit tests ran; the exit code is theirs.',
  ]);
  results.push({ suite: 'E2E', skippedSuite: true });
} else {
  console.log(`\nE2E: building the renderer for browser mode, then driving ${chromium.path} (${chromium.source}).`);
  const buildCode = await run([bin('vite', 'bin', 'vite.js'), 'build', '--logLevel', 'warn']);
  if (buildCode !== 0) {
    results.push({ suite: 'E2E', code: buildCode, passed: 0, failed: null, skipped: null, note: 'renderer build failed, E2E not run' });
  } else {
    const e2eJson = path.join(reports, 'e2e.json');
    const e2eCode = await run([bin('@playwright', 'test', 'cli.js'), 'test', '--reporter=list,json'], {
      PLAYWRIGHT_JSON_OUTPUT_NAME: e2eJson,
    });
    const e2e = readJson(e2eJson);
    const s = e2e?.stats;
    results.push({
      suite: 'E2E',
      code: e2eCode,
      passed: s ? s.expected + s.flaky : null,
      failed: s ? s.unexpected : null,
      skipped: s ? s.skipped : null,
      note: s ? (s.flaky ? `${s.flaky} passed only on retry` : '') : 'no report: Playwright crashed before finishing',
    });
  }
}

// 3. Summary: plain lines a person or CI log search can read.
console.log('\n==== Test summary ====');
let failed = false;
let totalPassed = 0;
let totalFailed = 0;
for (const r of results) {
  if (r.skippedSuite) {
    console.log(`${r.suite}: SKIPPED (no Chromium found)`);
    continue;
  }
  const counts = `${r.passed ?? '?'} passed, ${r.failed ?? '?'} failed${r.skipped ? `, ${r.skipped} skipped` : ''}`;
  console.log(`${r.suite}: ${counts}${r.note ? ` (${r.note})` : ''}${r.code !== 0 ? ` [exit code ${r.code}]` : ''}`);
  totalPassed += r.passed ?? 0;
  totalFailed += r.failed ?? 0;
  if (r.code !== 0 || r.failed === null || r.failed > 0) failed = true;
}
console.log(`Total: ${totalPassed} passed, ${totalFailed} failed${failed ? ' — FAILED' : ''}`);
process.exit(failed ? 1 : 0);
