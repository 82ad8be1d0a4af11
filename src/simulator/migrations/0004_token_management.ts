import { type Kysely, sql } from 'kysely';

// MDES's issuer-side token management: a token's status now changes after
// creation (suspended, resumed, deleted), and the funding account's last four
// digits and expiry follow a replaced card. Who suspended a token decides who
// may resume it, as in MDES.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('mc_tokens')
    .addColumn('status_updated_at', 'timestamptz')
    .addColumn('suspended_by', 'text')
    .addColumn('account_expiry', 'text')
    .execute();
  await db.schema
    .alterTable('mc_tokens')
    .addCheckConstraint('mc_tokens_status', sql`status in ('ACTIVE', 'SUSPENDED', 'DELETED')`)
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('mc_tokens').dropConstraint('mc_tokens_status').execute();
  await db.schema
    .alterTable('mc_tokens')
    .dropColumn('status_updated_at')
    .dropColumn('suspended_by')
    .dropColumn('account_expiry')
    .execute();
}
