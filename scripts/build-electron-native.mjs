#!/usr/bin/env node
// Builds better-sqlite3 against Electron's ABI into resources/native/electron/, apart from the Node build that
// `npm install` made: `npm test` (Node) and `npm start` (Electron) then both work from one checkout. The package is
// copied to a temp dir and built there, so the Node binary in node_modules is never touched. Needs Electron's headers
// (node-gyp downloads them from Electron's header server) and a C++ toolchain.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';

const root = path.resolve(import.meta.dirname, '..');
const require = createRequire(path.join(root, 'package.json'));
const electronVersion = require('electron/package.json').version;
const sqliteDir = path.dirname(require.resolve('better-sqlite3/package.json'));
const sqliteVersion = require('better-sqlite3/package.json').version;
const outDir = path.join(root, 'resources', 'native', 'electron');
const stamp = path.join(outDir, 'build-stamp.json');
const wanted = { electron: electronVersion, betterSqlite3: sqliteVersion, platform: process.platform, arch: process.arch };

if (fs.existsSync(stamp) && JSON.stringify(JSON.parse(fs.readFileSync(stamp, 'utf8'))) === JSON.stringify(wanted)) {
  console.log(`better-sqlite3 for Electron ${electronVersion} is up to date`);
  process.exit(0);
}

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'omixa-native-'));
fs.cpSync(sqliteDir, work, { recursive: true, filter: (src) => !src.includes(`${path.sep}build${path.sep}`) });
const result = spawnSync(
  'npx',
  ['--yes', 'node-gyp', 'rebuild', '--release', `--target=${electronVersion}`, '--runtime=electron', '--dist-url=https://electronjs.org/headers'],
  { cwd: work, stdio: 'inherit' },
);
if (result.status !== 0) {
  console.error('could not build better-sqlite3 for Electron (Electron headers and a C++ toolchain are needed)');
  process.exit(result.status ?? 1);
}
fs.mkdirSync(outDir, { recursive: true });
fs.copyFileSync(path.join(work, 'build', 'Release', 'better_sqlite3.node'), path.join(outDir, 'better_sqlite3.node'));
fs.writeFileSync(stamp, JSON.stringify(wanted));
fs.rmSync(work, { recursive: true, force: true });
console.log(`built better-sqlite3 ${sqliteVersion} for Electron ${electronVersion} into ${path.relative(root, outDir)}`);
