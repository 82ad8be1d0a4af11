import { PGlite } from '@electric-sql/pglite';
import { inject } from 'vitest';
import { loadConfig } from '../../src/app/config.js';
import { databaseTarget } from '../../src/cli/start.js';
import { migratedDump } from './database.js';

/**
 * Writes the migrated database where `pushprov start` with this data
 * directory keeps its embedded one, so a child process opens it without
 * initdb. PGlite only: on PostgreSQL a child is given a database's URL.
 */
export async function withMigratedDataDir(dataDir: string): Promise<string> {
  const migrated = inject('migratedDatabase');
  const target = databaseTarget(loadConfig({ PUSHPROV_DATA_DIR: dataDir }));
  if ('dump' in migrated && 'dataDir' in target) {
    const pglite = new PGlite({ dataDir: target.dataDir, loadDataDir: migratedDump(migrated.dump) });
    await pglite.waitReady;
    await pglite.close();
  }
  return dataDir;
}
