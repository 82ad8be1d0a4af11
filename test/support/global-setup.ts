import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import type { TestProject } from 'vitest/node';
import { ensureBuilt } from '../../scripts/build.mjs';
import { loadConfig } from '../../src/app/config.js';
import { devKeysDir, ensureDevKeys } from '../../src/cli/keys.js';
import { openDatabase } from '../../src/core/db.js';
import { migrateAll, onPostgres, onServer, serverDatabaseUrl } from './server-database.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The migrated database test files copy: a PGlite data directory dump, or a template on the server. */
    migratedDatabase: { dump: string } | { template: string };
    /** The development key set of this run (see test/support/dev-keys.ts). */
    devKeysDir: string;
  }
}

/**
 * Once per run, what nearly every test file would otherwise make again:
 * the migrated database (initdb and three migration sets, seconds per file
 * on PGlite), the development key set (about a second of RSA keys) and an
 * up-to-date dist/ for the CLI's child processes.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  // The CLI tests run the compiled bin (test/support/process.ts); built here, once, so that
  // files running side by side never each start a build of a stale dist/.
  ensureBuilt();
  const dir = mkdtempSync(join(tmpdir(), 'pushprov-test-run-'));
  const config = loadConfig({ PUSHPROV_DATA_DIR: dir });
  // The keys are made on libuv's threads while PGlite works on this one.
  const keys = ensureDevKeys(config, () => {});

  let template: string | undefined;
  if (onPostgres()) {
    template = `pushprov_template_${randomBytes(6).toString('hex')}`;
    await onServer(`create database ${template}`);
    const database = await openDatabase<unknown>({ url: serverDatabaseUrl(template) });
    await migrateAll(database.db).finally(() => database.close());
    project.provide('migratedDatabase', { template });
  } else {
    const dataDir = join(dir, 'db');
    const database = await openDatabase<unknown>({ dataDir });
    await migrateAll(database.db).finally(() => database.close());
    const dump = join(dir, 'migrated.tar');
    const pglite = new PGlite(dataDir);
    // dumpDataDir, unlike a query, does not wait for the database to open.
    await pglite.waitReady;
    writeFileSync(dump, new Uint8Array(await (await pglite.dumpDataDir('none')).arrayBuffer()));
    await pglite.close();
    project.provide('migratedDatabase', { dump });
  }
  await keys;
  project.provide('devKeysDir', devKeysDir(config));

  return async () => {
    if (template) await onServer(`drop database if exists ${template} with (force)`);
    rmSync(dir, { recursive: true, force: true });
  };
}
