import { createHash } from 'node:crypto';
import * as client from 'openid-client';
import type { Clock } from '../../../core/clock.js';
import { AuthError } from '../../../core/errors.js';
import { unavailable } from './provider.js';

// Enough for every cardholder active within one cache window of a bank's instance; a flood of tokens
// evicts the oldest answers (they are asked about again), it never grows the process.
const MAX_CACHED = 50_000;

/**
 * Asks the provider whether an access token that is valid as a JWT is still
 * active (RFC 7662), so that a token revoked there (sign-out, a blocked
 * account, a stolen phone) is refused before it expires. Fails closed: no
 * answer is IDENTITY_PROVIDER_UNAVAILABLE, never an accepted token.
 *
 * Active answers are kept for `cacheSeconds` (never past the token's `exp`),
 * keyed by a digest of the token: the token itself is held no longer than
 * the request. Inactive answers and failures are not kept.
 */
export class TokenIntrospection {
  /** Token digest → until when (epoch ms) its active answer holds. */
  readonly #active = new Map<string, number>();

  constructor(
    private readonly cacheSeconds: number,
    private readonly clock: Clock,
  ) {}

  /** `endpoint`: the provider as its introspection endpoint's client sees it. */
  async assertActive(endpoint: client.Configuration, token: string, exp: number | undefined): Promise<void> {
    const now = this.clock.now().getTime();
    const key = createHash('sha256').update(token).digest('base64url');
    const until = this.#active.get(key);
    if (until !== undefined && until > now) return;
    this.#active.delete(key);
    let active: boolean;
    try {
      ({ active } = await client.tokenIntrospection(endpoint, token, {
        token_type_hint: 'access_token',
      }));
    } catch (error) {
      throw unavailable(error);
    }
    if (active !== true) {
      throw new AuthError('SESSION_INVALID', 'the access token is no longer active; sign in again');
    }
    const keepUntil = Math.min(
      now + this.cacheSeconds * 1000,
      exp === undefined ? Number.POSITIVE_INFINITY : exp * 1000,
    );
    if (keepUntil > now) this.#keep(key, keepUntil, now);
  }

  #keep(key: string, until: number, now: number): void {
    if (this.#active.size >= MAX_CACHED) {
      for (const [k, u] of this.#active) if (u <= now) this.#active.delete(k);
      // Still full: the oldest answers go first (a Map iterates in insertion order).
      for (const k of this.#active.keys()) {
        if (this.#active.size < MAX_CACHED) break;
        this.#active.delete(k);
      }
    }
    this.#active.set(key, until);
  }
}
