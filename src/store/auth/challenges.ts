import type { Kysely } from 'kysely';
import type { AuthChallengesTable, IssuerSchema } from '../schema.js';

/**
 * WebAuthn challenges, and step-ups pending at the bank's identity provider, kept server-side: each is bound to the cardholder and
 * session it was issued to and to one purpose, expires, and is consumed by
 * deleting it, so it verifies at most once even under concurrent requests.
 */
type ChallengePurpose = AuthChallengesTable['purpose'];

export interface ChallengeBinding {
  cardholderId: string;
  sessionId: string;
  purpose: ChallengePurpose;
}

export class ChallengeStore {
  constructor(private readonly db: Kysely<IssuerSchema>) {}

  async create(challenge: string, binding: ChallengeBinding, now: Date, expiresAt: Date): Promise<void> {
    await this.db
      .insertInto('auth_challenges')
      .values({
        challenge,
        cardholder_id: binding.cardholderId,
        session_id: binding.sessionId,
        purpose: binding.purpose,
        created_at: now,
        expires_at: expiresAt,
      })
      .execute();
  }

  /** True when the challenge was issued for this binding and has not expired; it cannot be used again either way. */
  async consume(challenge: string, binding: ChallengeBinding, now: Date): Promise<boolean> {
    const row = await this.db
      .deleteFrom('auth_challenges')
      .where('challenge', '=', challenge)
      .where('cardholder_id', '=', binding.cardholderId)
      .where('session_id', '=', binding.sessionId)
      .where('purpose', '=', binding.purpose)
      .returning('expires_at')
      .executeTakeFirst();
    return row !== undefined && row.expires_at > now;
  }

  async purge(now: Date): Promise<number> {
    const result = await this.db
      .deleteFrom('auth_challenges')
      .where('expires_at', '<', now)
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}
