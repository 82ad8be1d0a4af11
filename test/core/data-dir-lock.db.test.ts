import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/core/db.js';

describe('a PGlite data directory serves one process', () => {
  // One directory for all: PGlite's first opening runs initdb, which takes seconds.
  const dataDir = mkdtempSync(join(tmpdir(), 'pushprov-lock-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('refuses a second opening while the first is open, naming the holder, and opens again once closed', async () => {
    const first = await openDatabase({ dataDir });
    await expect(openDatabase({ dataDir })).rejects.toMatchObject({
      code: 'DATA_DIR_IN_USE',
      message: expect.stringContaining(`in use by process ${process.pid}`),
    });
    await first.close();
    expect(existsSync(join(dataDir, 'pushprov.pid'))).toBe(false);
    const again = await openDatabase({ dataDir });
    await again.close();
  });

  it('refuses a directory another live process holds', async () => {
    const other = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60_000)']);
    try {
      writeFileSync(join(dataDir, 'pushprov.pid'), `${other.pid}\n`);
      await expect(openDatabase({ dataDir })).rejects.toMatchObject({ code: 'DATA_DIR_IN_USE' });
      expect(readFileSync(join(dataDir, 'pushprov.pid'), 'utf8')).toBe(`${other.pid}\n`);
    } finally {
      other.kill('SIGKILL');
    }
  });

  it('takes over the claim of a process that died without releasing it', async () => {
    const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], {
      encoding: 'utf8',
    });
    writeFileSync(join(dataDir, 'pushprov.pid'), `${gone.stdout}\n`);
    const database = await openDatabase({ dataDir });
    expect(readFileSync(join(dataDir, 'pushprov.pid'), 'utf8')).toBe(`${process.pid}\n`);
    await database.close();
  });
});
