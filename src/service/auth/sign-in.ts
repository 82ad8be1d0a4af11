import { createHash } from 'node:crypto';
import type { Clock } from '../../core/clock.js';
import { AuthError } from '../../core/errors.js';
import type { AttemptPolicy, AttemptStore } from '../../store/auth/attempts.js';
import type { PasswordStore } from '../../store/auth/passwords.js';
import type { PasswordAuthenticator } from './identity.js';
import { lockedError } from './limits.js';
import { hashPassword, verifyPassword } from './passwords.js';

/**
 * The demo identity: usernames and scrypt-hashed passwords. Every attempt
 * costs one scrypt, whether or not the username exists, and every refusal is
 * the same `INVALID_CREDENTIALS`, so neither timing nor answers tell which
 * usernames exist. Failures are counted per username (existing or not) and
 * lock it for a while; the lock is checked before the password, so a locked
 * account cannot be probed either.
 */
export const normaliseUsername = (username: string): string =>
  username.normalize('NFKC').trim().toLowerCase();

export class PasswordSignIn implements PasswordAuthenticator {
  #dummyHash: Promise<string> | undefined;

  constructor(
    private readonly passwords: PasswordStore,
    private readonly attempts: AttemptStore,
    private readonly clock: Clock,
    private readonly policy: AttemptPolicy,
  ) {}

  async authenticate(username: string, password: string): Promise<string> {
    const name = normaliseUsername(username);
    // Keyed by digest: what people type as a username is sometimes their password.
    const key = `sign-in:${createHash('sha256').update(name).digest('hex')}`;
    const now = this.clock.now();
    const lockedUntil = await this.attempts.lockedUntil(key, now);
    if (lockedUntil) throw lockedError('SIGN_IN_LOCKED', 'sign-in attempts', now, lockedUntil);

    const credential = name === '' ? undefined : await this.passwords.find(name);
    const ok = await verifyPassword(password, credential?.passwordHash ?? (await this.#dummy()));
    if (!credential || !ok) {
      const state = await this.attempts.recordFailure(key, now, this.policy);
      if (state.lockedUntil) throw lockedError('SIGN_IN_LOCKED', 'sign-in attempts', now, state.lockedUntil);
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
