import { type Kysely, sql } from 'kysely';

/**
 * The audit trail without a global lock. An entry is appended freely (in the
 * transaction of the change it records) and listed as unsealed; a sealer, one
 * at a time across instances, chains unsealed entries in the order it takes
 * them, each seal's hash covering the entry and the seal before it. Entries of
 * the former design keep their own chain in `prev_hash`/`hash`; the first seal
 * follows the last of them.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('audit_log')
    .alterColumn('prev_hash', (c) => c.dropNotNull())
    .execute();
  await db.schema
    .alterTable('audit_log')
    .alterColumn('hash', (c) => c.dropNotNull())
    .execute();
  await db.schema
    .createTable('audit_seals')
    .addColumn('position', 'bigint', (c) => c.generatedAlwaysAsIdentity().primaryKey())
    .addColumn('seq', 'integer', (c) => c.notNull().unique().references('audit_log.seq'))
    .addColumn('hash', 'text', (c) => c.notNull())
    .execute();
  await sql`
    create trigger audit_seals_append_only before update or delete on audit_seals
    for each row execute function audit_log_refuse_change()`.execute(db);
  await db.schema
    .createTable('audit_unsealed')
    .addColumn('seq', 'integer', (c) => c.primaryKey().references('audit_log.seq'))
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('audit_unsealed').execute();
  await db.schema.dropTable('audit_seals').execute();
}
