import { readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PushprovError } from './errors.js';

/**
 * PGlite serves one process: two processes on one data directory would each
 * run their own PostgreSQL over the same files and silently diverge. A
 * process claims the directory with a file holding its pid, created only if
 * absent; a file left by a process that died (kill -9, power loss) is taken
 * over, as PostgreSQL does with its own postmaster.pid.
 */
const LOCK_FILE = 'pushprov.pid';

export interface DataDirLock {
  release(): void;
}

export function lockDataDir(dataDir: string): DataDirLock {
  const path = join(dataDir, LOCK_FILE);
  for (let attempt = 0; attempt < 2; attempt += 1) {
    try {
      writeFileSync(path, `${process.pid}\n`, { flag: 'wx', mode: 0o600 });
      return { release: () => releaseIfOurs(path) };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const holder = holderOf(path);
    if (holder !== undefined && isAlive(holder)) {
      throw new PushprovError(
        'DATA_DIR_IN_USE',
        `the data directory ${dataDir} is in use by process ${holder}: PGlite serves one process. ` +
          'Stop that process, or run several instances on PostgreSQL (PUSHPROV_DATABASE_URL). ' +
          `If no such process runs, delete ${path}.`,
      );
    }
    // Left by a process that is gone: only the file we read is removed, so two
    // processes taking over at once cannot both succeed (one finds the other's pid).
    if (holderOf(path) === holder) unlinkQuietly(path);
  }
  throw new PushprovError(
    'DATA_DIR_IN_USE',
    `the data directory ${dataDir} is being claimed by another process`,
  );
}

function holderOf(path: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(path, 'utf8'), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: alive, owned by someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function releaseIfOurs(path: string): void {
  if (holderOf(path) === process.pid) unlinkQuietly(path);
}

function unlinkQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // Already gone: nothing to release.
  }
}
