import { type Kysely, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../../src/core/db.js';
import { SIMULATOR_MIGRATION_TABLE, simulatorMigrations } from '../../src/simulator/migrations/index.js';
import { emptyTestDatabase, type TestDatabase } from '../support/database.js';

/**
 * Migration 0007 on a simulator database that ran the invented interface:
 * its pending notifications are retired, never sent; a token may now wait
 * INACTIVE; issuers register Pre-Digitization URLs instead of authorization
 * URLs; and it goes back down.
 */
describe('simulator migration 0007_pre_digitization', () => {
  let database: TestDatabase;
  const db = () => database.db as Kysely<unknown>;
  const { '0007_pre_digitization': m0007, ...before } = simulatorMigrations;

  beforeAll(async () => {
    database = await emptyTestDatabase();
    await migrate(db(), before, SIMULATOR_MIGRATION_TABLE);
    await sql`insert into mc_clients (consumer_key, role, public_key_pem, display_name, authorization_url, created_at, updated_at)
      values ('issuer', 'issuer', 'pem', 'Bank', 'http://bank.test/v1/mdes/tokenization-authorizations', now(), now())`.execute(
      db(),
    );
    await sql`insert into mc_notifications (notification_id, issuer_consumer_key, message_type, event_key, token_unique_reference,
        body, state, attempts, next_attempt_at, created_at, updated_at)
      values ('ntf_old', 'issuer', 'TOKENIZATION_COMPLETE_NOTIFICATION', 'TCN:DWSPMC1', 'DWSPMC1', '{}', 'pending', 0, now(), now(), now())`.execute(
      db(),
    );
    await migrate(db(), simulatorMigrations, SIMULATOR_MIGRATION_TABLE);
  });
  afterAll(async () => database?.close());

  it('retires the invented notifications still pending, and lets a token wait INACTIVE', async () => {
    const { rows } = await sql<{ state: string; last_error: string }>`
      select state, last_error from mc_notifications where notification_id = 'ntf_old'`.execute(db());
    expect(rows).toEqual([{ state: 'rejected', last_error: 'INTERFACE_RETIRED' }]);
    const { rows: columns } = await sql<{ column_name: string }>`
      select column_name from information_schema.columns where table_name = 'mc_clients'
        and column_name in ('authorization_url', 'pre_digitization_url')`.execute(db());
    expect(columns.map((c) => c.column_name)).toEqual(['pre_digitization_url']);
    await expect(
      sql`insert into mc_tokens (token_unique_reference, token_requestor_id, issuer_consumer_key, account_last_four,
          account_sealed, token_last_four, token_sealed, token_expiry, status, created_at)
        values ('DWSPMC2', '50182375119', 'issuer', '4444', '\\x00', '1234', '\\x00', '1229', 'INACTIVE', now())`.execute(
        db(),
      ),
    ).resolves.toBeDefined();
    await expect(
      sql`update mc_tokens set status = 'PENDING' where token_unique_reference = 'DWSPMC2'`.execute(db()),
    ).rejects.toThrow(/mc_tokens_status/);
  });

  it('goes back down: tokens awaiting activation go, the authorization URL column returns', async () => {
    await m0007?.down?.(db());
    const { rows } = await sql<{
      n: number;
    }>`select count(*)::int as n from mc_tokens where status = 'INACTIVE'`.execute(db());
    expect(rows[0]?.n).toBe(0);
    const { rows: columns } = await sql<{ column_name: string }>`
      select column_name from information_schema.columns where table_name = 'mc_clients' and column_name = 'authorization_url'`.execute(
      db(),
    );
    expect(columns).toHaveLength(1);
  });
});
