import type { FastifyRequest, onRequestAsyncHookHandler } from 'fastify';
import { AuthError, ForbiddenError } from '../../core/errors.js';
import type { Principal } from '../../service/auth/identity.js';
import type { Auth } from '../../service/auth/index.js';
import type { GrantRecord } from '../../store/auth/grants.js';
import { bearerToken, presentedCredential, type SessionCookie, sessionCookieFor } from './credentials.js';

/**
 * The hooks that guard issuer routes, run as each route's `onRequest`: a
 * caller is identified before its body is even read, so an anonymous or
 * foreign request is refused (401/403) whatever it sends.
 * - `requireCardholder`: a signed-in cardholder (session cookie or bearer
 *   token); sets `request.cardholder`.
 * - `requireGrant`: a signed-in cardholder *and* a valid SCA grant in the
 *   `Pushprov-SCA-Grant` header, earned in the same session; sets
 *   `request.cardholder` and `request.scaGrant`. Push routes use it: the
 *   grant is checked, never challenged, so a push never asks for a step-up.
 * - `requireOps`: an ops API key as `Authorization: Bearer`; a cardholder
 *   session is refused with `OPS_ONLY`; sets `request.ops`.
 *
 * The grant travels in a header rather than riding on the session so that
 * a push is authorised only by a request that deliberately carries it: a
 * cross-site request riding on the cookie cannot, and a stolen session
 * cookie without the grant cannot push either.
 */
declare module 'fastify' {
  interface FastifyRequest {
    cardholder?: Principal;
    scaGrant?: GrantRecord;
    ops?: { keyId: string };
  }
}

const SCA_GRANT_HEADER = 'pushprov-sca-grant';

export interface AuthGuards {
  requireCardholder: onRequestAsyncHookHandler;
  requireGrant: onRequestAsyncHookHandler;
  requireOps: onRequestAsyncHookHandler;
  cookie: SessionCookie;
}

const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

export function scaGrantOf(request: FastifyRequest): string | undefined {
  const value = request.headers[SCA_GRANT_HEADER];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** The signed-in cardholder of a request that passed `requireCardholder`. */
export function cardholderOf(request: FastifyRequest): Principal {
  if (!request.cardholder) throw new AuthError('SESSION_REQUIRED', 'sign in first');
  return request.cardholder;
}

/** Who acted, for the audit trail, on a route behind `requireOps`: the ops key's id. */
export const opsActor = (request: FastifyRequest): string =>
  request.ops ? `ops:${request.ops.keyId}` : 'ops';

/**
 * Refuses a state-changing request that a browser says comes from another
 * site: SameSite=Lax keeps the cookie off cross-site POSTs, and this also
 * covers sibling subdomains, which count as the same site.
 */
export function assertSameOrigin(request: FastifyRequest, origin: string): void {
  if (!UNSAFE.has(request.method)) return;
  const given = request.headers.origin;
  const site = request.headers['sec-fetch-site'];
  // Under `Referrer-Policy: no-referrer` a browser's own form POST says `Origin: null`; then only
  // Fetch Metadata can vouch for it (a sandboxed frame on another site says cross-site).
  const crossSite =
    given === 'null'
      ? site !== 'same-origin'
      : given !== undefined
        ? given !== origin
        : site === 'cross-site';
  if (crossSite) throw new ForbiddenError('CROSS_ORIGIN_REFUSED', 'requests from other origins are refused');
}

export function authGuards(auth: Auth): AuthGuards {
  const jar = sessionCookieFor(auth.issuerPublicUrl);
  const origin = new URL(auth.issuerPublicUrl).origin;

  const identify = async (request: FastifyRequest): Promise<Principal> => {
    if (request.cardholder) return request.cardholder;
    const credential = presentedCredential(request, jar);
    if (!credential) throw new AuthError('SESSION_REQUIRED', 'sign in first');
    // A bearer token is never sent by a browser on its own, so only the cookie needs the origin check.
    if (credential.via === 'cookie') assertSameOrigin(request, origin);
    const principal = await auth.identity.identify(credential.token);
    request.cardholder = principal;
    return principal;
  };

  return {
    cookie: jar,
    requireCardholder: async (request) => {
      await identify(request);
    },
    requireGrant: async (request) => {
      const principal = await identify(request);
      request.scaGrant = await auth.grants.check(scaGrantOf(request), principal);
    },
    requireOps: async (request) => {
      const bearer = bearerToken(request);
      const keyId = bearer === undefined ? undefined : auth.opsKeys.match(bearer);
      if (keyId !== undefined) {
        request.ops = { keyId };
        return;
      }
      // Only to choose the refusal: a live cardholder session hears OPS_ONLY.
      const credential = presentedCredential(request, jar);
      const cardholder =
        credential &&
        (await auth.identity.identify(credential.token).catch((error: unknown) => {
          if (error instanceof AuthError) return undefined;
          throw error;
        }));
      if (cardholder)
        throw new ForbiddenError('OPS_ONLY', 'this route is for issuer operations, not cardholders');
      if (bearer !== undefined) throw new AuthError('OPS_KEY_INVALID', 'the ops API key is not valid');
      throw new AuthError('OPS_AUTH_REQUIRED', 'send an ops API key as Authorization: Bearer');
    },
  };
}
