import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/core/db.js';
import { runCli } from '../support/process.js';

// Real processes on a PGlite data directory: slow on a loaded machine.
describe('pushprov audit verify', { timeout: 180_000 }, () => {
  it('reports an intact trail with its length, and exits 1 naming the first entry someone rewrote', async () => {
    const env = { PUSHPROV_DATA_DIR: mkdtempSync(join(tmpdir(), 'pushprov-audit-')) };
    const imported = runCli(['cards', 'import', 'fixtures/demo-cards.json'], env);
    expect(await imported.exited).toBe(0);
    const intact = runCli(['audit', 'verify'], env);
    expect(await intact.exited).toBe(0);
    const entries = Number(/audit trail intact: (\d+) entries verified/.exec(intact.stdout())?.[1]);
    expect(entries).toBeGreaterThan(0);

    // Someone with the database's owner rights rewrites an entry behind the append-only trigger.
    const database = await openDatabase<unknown>({ dataDir: join(env.PUSHPROV_DATA_DIR, 'db') });
    await sql`alter table audit_log disable trigger audit_log_append_only`.execute(database.db);
    await sql`update audit_log set actor = 'someone else' where seq = 1`.execute(database.db);
    await database.close();

    const broken = runCli(['audit', 'verify'], env);
    expect(await broken.exited, broken.stdout() + broken.stderr()).toBe(1);
    expect(broken.stdout()).toContain('audit trail BROKEN at entry 1: the 0 entries before it verify');
  });
});
