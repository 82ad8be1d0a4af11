import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');
const PINNED = resolve(ROOT, 'node_modules', `node-${process.platform}-${process.arch}`);

describe('the runtime', () => {
  // npm puts node_modules/.bin first on the PATH of its scripts, so `npm start` and
  // `npm test` run on the Node.js LTS the install brought, whatever the system's Node.js is.
  it.runIf(existsSync(PINNED))('is the Node.js LTS npm install brought, not the system one', () => {
    expect(process.execPath).toBe(resolve(PINNED, 'bin', 'node'));
    expect(Number(process.versions.node.split('.')[0])).toBeGreaterThanOrEqual(24);
  });
});
