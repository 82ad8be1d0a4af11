/**
 * The seams where an issuer plugs in its own identity. pushprov needs two
 * things from a sign-in system: who the cardholder behind a request is, and
 * which session the request belongs to (SCA grants are bound to it). The
 * demo username/password credentials and server-side sessions are one
 * implementation; the bank's OpenID provider, by configuration, is another
 * (src/service/auth/oidc, docs/oidc.md). Anything else implements
 * `CardholderIdentity` (verify the token, map its subject to the `chd_…` id,
 * use its session id) and passes it to `createAuth`.
 */
export interface Principal {
  cardholderId: string;
  /** Stable for the life of the sign-in; an SCA grant is only valid within it. */
  sessionId: string;
  /** When the session ends at the latest, when the identity provider knows. */
  expiresAt?: Date;
}

export interface CardholderIdentity {
  /**
   * Resolves the credential a request presented (session cookie value or
   * bearer token) to its principal; throws an `AuthError` (`SESSION_INVALID`,
   * `SESSION_EXPIRED`) when it does not stand for a live sign-in.
   */
  identify(token: string): Promise<Principal>;
}

export interface PasswordAuthenticator {
  /**
   * The cardholder id for a username and password; throws `AuthError`
   * `INVALID_CREDENTIALS` (never saying which half was wrong) or `SIGN_IN_LOCKED`.
   */
  authenticate(username: string, password: string): Promise<string>;
}
