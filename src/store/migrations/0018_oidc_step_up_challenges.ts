import { type Kysely, sql } from 'kysely';

// A step-up at the bank's identity provider is kept server-side while the
// browser is there (issue 18): its callback consumes it, so it does its
// action once, however often the provider's answer is replayed.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table auth_challenges drop constraint auth_challenges_purpose_check`.execute(db);
  await sql`alter table auth_challenges add constraint auth_challenges_purpose_check check (purpose in ('webauthn.registration', 'webauthn.authentication', 'oidc.step-up'))`.execute(
    db,
  );
}

// Pending step-ups live minutes; they go rather than block the older rule.
export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`delete from auth_challenges where purpose = 'oidc.step-up'`.execute(db);
  await sql`alter table auth_challenges drop constraint auth_challenges_purpose_check`.execute(db);
  await sql`alter table auth_challenges add constraint auth_challenges_purpose_check check (purpose in ('webauthn.registration', 'webauthn.authentication'))`.execute(
    db,
  );
}
