/**
 * Where the MDES Pre-Digitization web services live. The ISSUER hosts them
 * and MDES calls them: every operation is a POST to its path below one
 * context root, which the issuer registers with Mastercard Developers
 * together with its host name and port (docs/mastercard/pre-digitization.md §1).
 */

/** Paths of the operations below the context root (MDES Issuer Outbound API 2.0.21, `paths`). */
export const PRE_DIGITIZATION_PATHS = {
  authorizeService: '/authorizeService',
  requestActivationMethods: '/requestActivationMethods',
  deliverActivationCode: '/deliverActivationCode',
  notifyServiceActivated: '/notifyServiceActivated',
  notifyTokenUpdated: '/notifyTokenUpdated',
  validateActivationCode: '/validateActivationCode',
  getAccountInformation: '/getAccountInformation',
  notifySuspiciousEvents: '/notifySuspiciousEvents',
} as const;

export type PreDigitizationOperation = keyof typeof PRE_DIGITIZATION_PATHS;

/**
 * The context root of the spec's own server URL, `https://mybank.com/issuerServices/1/0/`
 * ("Production Server URL", `servers`): pushprov's default, for want of any
 * value Mastercard prescribes (the issuer chooses it).
 */
export const DEFAULT_CONTEXT_ROOT = '/issuerServices/1/0';

// Path segments of unreserved and sub-delimiter characters (RFC 3986 §3.3), no dot segments.
const SEGMENT = /^[A-Za-z0-9\-._~!$&'()*+,;=:@]+$/;

/**
 * A context root as pushprov keeps it: `/` alone (the root), or `/` and
 * segments without a trailing slash. Undefined when `raw` is not a path.
 */
export function parseContextRoot(raw: string): string | undefined {
  const value = raw.trim();
  if (!value.startsWith('/') || value.includes('//')) return undefined;
  const segments = value.split('/').filter((s) => s !== '');
  if (segments.some((s) => s === '.' || s === '..' || !SEGMENT.test(s))) return undefined;
  return segments.length === 0 ? '/' : `/${segments.join('/')}`;
}

/** The path of `operation` under `contextRoot` (as parseContextRoot returns it). */
export function preDigitizationPath(contextRoot: string, operation: PreDigitizationOperation): string {
  return `${contextRoot === '/' ? '' : contextRoot}${PRE_DIGITIZATION_PATHS[operation]}`;
}
