import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import type { Database } from '../../src/core/db.js';
import { AuditLog } from '../../src/store/audit.js';
import { type IssuerDb, prepareIssuerStore } from '../../src/store/store.js';
import { testDatabase } from '../support/database.js';

describe('audit log', () => {
  let database: Database<unknown>;
  let db: IssuerDb;
  let audit: AuditLog;
  const clock = new ManualClock(new Date('2026-11-25T10:00:00Z'));

  beforeAll(async () => {
    database = await testDatabase();
    db = await prepareIssuerStore(database.db);
    audit = new AuditLog(db, clock);
  });
  afterAll(async () => database.close());

  it('chains entries and verifies the chain, whatever jsonb does to key order', async () => {
    await audit.append({
      actor: 'chd_a',
      action: 'push.requested',
      subject: 'prv_1',
      outcome: 'ok',
      details: { zeta: 1, alpha: { b: 2, a: [1, 'x'] } },
    });
    clock.advance(1000);
    await audit.append({ actor: 'system', action: 'push.receipt', subject: 'prv_1', outcome: 'ok' });
    await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        audit.append({
          actor: 'chd_b',
          action: 'probe',
          subject: `prv_${i + 2}`,
          outcome: 'ok',
          details: { i },
        }),
      ),
    );
    expect(await audit.verify()).toBeUndefined();
    const history = await audit.history(['prv_1']);
    expect(history.map((h) => h.action)).toEqual(['push.requested', 'push.receipt']);
    expect(history[0]?.details).toEqual({ zeta: 1, alpha: { b: 2, a: [1, 'x'] } });
  });

  it('refuses updates and deletes at the database, and detects a forged row', async () => {
    await expect(sql`update audit_log set outcome = 'forged' where seq = 1`.execute(db)).rejects.toThrow(
      /append-only/,
    );
    await expect(sql`delete from audit_log where seq = 1`.execute(db)).rejects.toThrow(/append-only/);
    // Even someone who bypasses the trigger is caught by the chain.
    await sql`alter table audit_log disable trigger audit_log_append_only`.execute(db);
    await sql`update audit_log set outcome = 'forged' where seq = 2`.execute(db);
    await sql`alter table audit_log enable trigger audit_log_append_only`.execute(db);
    expect(await audit.verify()).toBe(2);
  });
});
