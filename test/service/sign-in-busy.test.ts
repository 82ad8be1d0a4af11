import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { hashPassword } from '../../src/service/auth/passwords.js';
import { PasswordSignIn } from '../../src/service/auth/sign-in.js';
import type { AttemptStore } from '../../src/store/auth/attempts.js';
import type { PasswordStore } from '../../src/store/auth/passwords.js';

describe('password sign-in under a flood', () => {
  it('checks at most `maxChecking` passwords at once and refuses the rest at once, uncounted', async () => {
    const hash = await hashPassword('right password');
    let claims = 0;
    const signIn = new PasswordSignIn(
      {
        find: async () => ({ username: 'alice', cardholderId: 'chd_alice', passwordHash: hash }),
      } as unknown as PasswordStore,
      {
        claim: async () => {
          claims++;
          return { granted: true };
        },
        clear: async () => undefined,
      } as unknown as AttemptStore,
      new ManualClock(),
      { maxFailures: 5, lockMs: 60_000 },
      2,
    );
    const answers = await Promise.all(
      Array.from({ length: 6 }, () =>
        signIn.authenticate('alice', 'right password').then(
          (id) => id,
          (error: { code: string; status: number }) => `${error.status} ${error.code}`,
        ),
      ),
    );
    expect(answers.filter((a) => a === 'chd_alice')).toHaveLength(2);
    expect(answers.filter((a) => a === '503 SIGN_IN_BUSY')).toHaveLength(4);
    // A busy refusal does not count against the cardholder's attempts.
    expect(claims).toBe(2);
    // Once the checks are done, sign-in is open again.
    await expect(signIn.authenticate('alice', 'right password')).resolves.toBe('chd_alice');
  });
});
