import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { logFilePath, openGatewayLog } from '../../src-gateway/log-file.js';

describe('openGatewayLog', () => {
  let dataDir: string;
  let file: string;

  beforeEach(() => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'omixa-log-'));
    file = logFilePath(dataDir);
  });
  afterEach(() => fs.rmSync(dataDir, { recursive: true, force: true }));

  it('creates <dataDir>/logs/omixa.log, readable by its owner only', () => {
    const log = openGatewayLog(dataDir);
    try {
      expect(log.failure).toBeUndefined();
      expect(log.file).toBe(path.join(dataDir, 'logs', 'omixa.log'));
      expect(fs.existsSync(file)).toBe(true);
      if (process.platform !== 'win32') expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    } finally {
      log.close();
    }
  });

  it('appends to a file under the limit', () => {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, 'a'.repeat(50));
    openGatewayLog(dataDir, 100).close();
    expect(fs.readFileSync(file, 'utf8')).toBe('a'.repeat(50));
    expect(fs.existsSync(`${file}.1`)).toBe(false);
  });

  it('sets a file over the limit aside as omixa.log.1, replacing the older one', () => {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(`${file}.1`, 'oldest');
    fs.writeFileSync(file, 'b'.repeat(150));
    openGatewayLog(dataDir, 100).close();
    expect(fs.readFileSync(`${file}.1`, 'utf8')).toBe('b'.repeat(150));
    expect(fs.readFileSync(file, 'utf8')).toBe('');
    expect(fs.readdirSync(path.dirname(file)).sort()).toEqual(['omixa.log', 'omixa.log.1']);
  });

  it('reports a log file it cannot open instead of failing', () => {
    fs.writeFileSync(path.join(dataDir, 'logs'), 'not a directory');
    const log = openGatewayLog(dataDir);
    expect(log.file).toBeUndefined();
    expect(log.failure).toBeInstanceOf(Error);
    log.close();
  });
});
