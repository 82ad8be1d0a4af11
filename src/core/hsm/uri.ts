import { HsmError } from './errors.js';

/**
 * RFC 7512 `pkcs11:` URIs, the way a key in an HSM is named in the
 * configuration: path attributes pick the token and the object
 * (`pkcs11:token=Bank;object=mc-signing;type=private`), query attributes
 * say where the PIN is (`?pin-source=file:/run/secrets/hsm-pin`, or
 * `pin-value`, which puts the PIN in the configuration itself) and which
 * module to load (`module-path`). An attribute this parser does not know is
 * refused rather than ignored: a misspelt `objet=` must not silently widen
 * the search to any key of the token.
 */
export interface Pkcs11Uri {
  token?: string;
  manufacturer?: string;
  serial?: string;
  model?: string;
  object?: string;
  /** CKA_ID, as bytes. */
  id?: Buffer;
  type?: 'private' | 'public' | 'secret-key' | 'cert' | 'data';
  pinSource?: string;
  pinValue?: string;
  modulePath?: string;
}

const PATH_ATTRIBUTES = ['token', 'manufacturer', 'serial', 'model', 'object', 'id', 'type'] as const;
const QUERY_ATTRIBUTES = ['pin-source', 'pin-value', 'module-path'] as const;
const TYPES = new Set(['private', 'public', 'secret-key', 'cert', 'data']);
// RFC 7512 §2.3: what may stand unencoded in a value.
const UNRESERVED = /^(?:[A-Za-z0-9\-._~!$'()*+,=:@&/]|%[0-9A-Fa-f]{2})*$/;

export const isPkcs11Uri = (value: string): boolean => value.trim().toLowerCase().startsWith('pkcs11:');

/** Parses a `pkcs11:` URI; HsmError HSM_URI_INVALID naming what is wrong (never a PIN). */
export function parsePkcs11Uri(text: string): Pkcs11Uri {
  const trimmed = text.trim();
  if (!isPkcs11Uri(trimmed)) throw invalid('it does not start with pkcs11:');
  const rest = trimmed.slice('pkcs11:'.length);
  const queryAt = rest.indexOf('?');
  const path = queryAt < 0 ? rest : rest.slice(0, queryAt);
  const query = queryAt < 0 ? '' : rest.slice(queryAt + 1);
  const uri: Pkcs11Uri = {};
  const seen = new Set<string>();
  for (const [part, separator, known] of [
    [path, ';', PATH_ATTRIBUTES],
    [query, '&', QUERY_ATTRIBUTES],
  ] as const) {
    if (part === '') continue;
    for (const attribute of part.split(separator)) {
      const equals = attribute.indexOf('=');
      const name = equals < 0 ? attribute : attribute.slice(0, equals);
      if (!(known as readonly string[]).includes(name)) throw invalid(`unknown attribute '${name}'`);
      if (equals < 0) throw invalid(`attribute '${name}' has no value`);
      if (seen.has(name)) throw invalid(`attribute '${name}' appears twice`);
      seen.add(name);
      const raw = attribute.slice(equals + 1);
      if (!UNRESERVED.test(raw))
        throw invalid(`attribute '${name}' has characters that must be percent-encoded`);
      assign(uri, name, raw);
    }
  }
  if (uri.object === undefined && uri.id === undefined) throw invalid('it names no key (object= or id=)');
  if (uri.pinSource !== undefined && uri.pinValue !== undefined) {
    throw invalid('pin-source and pin-value both given; keep one');
  }
  return uri;
}

function assign(uri: Pkcs11Uri, name: string, raw: string): void {
  const bytes = decode(raw, name);
  const value = bytes.toString('utf8');
  switch (name) {
    case 'id':
      uri.id = bytes;
      return;
    case 'type':
      if (!TYPES.has(value)) throw invalid(`type '${value}' is not one of ${[...TYPES].join(', ')}`);
      uri.type = value as Pkcs11Uri['type'];
      return;
    case 'pin-source':
      uri.pinSource = value;
      return;
    case 'pin-value':
      uri.pinValue = value;
      return;
    case 'module-path':
      uri.modulePath = value;
      return;
    default:
      uri[name as 'token' | 'manufacturer' | 'serial' | 'model' | 'object'] = value;
  }
}

function decode(raw: string, name: string): Buffer {
  const out: number[] = [];
  for (let i = 0; i < raw.length; i++) {
    if (raw[i] === '%') {
      out.push(Number.parseInt(raw.slice(i + 1, i + 3), 16));
      i += 2;
    } else out.push(...Buffer.from(raw[i]!, 'utf8'));
  }
  if (out.some(Number.isNaN)) throw invalid(`attribute '${name}' has a broken percent-encoding`);
  return Buffer.from(out);
}

/** The URI as it may be shown in a message or a log: the key's name, never the PIN. */
export function describePkcs11Uri(uri: Pkcs11Uri): string {
  const parts = [
    uri.token !== undefined && `token=${uri.token}`,
    uri.serial !== undefined && `serial=${uri.serial}`,
    uri.object !== undefined && `object=${uri.object}`,
    uri.id !== undefined && `id=${uri.id.toString('hex')}`,
  ].filter((p) => p !== false);
  return `pkcs11:${parts.join(';')}`;
}

const invalid = (why: string) => new HsmError('HSM_URI_INVALID', `not a usable pkcs11: URI: ${why}`);
