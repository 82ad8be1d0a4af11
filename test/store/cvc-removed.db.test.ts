import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Database, migrate } from '../../src/core/db.js';
import { prepareMerchantStore } from '../../src/merchant/app.js';
import { prepareSimulatorStore } from '../../src/simulator/app.js';
import { ISSUER_MIGRATION_TABLE, issuerMigrations } from '../../src/store/migrations/index.js';
import { prepareIssuerStore } from '../../src/store/store.js';
import { emptyTestDatabase, onPostgres } from '../support/database.js';

/**
 * Card verification codes are not kept anywhere (issue 14, PCI DSS 3.3):
 * migration 0012 drops the issuer's `cards.cvc_sealed` with whatever it
 * held, and no table of the issuer, the simulator or the demo merchant has
 * a column for one.
 */
describe(`card verification codes at rest on ${onPostgres() ? 'PostgreSQL' : 'PGlite'}`, () => {
  let database: Database<unknown>;

  beforeAll(async () => {
    database = await emptyTestDatabase();
  });
  afterAll(async () => database.close());

  const columns = async (table: string) =>
    (
      await sql<{ column_name: string }>`
        select column_name from information_schema.columns
        where table_schema = current_schema() and table_name = ${table}`.execute(database.db)
    ).rows.map((r) => r.column_name);

  it('migration 0012 drops the CVCs existing cards held, and keeps the cards', async () => {
    const before = Object.fromEntries(
      Object.entries(issuerMigrations).filter(([name]) => name < '0013_drop_card_cvc'),
    );
    await migrate(database.db, before, ISSUER_MIGRATION_TABLE);
    expect(await columns('cards')).toContain('cvc_sealed');
    const now = new Date();
    await sql`insert into cardholders (id, external_ref, profile_sealed, email_index, phone_index, created_at, updated_at)
      values ('chd_cvc00001', 'h-cvc', '\\x00', '\\x01', '\\x02', ${now}, ${now})`.execute(database.db);
    await sql`insert into cards (id, cardholder_id, external_ref, pan_sealed, cvc_sealed, pan_fingerprint, last_four,
        pan_prefix, expiry_month, expiry_year, country, status, product_name, created_at, updated_at)
      values ('crd_cvc00001', 'chd_cvc00001', 'c-cvc', '\\x03', '\\x04', '\\x05', '4444', '55555555', 12, 2030, 'GB',
        'active', 'Platinum', ${now}, ${now})`.execute(database.db);

    await prepareIssuerStore(database.db);
    expect(await columns('cards')).not.toContain('cvc_sealed');
    const { rows } = await sql<{ id: string; last_four: string }>`select id, last_four from cards`.execute(
      database.db,
    );
    expect(rows).toEqual([{ id: 'crd_cvc00001', last_four: '4444' }]);
  });

  it('leaves no column for a card verification code in any table of the issuer, the simulator or the merchant', async () => {
    await prepareIssuerStore(database.db);
    await prepareSimulatorStore(database.db);
    await prepareMerchantStore(database.db);
    const { rows } = await sql<{ table_name: string; column_name: string }>`
      select table_name, column_name from information_schema.columns
      where table_schema = current_schema()`.execute(database.db);
    expect(rows.length).toBeGreaterThan(100);
    const tables = new Set(rows.map((r) => r.table_name));
    expect(tables).toContain('cards');
    expect(tables).toContain('mc_receipts');
    const securityCodes = rows.filter((r) =>
      /(^|_)(cvc2?|cvv2?|cid|csc)(_|$)|security_?code|verification_?(code|value)/i.test(r.column_name),
    );
    expect(securityCodes).toEqual([]);
  });
});
