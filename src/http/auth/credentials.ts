import type { FastifyReply, FastifyRequest } from 'fastify';

/**
 * Where a request's credentials travel. Browsers hold the session in a
 * cookie that scripts cannot read (`HttpOnly`), that other sites' forms do
 * not send (`SameSite=Lax`), and that only travels over TLS when the issuer
 * is served over https (`Secure`, with the `__Host-` prefix that also pins
 * it to this host and path). App clients send the same token as
 * `Authorization: Bearer`, which wins when both are present.
 */
export interface SessionCookie {
  name: string;
  secure: boolean;
}

export function sessionCookieFor(issuerPublicUrl: string, purpose = 'session'): SessionCookie {
  const secure = new URL(issuerPublicUrl).protocol === 'https:';
  return { name: secure ? `__Host-pushprov_${purpose}` : `pushprov_${purpose}`, secure };
}

// Written by hand: the values are our own base64url tokens, so nothing needs
// encoding, and the guards must read cookies on routes of any plugin scope.
function serialize(jar: SessionCookie, value: string, expires: Date): string {
  return `${jar.name}=${value}; Path=/; Expires=${expires.toUTCString()}; HttpOnly; SameSite=Lax${jar.secure ? '; Secure' : ''}`;
}

export function setSessionCookie(
  reply: FastifyReply,
  jar: SessionCookie,
  token: string,
  expires: Date,
): void {
  reply.header('set-cookie', serialize(jar, token, expires));
}

export function clearSessionCookie(reply: FastifyReply, jar: SessionCookie): void {
  reply.header('set-cookie', serialize(jar, '', new Date(0)));
}

/** A cookie's value in a request's Cookie header. */
export function cookieValue(header: string, name: string): string | undefined {
  for (const pair of header.split(';')) {
    const eq = pair.indexOf('=');
    if (eq > 0 && pair.slice(0, eq).trim() === name) return pair.slice(eq + 1).trim() || undefined;
  }
  return undefined;
}

export type PresentedCredential = { token: string; via: 'bearer' | 'cookie' };

export function bearerToken(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  const match = header === undefined ? null : /^Bearer +([\x21-\x7e]+) *$/i.exec(header);
  return match?.[1];
}

export function presentedCredential(
  request: FastifyRequest,
  jar: SessionCookie,
): PresentedCredential | undefined {
  const bearer = bearerToken(request);
  if (bearer !== undefined) return { token: bearer, via: 'bearer' };
  const header = request.headers.cookie;
  const fromCookie = header === undefined ? undefined : cookieValue(header, jar.name);
  return fromCookie ? { token: fromCookie, via: 'cookie' } : undefined;
}
