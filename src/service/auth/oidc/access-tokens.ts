import { createHash } from 'node:crypto';
import { errors, type JWTPayload, jwtVerify } from 'jose';
import type { Clock } from '../../../core/clock.js';
import { AuthError } from '../../../core/errors.js';
import type { GrantService, IssuedGrant } from '../grants.js';
import type { CardholderIdentity, Principal } from '../identity.js';
import type { CardholderOfClaims } from './cardholders.js';
import { TokenIntrospection } from './introspection.js';
import { normalizedTokenType, type OidcOptions } from './options.js';
import { type OidcProvider, unavailable } from './provider.js';
import { assertStrongAuthentication } from './strong-authentication.js';

/**
 * pushprov as a resource server of the bank's provider: the bank's app sends
 * the provider's access token (RFC 9068 JWT: `typ` at+jwt, or another
 * `typ` the bank configured) as
 * `Authorization: Bearer`, checked against the provider's keys, issuer,
 * audience, accepted algorithms and expiry. A token that is not one is
 * refused like a session that is not one (SESSION_INVALID, SESSION_EXPIRED).
 * With introspection on, the provider is also asked whether the token is
 * still active: one it revoked is SESSION_INVALID too.
 *
 * The SCA grant is bound to a session: here the provider's session (`sid`),
 * or the token itself when the provider names none, so a grant earned with
 * one sign-in is no use with another.
 */
const IDP_SESSION_PREFIX = 'idp_';

export interface VerifiedAccessToken {
  principal: Principal;
  claims: JWTPayload;
}

function idpSessionId(issuer: string, claims: JWTPayload, token: string): string {
  const sid = typeof claims.sid === 'string' ? `sid:${claims.sid}` : `token:${token}`;
  return `${IDP_SESSION_PREFIX}${createHash('sha256').update(`${issuer}\n${sid}`).digest('base64url').slice(0, 32)}`;
}

export class OidcAccessTokens implements CardholderIdentity {
  readonly #types: ReadonlySet<string>;
  readonly #introspection: TokenIntrospection;

  constructor(
    private readonly provider: OidcProvider,
    private readonly cardholders: CardholderOfClaims,
    private readonly grants: GrantService,
    private readonly clock: Clock,
    private readonly options: OidcOptions,
  ) {
    this.#types = new Set((options.accessTokenTypes ?? ['at+jwt']).map(normalizedTokenType));
    this.#introspection = new TokenIntrospection(options.introspection?.cacheSeconds ?? 0, clock);
  }

  async identify(token: string): Promise<Principal> {
    return (await this.verify(token)).principal;
  }

  async verify(token: string): Promise<VerifiedAccessToken> {
    const { keys, introspection } = await this.provider.get();
    const { options } = this;
    let claims: JWTPayload;
    try {
      let typ: unknown;
      ({
        payload: claims,
        protectedHeader: { typ },
      } = await jwtVerify(token, keys, {
        issuer: options.issuer,
        audience: options.audience,
        algorithms: options.algorithms,
        clockTolerance: options.clockToleranceSeconds,
        currentDate: this.clock.now(),
        requiredClaims: ['sub', 'exp', 'iat'],
      }));
      // jose checks one `typ` only; a bank's provider may mark its access tokens `JWT` (Keycloak does).
      if (typeof typ !== 'string' || !this.#types.has(normalizedTokenType(typ))) {
        throw new errors.JWTClaimValidationFailed('unexpected "typ" JWT header value', claims, 'typ');
      }
    } catch (error) {
      if (error instanceof errors.JWTExpired) {
        throw new AuthError('SESSION_EXPIRED', 'the access token has expired; sign in again');
      }
      if (error instanceof errors.JWKSTimeout || !(error instanceof errors.JOSEError))
        throw unavailable(error);
      throw new AuthError('SESSION_INVALID', 'not signed in; sign in again');
    }
    // Only a token that passed every local check is sent to the provider: a forged one costs it nothing.
    if (introspection) await this.#introspection.assertActive(introspection, token, claims.exp);
    const cardholderId = await this.cardholders.cardholderId(claims);
    return {
      claims,
      principal: {
        cardholderId,
        sessionId: idpSessionId(options.issuer, claims, token),
        ...(claims.exp !== undefined && { expiresAt: new Date(claims.exp * 1000) }),
      },
    };
  }

  /** The SCA grant for an access token that reports a recent strong authentication at the provider. */
  async stepUp(token: string): Promise<IssuedGrant> {
    const { principal, claims } = await this.verify(token);
    assertStrongAuthentication(claims, this.options.sca, this.clock, this.options.clockToleranceSeconds);
    return this.grants.issue(principal, 'oidc');
  }
}
