/**
 * The bank's OpenID provider as pushprov uses it: whose access tokens the
 * API accepts, how a token names the cardholder, and which of the
 * provider's authentications count as strong customer authentication.
 */
export interface OidcOptions {
  issuer: string;
  /** The `aud` access tokens carry for pushprov. */
  audience: string;
  algorithms: string[];
  /**
   * The `typ` header values accepted on access tokens; default at+jwt alone
   * (RFC 9068), whose point is that an ID token cannot pass for one.
   */
  accessTokenTypes?: string[];
  /** The claim holding the cardholder's external reference of the card import. */
  cardholderClaim: string;
  clockToleranceSeconds: number;
  /** pushprov's client at the provider, for the bank pages' authorization code flow. */
  clientId: string;
  /** Absent: a public client, PKCE alone. */
  clientSecret?: string;
  scopes: string[];
  sca: ScaPolicy;
  /**
   * How long after fetching the provider's keys an unknown `kid` waits before
   * they are fetched again (jose's cooldown, 30 s by default): a rotation is
   * followed, a flood of made-up key ids is not a flood of fetches.
   */
  jwksCooldownMs?: number;
  /** Absent: a token valid as a JWT is accepted until it expires, revoked or not. */
  introspection?: IntrospectionOptions;
}

/** RFC 7662 introspection of each access token at the provider, so that a revoked one is refused. */
interface IntrospectionOptions {
  /** The client pushprov authenticates as (client_secret_basic). */
  clientId: string;
  clientSecret: string;
  /** How long an active answer is kept: the window in which a revocation is not yet seen. 0: none. */
  cacheSeconds: number;
}

/** Which authentications count as strong: any accepted acr or amr value, no older than `maxAgeSeconds`. */
export interface ScaPolicy {
  acr: string[];
  amr: string[];
  maxAgeSeconds: number;
}

/** A provider on the machine itself may speak plain http (a test's, a developer's). */
export function isLoopback(url: URL): boolean {
  return ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname);
}

/** A JOSE `typ` as compared: media types are case-insensitive, and `application/` may be left out (RFC 7515 §4.1.9). */
export const normalizedTokenType = (typ: string): string => typ.toLowerCase().replace(/^application\//, '');

/** Whether `typ` is RFC 9068's own, which only an access token carries. */
export const isAccessTokenType = (typ: string): boolean => normalizedTokenType(typ) === 'at+jwt';
