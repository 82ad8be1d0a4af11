import { type KeyObject, verify } from 'node:crypto';
import { type Clock, epochSeconds, systemClock } from '../../core/clock.js';
import { AuthError, ConfigError, ValidationError } from '../../core/errors.js';
import { bodyHash, OAUTH_VERSION, SIGNATURE_METHOD, signatureBaseString } from './base-string.js';
import type { NonceStore } from './nonce-store.js';

export { MemoryNonceStore, type NonceStore } from './nonce-store.js';

/** Why a request was refused; each is an AuthError (401) with this code. */
export const OAuthErrorCode = {
  MISSING: 'OAUTH_MISSING',
  MALFORMED: 'OAUTH_MALFORMED',
  UNSUPPORTED_SIGNATURE_METHOD: 'OAUTH_UNSUPPORTED_SIGNATURE_METHOD',
  UNKNOWN_CONSUMER_KEY: 'OAUTH_UNKNOWN_CONSUMER_KEY',
  BODY_HASH_MISMATCH: 'OAUTH_BODY_HASH_MISMATCH',
  BAD_SIGNATURE: 'OAUTH_BAD_SIGNATURE',
  TIMESTAMP_OUT_OF_WINDOW: 'OAUTH_TIMESTAMP_OUT_OF_WINDOW',
  NONCE_REPLAYED: 'OAUTH_NONCE_REPLAYED',
} as const;
export type OAuthErrorCode = (typeof OAuthErrorCode)[keyof typeof OAuthErrorCode];

export interface OAuthVerifierOptions {
  /** The public key registered for a consumer key; undefined when the key is unknown. */
  resolveKey(consumerKey: string): KeyObject | undefined | Promise<KeyObject | undefined>;
  nonces: NonceStore;
  clock?: Clock;
  /** How far a timestamp may be from now, either way; default 300 seconds. */
  windowSeconds?: number;
}

export interface OAuthRequest {
  method: string;
  /** The absolute URL as the client signed it: scheme, host, path and query as received. */
  url: string | URL;
  body?: string | Uint8Array;
  authorization: string | undefined;
}

const REQUIRED = [
  'oauth_body_hash',
  'oauth_consumer_key',
  'oauth_nonce',
  'oauth_signature',
  'oauth_signature_method',
  'oauth_timestamp',
] as const;

/**
 * Checks OAuth 1.0a requests the way Mastercard's gateway does, for the
 * simulator. Cheap checks run first; the nonce is remembered only once the
 * signature is good, so nobody can burn another client's nonces.
 */
export class OAuthVerifier {
  readonly #resolveKey: OAuthVerifierOptions['resolveKey'];
  readonly #nonces: NonceStore;
  readonly #clock: Clock;
  readonly #windowSeconds: number;

  constructor(options: OAuthVerifierOptions) {
    this.#resolveKey = options.resolveKey;
    this.#nonces = options.nonces;
    this.#clock = options.clock ?? systemClock;
    this.#windowSeconds = options.windowSeconds ?? 300;
  }

  async verify(req: OAuthRequest): Promise<{ consumerKey: string }> {
    const credentials = readCredentials(req.authorization);
    if (Math.abs(epochSeconds(this.#clock) - credentials.timestamp) > this.#windowSeconds) {
      throw refuse(
        'TIMESTAMP_OUT_OF_WINDOW',
        `oauth_timestamp is more than ${this.#windowSeconds} seconds from the server's time`,
      );
    }

    const { consumerKey, nonce } = credentials;
    const key = await this.#resolveKey(consumerKey);
    if (!key) throw refuse('UNKNOWN_CONSUMER_KEY', 'the consumer key is not known');
    if (key.asymmetricKeyType !== 'rsa') {
      throw new ConfigError(['the key registered for an OAuth consumer key is not an RSA key']);
    }

    if (credentials.bodyHash !== bodyHash(req.body)) {
      throw refuse('BODY_HASH_MISMATCH', 'oauth_body_hash does not match the body');
    }

    let baseString: string;
    try {
      baseString = signatureBaseString(req.method, req.url, credentials.signed);
    } catch (error) {
      if (error instanceof ValidationError) throw refuse('MALFORMED', error.message, error);
      throw error;
    }
    if (!verify('sha256', Buffer.from(baseString, 'utf8'), key, credentials.signature)) {
      throw refuse('BAD_SIGNATURE', 'the OAuth signature does not match the request');
    }

    const expiresAt = new Date((credentials.timestamp + this.#windowSeconds + 1) * 1000);
    if (!(await this.#nonces.remember(consumerKey, nonce, expiresAt))) {
      throw refuse('NONCE_REPLAYED', 'this oauth_nonce was already used');
    }
    return { consumerKey };
  }
}

interface Credentials {
  consumerKey: string;
  nonce: string;
  timestamp: number;
  bodyHash: string;
  signature: Buffer;
  /** The parameters that enter the signature base string. */
  signed: [string, string][];
}

/** The header's OAuth parameters, checked for presence and form only. */
function readCredentials(header: string | undefined): Credentials {
  const params = parseAuthorization(header);
  for (const name of REQUIRED) {
    if (!params.has(name)) throw refuse('MALFORMED', `the OAuth parameter ${name} is missing`);
  }
  const version = params.get('oauth_version');
  if (version !== undefined && version !== OAUTH_VERSION) {
    throw refuse('MALFORMED', `oauth_version must be ${OAUTH_VERSION}`);
  }
  if (params.get('oauth_signature_method') !== SIGNATURE_METHOD) {
    throw refuse('UNSUPPORTED_SIGNATURE_METHOD', `only ${SIGNATURE_METHOD} signatures are accepted`);
  }
  const nonce = params.get('oauth_nonce')!;
  if (nonce === '' || nonce.length > 255)
    throw refuse('MALFORMED', 'oauth_nonce must be 1 to 255 characters');
  const timestamp = params.get('oauth_timestamp')!;
  if (!/^\d{1,12}$/.test(timestamp)) throw refuse('MALFORMED', 'oauth_timestamp must be whole seconds');
  const encodedSignature = params.get('oauth_signature')!;
  const signature = Buffer.from(encodedSignature, 'base64');
  // Canonical base64 only: a lenient decoder ignores some bits of the last
  // characters, and a changed header must never verify.
  if (signature.length === 0 || signature.toString('base64') !== encodedSignature) {
    throw refuse('MALFORMED', 'oauth_signature is not base64');
  }
  return {
    consumerKey: params.get('oauth_consumer_key')!,
    nonce,
    timestamp: Number(timestamp),
    bodyHash: params.get('oauth_body_hash')!,
    signature,
    signed: [...params].filter(([name]) => name !== 'oauth_signature' && name !== 'realm'),
  };
}

const SCHEME = /^OAuth(?:[ \t]+|$)/i;
// RFC 5849 §3.5.1: name="value", values percent-encoded, so never a quote.
const PARAM = /([A-Za-z0-9_.~-]+)[ \t]*=[ \t]*"([^"]*)"[ \t]*(,[ \t]*|$)/y;

/** The header's parameters, percent-decoded. */
function parseAuthorization(header: string | undefined): Map<string, string> {
  const value = header?.trim() ?? '';
  if (value === '') throw refuse('MISSING', 'the request has no Authorization header');
  const scheme = SCHEME.exec(value);
  if (!scheme) throw refuse('MISSING', 'the Authorization header does not use the OAuth scheme');

  const params = new Map<string, string>();
  PARAM.lastIndex = scheme[0].length;
  let ended = PARAM.lastIndex === value.length;
  while (!ended) {
    const match = PARAM.exec(value);
    if (!match) throw refuse('MALFORMED', 'the Authorization header cannot be parsed');
    const name = match[1]!;
    if (params.has(name)) throw refuse('MALFORMED', `the OAuth parameter ${name} appears twice`);
    try {
      params.set(name, decodeURIComponent(match[2]!));
    } catch (error) {
      throw refuse('MALFORMED', `the OAuth parameter ${name} is not percent-encoded correctly`, error);
    }
    // No separator means the match reached the end of the header.
    ended = match[3] === '';
  }
  return params;
}

const refuse = (code: keyof typeof OAuthErrorCode, message: string, cause?: unknown) =>
  new AuthError(OAuthErrorCode[code], message, cause === undefined ? {} : { cause });
