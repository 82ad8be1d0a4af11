import { createHash } from 'node:crypto';
import type { Clock } from '../../core/clock.js';
import { AuthError, PushprovError } from '../../core/errors.js';
import type { AttemptPolicy, AttemptStore } from '../../store/auth/attempts.js';
import type { PasswordStore } from '../../store/auth/passwords.js';
import type { PasswordAuthenticator } from './identity.js';
import { lockedError } from './limits.js';
import { hashPassword, verifyPassword } from './passwords.js';

/**
 * The demo identity: usernames and scrypt-hashed passwords. Every attempt
 * costs one scrypt, whether or not the username exists, and every refusal is
 * the same `INVALID_CREDENTIALS`, so neither timing nor answers tell which
 * usernames exist. Attempts are counted per username (existing or not) and
 * lock it for a while. Each attempt claims a slot before its password is
 * checked (one statement, see AttemptStore), so a locked account cannot be
 * probed, and a burst of parallel guesses gets no more evaluations than the
 * limit.
 */
export const normaliseUsername = (username: string): string =>
  username.normalize('NFKC').trim().toLowerCase();

export class PasswordSignIn implements PasswordAuthenticator {
  #dummyHash: Promise<string> | undefined;
  #checking = 0;

  /**
   * `maxChecking` bounds the password hashes computed at once: beyond it a
   * sign-in is refused at once (SIGN_IN_BUSY, retry in a second) rather
   * than queued behind a flood, and before it counts as an attempt.
   */
  constructor(
    private readonly passwords: PasswordStore,
    private readonly attempts: AttemptStore,
    private readonly clock: Clock,
    private readonly policy: AttemptPolicy,
    private readonly maxChecking = 8,
  ) {}

  async authenticate(username: string, password: string): Promise<string> {
    if (this.#checking >= this.maxChecking) {
      throw new PushprovError('SIGN_IN_BUSY', 'too many sign-ins at once; try again in a moment', {
        status: 503,
        details: { retryAfterSeconds: 1 },
      });
    }
    this.#checking++;
    try {
      return await this.#authenticate(username, password);
    } finally {
      this.#checking--;
    }
  }

  async #authenticate(username: string, password: string): Promise<string> {
    const name = normaliseUsername(username);
    // Keyed by digest: what people type as a username is sometimes their password.
    const key = `sign-in:${createHash('sha256').update(name).digest('hex')}`;
    const now = this.clock.now();
    const claim = await this.attempts.claim(key, now, this.policy);
    if (!claim.granted) throw lockedError('SIGN_IN_LOCKED', 'sign-in attempts', now, claim.lockedUntil);

    const credential = name === '' ? undefined : await this.passwords.find(name);
    const ok = await verifyPassword(password, credential?.passwordHash ?? (await this.#dummy()));
    if (!credential || !ok) {
      // Already counted by the claim; the claim that took the last slot answers with the lock.
      if (claim.lockedUntil) throw lockedError('SIGN_IN_LOCKED', 'sign-in attempts', now, claim.lockedUntil);
      throw new AuthError('INVALID_CREDENTIALS', 'the username or password is not right');
    }
    await this.attempts.clear(key);
    return credential.cardholderId;
  }

  // Same cost as a real hash, computed once, so an unknown username takes as long as a known one.
  #dummy(): Promise<string> {
    this.#dummyHash ??= hashPassword('pushprov: no such user');
    return this.#dummyHash;
  }
}
