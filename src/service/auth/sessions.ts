import type { Clock } from '../../core/clock.js';
import { AuthError } from '../../core/errors.js';
import { newId } from '../../core/ids.js';
import type { AuditLog } from '../../store/audit.js';
import type { GrantStore } from '../../store/auth/grants.js';
import type { SessionStore } from '../../store/auth/sessions.js';
import { newSecretToken, tokenDigest } from '../../store/auth/tokens.js';
import type { CardholderIdentity, Principal } from './identity.js';

/**
 * Server-side sessions: the cardholder holds a random token (cookie or
 * bearer), the server only its digest. A session ends when it has been idle
 * too long, when it reaches its absolute lifetime, or when the cardholder
 * signs out; whichever comes first.
 */
export interface SessionPolicy {
  idleMs: number;
  maxMs: number;
}

export interface StartedSession {
  /** The bearer secret; returned once, never stored. */
  token: string;
  principal: Principal;
  idleExpiresAt: Date;
  expiresAt: Date;
}

export const SESSION_TOKEN_PREFIX = 'pps';
// Idle expiry is pushed forward at most once a minute, not on every request.
const TOUCH_GRANULARITY_MS = 60_000;

const invalid = () => new AuthError('SESSION_INVALID', 'not signed in; sign in again');

export class SessionService implements CardholderIdentity {
  constructor(
    private readonly sessions: SessionStore,
    private readonly grants: GrantStore,
    private readonly audit: AuditLog,
    private readonly clock: Clock,
    private readonly policy: SessionPolicy,
  ) {}

  async start(cardholderId: string): Promise<StartedSession> {
    const now = this.clock.now();
    const token = newSecretToken(SESSION_TOKEN_PREFIX);
    const id = newId('ses');
    const expiresAt = new Date(now.getTime() + this.policy.maxMs);
    const idleExpiresAt = new Date(Math.min(now.getTime() + this.policy.idleMs, expiresAt.getTime()));
    await this.sessions.create({
      id,
      tokenHash: tokenDigest(token),
      cardholderId,
      createdAt: now,
      lastSeenAt: now,
      idleExpiresAt,
      absoluteExpiresAt: expiresAt,
    });
    await this.audit.append({ actor: cardholderId, action: 'session.start', subject: id, outcome: 'ok' });
    return { token, principal: { cardholderId, sessionId: id, expiresAt }, idleExpiresAt, expiresAt };
  }

  async identify(token: string): Promise<Principal> {
    if (!token.startsWith(`${SESSION_TOKEN_PREFIX}_`)) throw invalid();
    const session = await this.sessions.findByTokenHash(tokenDigest(token));
    if (!session || session.revokedAt) throw invalid();
    const now = this.clock.now();
    if (now >= session.absoluteExpiresAt || now >= session.idleExpiresAt) {
      throw new AuthError('SESSION_EXPIRED', 'the session has expired; sign in again');
    }
    const idleExpiresAt = new Date(
      Math.min(now.getTime() + this.policy.idleMs, session.absoluteExpiresAt.getTime()),
    );
    if (idleExpiresAt.getTime() - session.idleExpiresAt.getTime() >= TOUCH_GRANULARITY_MS) {
      await this.sessions.touch(session.id, now, idleExpiresAt);
    }
    return {
      cardholderId: session.cardholderId,
      sessionId: session.id,
      expiresAt: session.absoluteExpiresAt,
    };
  }

  /** Signs out: the session and every SCA grant earned in it stop working at once. */
  async end(principal: Principal): Promise<void> {
    const now = this.clock.now();
    await this.sessions.revoke(principal.sessionId, now);
    await this.grants.revokeSession(principal.sessionId, now);
    await this.audit.append({
      actor: principal.cardholderId,
      action: 'session.end',
      subject: principal.sessionId,
      outcome: 'ok',
    });
  }
}
