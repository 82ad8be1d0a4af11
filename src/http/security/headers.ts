import type { FastifyInstance } from 'fastify';

/**
 * The issuer's pages are its own: scripts only from itself, no framing by
 * other sites (clickjacking a push button is the attack), no sniffing of
 * JSON as HTML. Inline styles stay allowed because the home page and
 * Swagger UI use them; inline scripts do not.
 */
const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const BASE_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': CONTENT_SECURITY_POLICY,
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
};

/** Browsers honour HSTS only over https, and a development http issuer must stay reachable. */
const HSTS = 'max-age=31536000; includeSubDomains';

export interface SecurityHeadersOptions {
  publicUrl: string;
}

export function registerSecurityHeaders(app: FastifyInstance, options: SecurityHeadersOptions): void {
  const headers = { ...BASE_HEADERS };
  if (new URL(options.publicUrl).protocol === 'https:') headers['strict-transport-security'] = HSTS;
  app.addHook('onSend', async (request, reply) => {
    // A route's own, stricter header (an SVG asset's CSP, say) is never overwritten by the default.
    for (const [name, value] of Object.entries(headers)) {
      if (!reply.hasHeader(name)) reply.header(name, value);
    }
    // Card lists, provisionings and sessions must not linger in shared or browser caches.
    if (request.url.startsWith('/v1/') && !reply.hasHeader('cache-control'))
      reply.header('cache-control', 'no-store');
  });
}
