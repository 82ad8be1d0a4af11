import { randomBytes } from 'node:crypto';
import { chmodSync, linkSync, mkdirSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * Files holding secrets, written so that a reader sees no file, the old one or
 * the whole new one, never half of one, and readable by their owner only.
 */

/** Replaces the file (rotation, regeneration). */
export function writeAtomically(path: string, content: string): void {
  renameSync(writeTemporary(path, content), path);
}

/**
 * Creates a file that must be created once, whoever gets there first: the
 * temporary file is hard-linked into place, which fails if the file exists.
 * Of several processes creating it together exactly one wins; the others get
 * `false` and read the winner's.
 */
export function publishOnce(path: string, content: string): boolean {
  const temporary = writeTemporary(path, content);
  try {
    linkSync(temporary, path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  } finally {
    unlinkSync(temporary);
  }
}

function writeTemporary(path: string, content: string): string {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const temporary = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  writeFileSync(temporary, content, { mode: 0o600, flag: 'wx' });
  // The mode given to open is filtered by the umask.
  chmodSync(temporary, 0o600);
  return temporary;
}
