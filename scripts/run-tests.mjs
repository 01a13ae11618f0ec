#!/usr/bin/env node
// `npm test`: every suite in turn — vitest (unit + integration), the keychain suite against a real Secret Service,
// the electron-vite build and, when present, the Playwright e2e suite — then one summary line for all of them.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const results = path.join(root, 'test-results');
fs.mkdirSync(results, { recursive: true });

const totals = { passed: 0, failed: 0, skipped: 0 };
let exitCode = 0;

function run(label, command, args, env = {}) {
  console.log(`\n=== ${label}: ${command} ${args.join(' ')}`);
  const started = Date.now();
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit', env: { ...process.env, ...env } });
  const status = result.status ?? 1;
  console.log(`=== ${label}: exit ${status} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  if (status !== 0) exitCode = 1;
  return status;
}

/** Adds a vitest JSON report to the totals; a missing report counts as one failure. */
function countVitest(file, status) {
  try {
    const report = JSON.parse(fs.readFileSync(file, 'utf8'));
    totals.passed += report.numPassedTests;
    totals.failed += report.numFailedTests;
    totals.skipped += report.numPendingTests + report.numTodoTests;
    if (status !== 0 && report.numFailedTests === 0) totals.failed += 1; // e.g. an error outside any test
  } catch {
    totals.failed += 1;
  }
}

const vitestJson = path.join(results, 'vitest.json');
fs.rmSync(vitestJson, { force: true });
countVitest(vitestJson, run('unit + integration', 'npx', ['vitest', 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${vitestJson}`]));

const keychainJson = path.join(results, 'keychain.json');
fs.rmSync(keychainJson, { force: true });
countVitest(keychainJson, run('keychain (real Secret Service)', 'bash', ['scripts/test-keychain.sh', '--reporter=default', '--reporter=json', `--outputFile.json=${keychainJson}`]));

const buildStatus = run('electron-vite build', 'npx', ['electron-vite', 'build']);
if (buildStatus === 0) totals.passed += 1;
else totals.failed += 1;

if (fs.existsSync(path.join(root, 'playwright.config.ts'))) {
  const e2eJson = path.join(results, 'e2e.json');
  fs.rmSync(e2eJson, { force: true });
  const status = run('e2e (Playwright, Chromium)', 'npx', ['playwright', 'test'], { PLAYWRIGHT_JSON_OUTPUT_NAME: e2eJson });
  try {
    const stats = JSON.parse(fs.readFileSync(e2eJson, 'utf8')).stats;
    totals.passed += stats.expected + stats.flaky;
    totals.failed += stats.unexpected;
    totals.skipped += stats.skipped;
    if (status !== 0 && stats.unexpected === 0) totals.failed += 1;
  } catch {
    totals.failed += 1;
  }
}

console.log(`\nTotal: ${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`);
process.exit(exitCode);
