import type { Kysely } from 'kysely';

/**
 * Indexes for the queries that read a growing table by something other than
 * its key (test/store/query-plans.db.test.ts finds them on a seeded volume):
 * the purge of expired idempotency keys, whether MDES asked about a failed
 * push's card (the ops dashboard's failures), the ops search by a card's last
 * four digits, the newest cardholders, and a cardholder's own audit entries.
 */
const INDEXES: [name: string, table: string, columns: string[]][] = [
  ['idempotency_keys_expires', 'idempotency_keys', ['expires_at']],
  ['mdes_notifications_card', 'mdes_notifications', ['card_id', 'message_type', 'received_at']],
  ['cards_last_four', 'cards', ['last_four']],
  ['cardholders_created', 'cardholders', ['created_at']],
  ['audit_log_actor', 'audit_log', ['actor', 'seq']],
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const [name, table, columns] of INDEXES)
    await db.schema.createIndex(name).on(table).columns(columns).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const [name] of INDEXES) await db.schema.dropIndex(name).execute();
}
