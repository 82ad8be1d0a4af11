import { createHash } from 'node:crypto';
import { domainToASCII } from 'node:url';
import { ValidationError } from '../../core/errors.js';

/**
 * The OAuth 1.0a signature base string as Mastercard computes it (RFC 5849
 * §3.4.1 plus the body-hash extension), shared by the signer and the
 * verifier so both sides can never disagree.
 *
 * Mastercard's Node.js library (`mastercard-oauth1-signer`) is the
 * reference: for the same inputs this module produces the same bytes, so a
 * client using either is verified alike. Where that library departs from
 * RFC 5849 we follow it; each such rule is marked "(library)" below. The one
 * exception is an explicit default port, see `normaliseUrl`.
 */

export const SIGNATURE_METHOD = 'RSA-SHA256';
export const OAUTH_VERSION = '1.0';

/** Base64 SHA-256 of the body bytes; of the empty string when there is no body. */
export function bodyHash(body?: string | Uint8Array): string {
  return createHash('sha256')
    .update(body ?? '')
    .digest('base64');
}

export interface NormalisedUrl {
  /** scheme://host[:port]/path, lowercase scheme and host, no default port, query or fragment. */
  readonly baseUri: string;
  /** The raw query string (still percent-encoded as given), without `?`. */
  readonly query: string;
}

// url.parse, which the library uses, percent-encodes these; reproduced so
// that unencoded input signs the same as with the library.
const AUTO_ESCAPED = /[\t\n\r "'<>\\^`{|}]/g;
const URL_PARTS = /^([a-z][a-z0-9+.-]*):\/\/([^/?#]*)(.*)$/is;
const HOST_PORT = /^(?:\[([0-9a-f:.]+)\]|((?:[a-z0-9.+_-]|[\u0080-\uffff])+))(?::(\d*))?$/i;
const DEFAULT_PORTS: Readonly<Record<string, string>> = { http: '80', https: '443' };

/**
 * Splits a request URL into the base string URI and the query. A `URL` is
 * taken by its `href`, so `new URL(x)` signs like the string `new URL(x).href`.
 * The URL must be the one the server will see: pass it percent-encoded as it
 * goes on the wire (a `URL` object always is).
 */
export function normaliseUrl(url: string | URL): NormalisedUrl {
  const text = trimEdges(typeof url === 'string' ? url : url.href);
  // Backslashes before the query are path separators to url.parse.
  const queryOrFragment = text.search(/[?#]/);
  const cut = queryOrFragment === -1 ? text.length : queryOrFragment;
  const slashed = text.slice(0, cut).replaceAll('\\', '/') + text.slice(cut);

  const parts = URL_PARTS.exec(slashed);
  if (!parts) throw invalidUrl('it is not an absolute http(s) URL');
  const scheme = parts[1]!.toLowerCase();
  if (!(scheme in DEFAULT_PORTS)) throw invalidUrl(`scheme '${scheme}' is not http or https`);

  const authority = parts[2]!;
  const hostPort = HOST_PORT.exec(authority.slice(authority.lastIndexOf('@') + 1));
  if (!hostPort) throw invalidUrl('its host is not a valid host name');
  // IPv6 literals lose their brackets (library).
  const host = hostPort[1]?.toLowerCase() ?? domainToASCII(hostPort[2]!.toLowerCase());
  if (host === '') throw invalidUrl('its host is not a valid host name');
  const port = hostPort[3];
  // RFC 5849 §3.4.1.2 drops the scheme's default port. The library means to
  // but compares url.parse's string port with a number, so keeps an explicit
  // ":443"; we drop it, as RFC 5849 and Mastercard's other libraries do.
  const authorityPart = port && port !== DEFAULT_PORTS[scheme] ? `${host}:${port}` : host;

  const rest = parts[3]!.replace(
    AUTO_ESCAPED,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`,
  );
  const hash = rest.indexOf('#');
  const beforeHash = hash === -1 ? rest : rest.slice(0, hash);
  const question = beforeHash.indexOf('?');
  const path = question === -1 ? beforeHash : beforeHash.slice(0, question);
  return {
    baseUri: `${scheme}://${authorityPart}${path || '/'}`,
    query: question === -1 ? '' : beforeHash.slice(question + 1),
  };
}

// url.parse trims control characters, spaces, NBSP and BOM from both ends.
const isEdgeSpace = (code: number): boolean => code <= 0x20 || code === 0xa0 || code === 0xfeff;

function trimEdges(text: string): string {
  let start = 0;
  let end = text.length;
  while (start < end && isEdgeSpace(text.charCodeAt(start))) start++;
  while (end > start && isEdgeSpace(text.charCodeAt(end - 1))) end--;
  return text.slice(start, end);
}

/**
 * The string that is signed. `oauthParams` are the protocol parameters
 * (everything but `oauth_signature` and `realm`) with their plain values.
 */
export function signatureBaseString(
  method: string,
  url: string | URL,
  oauthParams: Iterable<readonly [string, string]>,
): string {
  if (!HTTP_METHOD.test(method)) {
    throw new ValidationError('OAUTH_METHOD_INVALID', 'the HTTP method is not a valid method token');
  }
  const { baseUri, query } = normaliseUrl(url);

  // Query parameters enter as they appear in the URL, not decoded and
  // re-encoded as RFC 5849 §3.4.1.3.2 asks, and a name=value pair that
  // repeats counts once (library).
  const params = new Map<string, Set<string>>();
  const add = (name: string, value: string) => {
    const values = params.get(name);
    if (values) values.add(value);
    else params.set(name, new Set([value]));
  };
  if (query !== '') {
    for (const pair of query.split('&')) {
      const eq = pair.indexOf('=');
      // A pair starting with "=" is all name (library).
      if (eq > 0) add(pair.slice(0, eq), pair.slice(eq + 1));
      else add(pair, '');
    }
  }
  for (const [name, value] of oauthParams) add(name, value);

  const pairs: string[] = [];
  for (const name of [...params.keys()].sort(byLibraryNameOrder)) {
    for (const value of [...params.get(name)!].sort(byCodeUnits)) pairs.push(`${name}=${value}`);
  }

  // encodeURIComponent leaves !'()* alone; the library then encodes only the
  // first "*" of the parameters and the first "!" of the whole string.
  try {
    const encodedParams = encodeURIComponent(pairs.join('&')).replace('*', '%2A');
    return `${method.toUpperCase()}&${encodeURIComponent(baseUri)}&${encodedParams}`.replace('!', '%21');
  } catch (error) {
    // encodeURIComponent refuses lone UTF-16 surrogates.
    throw invalidUrl('it contains text that is not valid Unicode', error);
  }
}

// RFC 9110 token.
const HTTP_METHOD = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

const byCodeUnits = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

// The library sorts [name, Set] entries with the default comparator, which
// compares String(entry): the name followed by ",[object Set]". So "a!"
// (0x21) sorts before "a" (whose next character is ",", 0x2C).
const byLibraryNameOrder = (a: string, b: string): number =>
  byCodeUnits(`${a},[object Set]`, `${b},[object Set]`);

const invalidUrl = (why: string, cause?: unknown) =>
  new ValidationError('OAUTH_URL_INVALID', `the request URL cannot be signed: ${why}`, { cause });
