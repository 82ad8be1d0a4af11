import type { Kysely } from 'kysely';

/** The ops dashboard reads a window of recent pushes: an index bounds it to the window at any volume. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.createIndex('provisionings_created').on('provisionings').column('created_at').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('provisionings_created').execute();
}
