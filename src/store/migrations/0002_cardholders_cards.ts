import { type Kysely, sql } from 'kysely';

// Cardholders and their cards. No PII or card data sits here in clear: the
// profile, PAN and CVC are vault blobs; email, phone and PAN are findable
// only through keyed blind indexes. What stays clear is what PCI DSS lets a
// card system show: the last four digits and at most the first eight.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('cardholders')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('external_ref', 'text', (c) => c.notNull().unique())
    .addColumn('profile_sealed', 'bytea', (c) => c.notNull())
    .addColumn('email_index', 'bytea', (c) => c.notNull())
    .addColumn('phone_index', 'bytea', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('cardholders_email_index').on('cardholders').column('email_index').execute();
  await db.schema.createIndex('cardholders_phone_index').on('cardholders').column('phone_index').execute();

  await db.schema
    .createTable('cards')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('cardholder_id', 'text', (c) => c.notNull().references('cardholders.id'))
    .addColumn('external_ref', 'text', (c) => c.notNull().unique())
    .addColumn('pan_sealed', 'bytea', (c) => c.notNull())
    .addColumn('cvc_sealed', 'bytea')
    // One card per PAN: a second record for the same account is a mistake to refuse.
    .addColumn('pan_fingerprint', 'bytea', (c) => c.notNull().unique())
    .addColumn('last_four', 'text', (c) => c.notNull().check(sql`last_four ~ '^[0-9]{4}$'`))
    .addColumn('pan_prefix', 'text', (c) => c.notNull().check(sql`pan_prefix ~ '^[0-9]{6,8}$'`))
    .addColumn('expiry_month', 'integer', (c) => c.notNull().check(sql`expiry_month between 1 and 12`))
    .addColumn('expiry_year', 'integer', (c) => c.notNull())
    .addColumn('country', 'text', (c) => c.notNull().check(sql`country ~ '^[A-Z]{2}$'`))
    .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('active', 'blocked', 'closed')`))
    .addColumn('product_name', 'text', (c) => c.notNull())
    .addColumn('card_art_ref', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('cards_cardholder').on('cards').column('cardholder_id').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('cards').execute();
  await db.schema.dropTable('cardholders').execute();
}
