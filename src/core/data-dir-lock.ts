import { join } from 'node:path';
import { PushprovError } from './errors.js';
import { claim } from './pid-lock.js';

/**
 * PGlite serves one process: two processes on one data directory would each
 * run their own PostgreSQL over the same files and silently diverge, so the
 * first claims the directory and a second is refused, naming the first.
 */
export function lockDataDir(dataDir: string): { release(): void } {
  const path = join(dataDir, 'pushprov.pid');
  const attempt = claim(path);
  if (attempt.held) return attempt;
  throw new PushprovError(
    'DATA_DIR_IN_USE',
    `the data directory ${dataDir} is in use by process ${attempt.holder ?? '(unknown)'}: PGlite serves one process. ` +
      'Stop that process, or run several instances on PostgreSQL (DATABASE_URL). ' +
      `If no such process runs, delete ${path}.`,
  );
}
