import { type Kysely, sql } from 'kysely';

// An SCA grant may also come from the bank's own identity provider (issue 18):
// a recent strong authentication there, as its token reports it.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table auth_grants drop constraint auth_grants_method_check`.execute(db);
  await sql`alter table auth_grants add constraint auth_grants_method_check check (method in ('totp', 'webauthn', 'oidc'))`.execute(
    db,
  );
}

// Grants from the provider live minutes; they go rather than block the older rule.
export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`delete from auth_grants where method = 'oidc'`.execute(db);
  await sql`alter table auth_grants drop constraint auth_grants_method_check`.execute(db);
  await sql`alter table auth_grants add constraint auth_grants_method_check check (method in ('totp', 'webauthn'))`.execute(
    db,
  );
}
