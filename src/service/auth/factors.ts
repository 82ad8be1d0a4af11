import type { TotpStore } from '../../store/auth/totp.js';
import type { PasskeyStore } from '../../store/auth/webauthn.js';
import type { GrantService } from './grants.js';
import type { Principal } from './identity.js';

/**
 * Which step-up methods a cardholder has, and who may add one. The first
 * method can be enrolled by a signed-in cardholder (an issuer would tie that
 * moment to its own onboarding); once one exists, adding another needs a
 * valid SCA grant from it. Otherwise a stolen session alone could enrol the
 * thief's authenticator and then pass every step-up.
 */
export interface FactorStatus {
  totp: boolean;
  passkeys: number;
}

export class Factors {
  constructor(
    private readonly totp: TotpStore,
    private readonly passkeys: PasskeyStore,
    private readonly grants: GrantService,
  ) {}

  async status(cardholderId: string): Promise<FactorStatus> {
    const [totp, passkeys] = await Promise.all([
      this.totp.isConfirmed(cardholderId),
      this.passkeys.listFor(cardholderId),
    ]);
    return { totp, passkeys: passkeys.length };
  }

  async assertMayEnrol(principal: Principal, grantToken: string | undefined): Promise<void> {
    const { totp, passkeys } = await this.status(principal.cardholderId);
    if (totp || passkeys > 0) await this.grants.check(grantToken, principal);
  }
}
