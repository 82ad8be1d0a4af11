import type { Clock } from '../../core/clock.js';
import { AuthError, ForbiddenError } from '../../core/errors.js';
import { newId } from '../../core/ids.js';
import type { AuditLog } from '../../store/audit.js';
import type { GrantRecord, GrantStore, ScaMethod } from '../../store/auth/grants.js';
import { newSecretToken, tokenDigest } from '../../store/auth/tokens.js';
import type { Principal } from './identity.js';

/**
 * The SCA grant: what a successful step-up yields and what a push requires.
 * Mastercard's rule is strong authentication before the push and none during
 * it, so a grant is checked, never challenged: while it is valid, every push
 * call of that cardholder in that session (retries of one push included)
 * goes through without another step-up. It is short-lived, bound to the
 * cardholder and to the session that earned it, and travels as an opaque
 * token of which only the digest is stored.
 */
export interface IssuedGrant {
  /** The bearer secret; returned once, never stored. */
  token: string;
  method: ScaMethod;
  expiresAt: Date;
}

const GRANT_TOKEN_PREFIX = 'ppg';
export const DEFAULT_GRANT_TTL_MS = 5 * 60 * 1000;

const required = () =>
  new AuthError('SCA_REQUIRED', 'strong customer authentication is required: complete a step-up first');

export class GrantService {
  constructor(
    private readonly grants: GrantStore,
    private readonly audit: AuditLog,
    private readonly clock: Clock,
    private readonly ttlMs: number = DEFAULT_GRANT_TTL_MS,
  ) {}

  async issue(principal: Principal, method: ScaMethod): Promise<IssuedGrant> {
    const now = this.clock.now();
    const token = newSecretToken(GRANT_TOKEN_PREFIX);
    const id = newId('scg');
    const expiresAt = new Date(now.getTime() + this.ttlMs);
    await this.grants.create({
      id,
      tokenHash: tokenDigest(token),
      cardholderId: principal.cardholderId,
      sessionId: principal.sessionId,
      method,
      createdAt: now,
      expiresAt,
    });
    await this.audit.append({
      actor: principal.cardholderId,
      action: 'sca.grant',
      subject: id,
      outcome: 'ok',
      details: { method, sessionId: principal.sessionId, expiresAt: expiresAt.toISOString() },
    });
    return { token, method, expiresAt };
  }

  /** The grant behind `token` if it lets this principal push now; otherwise the refusal says why. */
  async check(token: string | undefined, principal: Principal): Promise<GrantRecord> {
    if (!token?.startsWith(`${GRANT_TOKEN_PREFIX}_`)) throw required();
    const grant = await this.grants.findByTokenHash(tokenDigest(token));
    if (!grant || grant.revokedAt) throw required();
    if (grant.cardholderId !== principal.cardholderId) {
      throw new ForbiddenError('SCA_WRONG_CARDHOLDER', 'this SCA grant was issued to another cardholder');
    }
    if (grant.sessionId !== principal.sessionId) {
      throw new ForbiddenError('SCA_WRONG_SESSION', 'this SCA grant was issued in another session');
    }
    if (this.clock.now() >= grant.expiresAt) {
      throw new AuthError('SCA_EXPIRED', 'the SCA grant has expired: complete a step-up again');
    }
    return grant;
  }
}
