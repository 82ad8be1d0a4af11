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
    // Appended, not yet chained: intact as far as it goes, the entries counted as waiting.
    expect(await audit.verify()).toEqual({ brokenAt: undefined, checked: 0, unsealed: 12 });
    expect(await audit.seal()).toBe(12);
    expect(await audit.seal()).toBe(0);
    expect(await audit.verify()).toEqual({ brokenAt: undefined, checked: 12, unsealed: 0 });
    // Page by page, the chain carries across page boundaries.
    expect(await audit.verify(5)).toEqual({ brokenAt: undefined, checked: 12, unsealed: 0 });
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
    expect(await audit.verify()).toEqual({ brokenAt: 2, checked: 1, unsealed: 0 });
  });
});

describe('audit chain verification finds the first broken entry', () => {
  const tampered = async (...mutations: string[]) => {
    const database = await testDatabase();
    const db = await prepareIssuerStore(database.db);
    const audit = new AuditLog(db, new ManualClock(new Date('2026-11-25T10:00:00Z')));
    for (let i = 1; i <= 7; i++)
      await audit.append({ actor: 'system', action: 'probe', outcome: 'ok', details: { i } });
    await audit.seal();
    await sql`alter table audit_log disable trigger audit_log_append_only`.execute(db);
    for (const mutation of mutations) await sql.raw(mutation).execute(db);
    const verdict = await audit.verify(3);
    await database.close();
    return verdict;
  };

  it('a deleted entry: its seal is left without it', async () => {
    expect(
      await tampered(
        'alter table audit_seals disable trigger audit_seals_append_only',
        'delete from audit_seals where seq = 4',
        'delete from audit_log where seq = 4',
      ),
    ).toMatchObject({ brokenAt: 5, checked: 3 });
  });

  it('the last seal deleted: its entry is left unchained', async () => {
    expect(
      await tampered(
        'alter table audit_seals disable trigger audit_seals_append_only',
        'delete from audit_seals where seq = 7',
      ),
    ).toMatchObject({ brokenAt: 7, checked: 6 });
  });

  it('two rows swapped in order', async () => {
    // The entries change places, each keeping its own hashes: a reordering, not a rewrite.
    const swap = [
      'create temporary table swapped as select * from audit_log where seq in (5, 6)',
      `update audit_log a
        set (at, actor, action, subject, outcome, details) =
          (select at, actor, action, subject, outcome, details
             from swapped b where b.seq = case a.seq when 5 then 6 else 5 end)
        where a.seq in (5, 6)`,
    ];
    expect(await tampered(...swap)).toMatchObject({ brokenAt: 5, checked: 4 });
  });

  it('the last row rewritten', async () => {
    expect(await tampered(`update audit_log set actor = 'someone' where seq = 7`)).toMatchObject({
      brokenAt: 7,
      checked: 6,
    });
  });
});

describe('appending without a lock', () => {
  it('concurrent appends and two sealers at once: every entry sealed exactly once, the chain intact', async () => {
    const database = await testDatabase();
    const db = await prepareIssuerStore(database.db);
    const audit = new AuditLog(db, new ManualClock(new Date('2026-11-25T10:00:00Z')));
    await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        audit.append({
          actor: `chd_${i % 4}`,
          action: 'probe',
          subject: `prv_${i}`,
          outcome: 'ok',
          details: { i },
        }),
      ),
    );
    const [a, b] = await Promise.all([audit.seal(), audit.seal()]);
    expect(a + b + (await audit.seal())).toBe(40);
    expect(await audit.verify()).toEqual({ brokenAt: undefined, checked: 40, unsealed: 0 });
    await database.close();
  });
});
