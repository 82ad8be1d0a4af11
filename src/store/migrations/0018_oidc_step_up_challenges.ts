import type { Kysely } from 'kysely';
import { allowOnly } from './allowed-values.js';

// A step-up at the bank's identity provider is kept server-side while the
// browser is there (issue 18): its callback consumes it, so it does its
// action once, however often the provider's answer is replayed.
export async function up(db: Kysely<unknown>): Promise<void> {
  await allowOnly(db, 'auth_challenges', 'purpose', [
    'webauthn.registration',
    'webauthn.authentication',
    'oidc.step-up',
  ]);
}

// Pending step-ups live minutes; they go rather than block the older rule.
export async function down(db: Kysely<unknown>): Promise<void> {
  await allowOnly(db, 'auth_challenges', 'purpose', ['webauthn.registration', 'webauthn.authentication']);
}
