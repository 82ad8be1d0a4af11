import type { Kysely } from 'kysely';
import type { Clock } from '../../core/clock.js';
import { AuditLog } from '../../store/audit.js';
import { type AttemptPolicy, AttemptStore } from '../../store/auth/attempts.js';
import { ChallengeStore } from '../../store/auth/challenges.js';
import { GrantStore } from '../../store/auth/grants.js';
import { PasswordStore } from '../../store/auth/passwords.js';
import { SessionStore } from '../../store/auth/sessions.js';
import { TotpStore } from '../../store/auth/totp.js';
import { PasskeyStore } from '../../store/auth/webauthn.js';
import type { IssuerSchema } from '../../store/schema.js';
import type { Sealer } from '../../store/vault/sealer.js';
import { Factors } from './factors.js';
import { DEFAULT_GRANT_TTL_MS, GrantService } from './grants.js';
import type { CardholderIdentity, PasswordAuthenticator } from './identity.js';
import { OidcAccessTokens } from './oidc/access-tokens.js';
import { CardholderOfClaims } from './oidc/cardholders.js';
import { OidcCodeFlow } from './oidc/code-flow.js';
import type { OidcOptions } from './oidc/options.js';
import { OidcProvider } from './oidc/provider.js';
import type { OpsKeys } from './ops-keys.js';
import { PasskeyService, relyingPartyFor } from './passkeys.js';
import { SESSION_TOKEN_PREFIX, type SessionPolicy, SessionService } from './sessions.js';
import { PasswordSignIn } from './sign-in.js';
import { TotpService } from './totp.js';

/**
 * Cardholder authentication, assembled: sign-in, sessions, step-up by
 * one-time code or passkey, SCA grants, and the ops keys. The HTTP layer
 * (src/http/auth) depends only on what this returns.
 */
export interface AuthOptions {
  db: Kysely<IssuerSchema>;
  clock: Clock;
  /** Seals TOTP secrets at rest. */
  sealer: Sealer;
  /** Issuer base URL as browsers reach it: the WebAuthn relying party and the cookie's Secure flag follow it. */
  issuerPublicUrl: string;
  opsKeys: OpsKeys;
  session?: Partial<SessionPolicy>;
  grantTtlMs?: number;
  /** Failures allowed before a username or one-time code is locked, and for how long. */
  attempts?: Partial<AttemptPolicy>;
  /** Name shown by authenticator apps and passkey prompts. */
  displayName?: string;
  /** An issuer's own username/password check instead of the demo credentials. */
  authenticator?: PasswordAuthenticator;
  /** Password checks at once before a sign-in is refused as busy; default 8. */
  maxConcurrentSignIns?: number;
  /** An issuer's own identity provider instead of pushprov's sessions (sign-in routes are then not offered). */
  identity?: CardholderIdentity;
  /**
   * The bank's OpenID provider instead of the demo sign-in: the API accepts
   * its access tokens, the pages sign in and step up there (and then hold a
   * pushprov session, like after the demo sign-in).
   */
  oidc?: OidcOptions;
}

/** The bank's OpenID provider at work: its access tokens, and the pages' code flow. */
export interface OidcAuth {
  accessTokens: OidcAccessTokens;
  codeFlow: OidcCodeFlow;
}

export interface Auth {
  identity: CardholderIdentity;
  /** pushprov's own sessions; undefined when an issuer's identity provider replaces them. */
  sessions: SessionService | undefined;
  /** Present when the bank's OpenID provider signs cardholders in; the password sign-in is then not offered. */
  oidc: OidcAuth | undefined;
  authenticator: PasswordAuthenticator;
  grants: GrantService;
  factors: Factors;
  totp: TotpService;
  passkeys: PasskeyService;
  opsKeys: OpsKeys;
  issuerPublicUrl: string;
  /** Deletes expired sessions, grants, challenges and idle failure counters; for a periodic job. */
  purgeExpired(): Promise<void>;
}

const DEFAULT_SESSION_POLICY: SessionPolicy = { idleMs: 30 * 60 * 1000, maxMs: 12 * 60 * 60 * 1000 };
const DEFAULT_ATTEMPT_POLICY: AttemptPolicy = { maxFailures: 5, lockMs: 15 * 60 * 1000 };

export function createAuth(options: AuthOptions): Auth {
  const { db, clock } = options;
  const audit = new AuditLog(db, clock);
  const attempts = new AttemptStore(db);
  const sessionStore = new SessionStore(db);
  const grantStore = new GrantStore(db);
  const challenges = new ChallengeStore(db);
  const totpStore = new TotpStore(db, options.sealer);
  const passkeyStore = new PasskeyStore(db);
  const policy = { ...DEFAULT_ATTEMPT_POLICY, ...options.attempts };
  const displayName = options.displayName ?? 'pushprov';

  const grants = new GrantService(grantStore, audit, clock, options.grantTtlMs ?? DEFAULT_GRANT_TTL_MS);
  const factors = new Factors(totpStore, passkeyStore, grants);
  const sessions = options.identity
    ? undefined
    : new SessionService(sessionStore, grantStore, audit, clock, {
        ...DEFAULT_SESSION_POLICY,
        ...options.session,
      });
  const oidc = options.oidc && oidcAuth(options, options.oidc, grants, challenges);
  return {
    identity: options.identity ?? (oidc && sessions ? either(sessions, oidc.accessTokens) : sessions!),
    sessions,
    oidc,
    authenticator:
      options.authenticator ??
      new PasswordSignIn(new PasswordStore(db), attempts, clock, policy, options.maxConcurrentSignIns),
    grants,
    factors,
    totp: new TotpService(totpStore, attempts, factors, grants, audit, clock, {
      issuer: displayName,
      policy,
    }),
    passkeys: new PasskeyService(
      passkeyStore,
      challenges,
      factors,
      grants,
      audit,
      clock,
      relyingPartyFor(options.issuerPublicUrl, displayName),
      !oidc,
    ),
    opsKeys: options.opsKeys,
    issuerPublicUrl: options.issuerPublicUrl,
    async purgeExpired() {
      const now = clock.now();
      await sessionStore.purge(now);
      await grantStore.purge(now);
      await challenges.purge(now);
      await attempts.purge(now);
    },
  };
}

function oidcAuth(
  options: AuthOptions,
  settings: OidcOptions,
  grants: GrantService,
  challenges: ChallengeStore,
): OidcAuth {
  const provider = new OidcProvider(settings);
  const cardholders = new CardholderOfClaims(options.db, settings.cardholderClaim);
  return {
    accessTokens: new OidcAccessTokens(provider, cardholders, grants, options.clock, settings),
    codeFlow: new OidcCodeFlow(
      provider,
      cardholders,
      grants,
      options.sealer,
      challenges,
      options.clock,
      settings,
      `${options.issuerPublicUrl.replace(/\/$/, '')}/app/oidc/callback`,
    ),
  };
}

/** The pages' pushprov session (cookie), or the bank app's access token from the provider (bearer). */
function either(sessions: SessionService, accessTokens: OidcAccessTokens): CardholderIdentity {
  return {
    identify: (token) =>
      token.startsWith(`${SESSION_TOKEN_PREFIX}_`) ? sessions.identify(token) : accessTokens.identify(token),
  };
}
