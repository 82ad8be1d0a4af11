import type { Kysely } from 'kysely';

// Nonces seen per consumer key, kept until their timestamp leaves the allowed
// window; a replayed request is refused even after the simulator restarts.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('mc_oauth_nonces')
    .addColumn('consumer_key', 'text', (c) => c.notNull())
    .addColumn('nonce', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
    .addPrimaryKeyConstraint('mc_oauth_nonces_pk', ['consumer_key', 'nonce'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('mc_oauth_nonces').execute();
}
