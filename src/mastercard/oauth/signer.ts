import { type KeyObject, randomBytes } from 'node:crypto';
import { type Clock, epochSeconds, systemClock } from '../../core/clock.js';
import { ConfigError, ValidationError } from '../../core/errors.js';
import { fileSigningKey, isSigningKey, type SigningKey } from '../../core/keys/signing-key.js';
import { bodyHash, OAUTH_VERSION, SIGNATURE_METHOD, signatureBaseString } from './base-string.js';

export interface OAuthSignerOptions {
  /** The consumer key of the Mastercard Developers project. */
  consumerKey: string;
  /** The RSA private key whose certificate Mastercard holds for that consumer key: a file's, or one in an HSM. */
  signingKey: KeyObject | SigningKey;
  clock?: Clock;
  nonce?: () => string;
}

/**
 * Signs requests to Mastercard APIs with OAuth 1.0a (RSA-SHA256 and the body
 * hash extension). The header is byte-for-byte what `mastercard-oauth1-signer`
 * produces for the same request, nonce and timestamp.
 */
export class OAuthSigner {
  readonly #consumerKey: string;
  readonly #signingKey: SigningKey;
  readonly #clock: Clock;
  readonly #nonce: () => string;

  constructor(options: OAuthSignerOptions) {
    const key = options.signingKey;
    if (!isSigningKey(key) && (key.type !== 'private' || key.asymmetricKeyType !== 'rsa')) {
      throw new ConfigError(['the OAuth signing key must be an RSA private key']);
    }
    if (!HEADER_SAFE.test(options.consumerKey)) {
      throw new ConfigError(['the OAuth consumer key is empty or has characters not allowed in a header']);
    }
    this.#consumerKey = options.consumerKey;
    this.#signingKey = isSigningKey(key) ? key : fileSigningKey(key);
    this.#clock = options.clock ?? systemClock;
    this.#nonce = options.nonce ?? randomNonce;
  }

  /** The value of the Authorization header for one request. */
  authorizationHeader(
    method: string,
    url: string | URL,
    body?: string | Uint8Array,
    fixed?: { nonce?: string; timestamp?: number },
  ): string {
    const nonce = fixed?.nonce ?? this.#nonce();
    if (!HEADER_SAFE.test(nonce)) {
      throw new ValidationError(
        'OAUTH_NONCE_INVALID',
        'the OAuth nonce has characters not allowed in a header',
      );
    }
    const timestamp = fixed?.timestamp ?? epochSeconds(this.#clock);
    if (!Number.isSafeInteger(timestamp) || timestamp < 0) {
      throw new ValidationError(
        'OAUTH_TIMESTAMP_INVALID',
        'the OAuth timestamp must be whole seconds since 1970',
      );
    }
    // Parameter order of the header is the library's.
    const params: [string, string][] = [
      ['oauth_body_hash', bodyHash(body)],
      ['oauth_consumer_key', this.#consumerKey],
      ['oauth_nonce', nonce],
      ['oauth_signature_method', SIGNATURE_METHOD],
      ['oauth_timestamp', String(timestamp)],
      ['oauth_version', OAUTH_VERSION],
    ];
    const baseString = signatureBaseString(method, url, params);
    const signature = this.#signingKey.signSha256(Buffer.from(baseString, 'utf8')).toString('base64');
    params.push(['oauth_signature', encodeURIComponent(signature)]);
    // Values other than the signature go out unencoded, as the library sends
    // them (a consumer key's "!" stays "!"); HEADER_SAFE keeps that sound.
    return `OAuth ${params.map(([name, value]) => `${name}="${value}"`).join(',')}`;
  }
}

// Printable ASCII that needs no quoting in a header and survives the
// verifier's percent-decoding unchanged: no space, '"', '%', ',' or '\'.
const HEADER_SAFE = /^[\x21\x23\x24\x26-\x2b\x2d-\x5b\x5d-\x7e]+$/;

const NONCE_ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const NONCE_LENGTH = 16;

/** 16 alphanumerics (~95 bits), drawn without modulo bias, like Mastercard's Java signer. */
export function randomNonce(): string {
  let nonce = '';
  while (nonce.length < NONCE_LENGTH) {
    for (const byte of randomBytes(NONCE_LENGTH * 2)) {
      // 248 = 4 × 62: larger bytes would favour the first characters.
      if (byte < 248 && nonce.length < NONCE_LENGTH) nonce += NONCE_ALPHABET[byte % 62];
    }
  }
  return nonce;
}
