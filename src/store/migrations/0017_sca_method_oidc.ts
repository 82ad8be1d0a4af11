import type { Kysely } from 'kysely';
import { allowOnly } from './allowed-values.js';

// An SCA grant may also come from the bank's own identity provider (issue 18):
// a recent strong authentication there, as its token reports it.
export async function up(db: Kysely<unknown>): Promise<void> {
  await allowOnly(db, 'auth_grants', 'method', ['totp', 'webauthn', 'oidc']);
}

// Grants from the provider live minutes; they go rather than block the older rule.
export async function down(db: Kysely<unknown>): Promise<void> {
  await allowOnly(db, 'auth_grants', 'method', ['totp', 'webauthn']);
}
