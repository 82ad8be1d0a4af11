import { generateSecret, generateURI, verify } from 'otplib';
import { type Clock, epochSeconds } from '../../core/clock.js';
import { AuthError, ConflictError } from '../../core/errors.js';
import type { AuditLog } from '../../store/audit.js';
import type { AttemptPolicy, AttemptStore } from '../../store/auth/attempts.js';
import type { TotpStore } from '../../store/auth/totp.js';
import type { Factors } from './factors.js';
import type { GrantService, IssuedGrant } from './grants.js';
import type { Principal } from './identity.js';
import { lockedError } from './limits.js';

/**
 * One-time codes (RFC 6238: SHA-1, 6 digits, 30 s, as every authenticator app
 * does). A code is accepted one step either side of now, for clock drift, and
 * each time step is accepted once: a code seen before, or one older than the
 * last accepted, is refused. Codes are counted like passwords: each claims an
 * attempt slot first, and a right one clears the count.
 */
export interface TotpEnrolmentStart {
  /** Base32; shown once so the cardholder can type it or scan `otpauthUri`. */
  secret: string;
  otpauthUri: string;
}

const PERIOD_SECONDS = 30;

export class TotpService {
  constructor(
    private readonly store: TotpStore,
    private readonly attempts: AttemptStore,
    private readonly factors: Factors,
    private readonly grants: GrantService,
    private readonly audit: AuditLog,
    private readonly clock: Clock,
    private readonly options: { issuer: string; policy: AttemptPolicy },
  ) {}

  /** Starts (or restarts) an enrolment; it counts once a first code is verified. */
  async enrol(principal: Principal, grantToken: string | undefined): Promise<TotpEnrolmentStart> {
    await this.factors.assertMayEnrol(principal, grantToken);
    const secret = generateSecret();
    await this.store.put(principal.cardholderId, secret, this.clock.now());
    await this.audit.append({
      actor: principal.cardholderId,
      action: 'sca.totp.enrol',
      subject: principal.cardholderId,
      outcome: 'pending',
    });
    return {
      secret,
      otpauthUri: generateURI({ issuer: this.options.issuer, label: principal.cardholderId, secret }),
    };
  }

  /** Checks a code; a right one confirms a pending enrolment and earns an SCA grant. */
  async verify(principal: Principal, code: string): Promise<IssuedGrant> {
    const { cardholderId } = principal;
    const key = `totp:${cardholderId}`;
    const now = this.clock.now();
    const enrolment = await this.store.find(cardholderId);
    if (!enrolment)
      throw new ConflictError('TOTP_NOT_ENROLLED', 'no one-time code authenticator is enrolled');
    // A slot is claimed before the code is looked at (one statement, see
    // AttemptStore), so parallel guesses get no more evaluations than the limit.
    const claim = await this.attempts.claim(key, now, this.options.policy);
    if (!claim.granted) throw lockedError('TOTP_LOCKED', 'one-time codes', now, claim.lockedUntil);

    // The claim already counted this attempt; the one that took the last slot answers with the lock.
    const fail = (error: AuthError): never => {
      if (claim.lockedUntil) throw lockedError('TOTP_LOCKED', 'one-time codes', now, claim.lockedUntil);
      throw error;
    };
    const result = /^\d{6}$/.test(code)
      ? await verify({
          secret: enrolment.secret,
          token: code,
          epoch: epochSeconds(this.clock),
          period: PERIOD_SECONDS,
          epochTolerance: PERIOD_SECONDS,
        })
      : { valid: false as const };
    // otplib types its answer for TOTP and HOTP alike; only a TOTP answer has a time step.
    if (!result.valid || !('timeStep' in result)) {
      return fail(new AuthError('TOTP_CODE_INVALID', 'the one-time code is not right'));
    }
    const reused = () =>
      new AuthError('TOTP_CODE_REUSED', 'this one-time code was already used; wait for the next');
    if (enrolment.lastTimeStep !== null && result.timeStep <= enrolment.lastTimeStep) return fail(reused());
    if (!(await this.store.acceptTimeStep(cardholderId, result.timeStep, now))) return fail(reused());

    await this.attempts.clear(key);
    if (!enrolment.confirmedAt) {
      await this.audit.append({
        actor: cardholderId,
        action: 'sca.totp.enrol',
        subject: cardholderId,
        outcome: 'ok',
      });
    }
    return this.grants.issue(principal, 'totp');
  }
}
