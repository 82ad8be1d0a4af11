import { cpSync } from 'node:fs';
import { join } from 'node:path';
import { inject } from 'vitest';

/**
 * Gives `dataDir` the development key set the global set-up generated for
 * this run, where `ensureDevKeys` looks, so a stack loads it instead of
 * generating its own. A copy, since the issuer adds its own files there.
 * Tests of key generation itself generate their own.
 */
export function withDevKeys(dataDir: string): string {
  cpSync(inject('devKeysDir'), join(dataDir, 'keys'), { recursive: true });
  return dataDir;
}
