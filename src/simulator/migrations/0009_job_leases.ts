import type { Kysely } from 'kysely';

// The outbox's deliveries and Click to Pay's enrolments done exactly once by
// any number of simulator instances on one database (src/core/jobs/lease.ts):
// a row carries the claim that holds it and until when.
export async function up(db: Kysely<unknown>): Promise<void> {
  for (const table of ['mc_notifications', 'mc_c2p_enrolments']) {
    await db.schema
      .alterTable(table)
      .addColumn('claimed_by', 'text')
      .addColumn('lease_until', 'timestamptz')
      .execute();
  }
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of ['mc_notifications', 'mc_c2p_enrolments']) {
    await db.schema.alterTable(table).dropColumn('lease_until').dropColumn('claimed_by').execute();
  }
}
