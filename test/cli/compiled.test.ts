import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { freePort } from '../support/process.js';

const ROOT = resolve(import.meta.dirname, '../..');

describe('the pushprov command runs the compiled JavaScript', { timeout: 180_000 }, () => {
  it('serves from dist/, built when missing or older than src/', async () => {
    const port = await freePort();
    const dataDir = mkdtempSync(join(tmpdir(), 'pushprov-compiled-'));
    const child = spawn(process.execPath, ['bin/pushprov.js', 'start', '--memory', '--only', 'simulator'], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '',
        PUSHPROV_DATA_DIR: dataDir,
        PUSHPROV_SIMULATOR_PORT: String(port),
        PUSHPROV_LOG_FORMAT: 'json',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      let out = '';
      child.stdout.on('data', (d) => {
        out += String(d);
      });
      await new Promise<void>((ready, fail) => {
        child.stdout.on('data', () => out.includes('pushprov is up') && ready());
        child.once('exit', (code) => fail(new Error(`exited ${code}`)));
      });
      expect(existsSync(join(ROOT, 'dist', 'cli.js'))).toBe(true);
      expect((await fetch(`http://127.0.0.1:${port}/readyz`)).status).toBe(200);
      // What ran is no older than the sources: a stale dist/ is rebuilt before it runs.
      expect(statSync(join(ROOT, 'dist', '.built')).mtimeMs).toBeGreaterThanOrEqual(
        newestIn(join(ROOT, 'src')),
      );
    } finally {
      const exited = new Promise((done) => child.once('exit', done));
      child.kill('SIGTERM');
      await exited;
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

function newestIn(dir: string): number {
  return Math.max(
    ...readdirSync(dir, { withFileTypes: true }).map((entry) =>
      entry.isDirectory() ? newestIn(join(dir, entry.name)) : statSync(join(dir, entry.name)).mtimeMs,
    ),
  );
}
