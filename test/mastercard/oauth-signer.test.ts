import { generateKeyPairSync, verify } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { ConfigError } from '../../src/core/errors.js';
import { bodyHash, signatureBaseString } from '../../src/mastercard/oauth/base-string.js';
import { OAuthSigner, randomNonce } from '../../src/mastercard/oauth/signer.js';
import { CONSUMER_KEY, signingKey, verifyingKey } from '../fixtures/keys/index.js';

const HEADER =
  /^OAuth oauth_body_hash="([^"]+)",oauth_consumer_key="([^"]+)",oauth_nonce="([^"]+)",oauth_signature_method="RSA-SHA256",oauth_timestamp="(\d+)",oauth_version="1\.0",oauth_signature="([^"]+)"$/;

describe('OAuthSigner', () => {
  const clock = new ManualClock(Date.UTC(2026, 0, 1, 12));
  const signer = new OAuthSigner({ consumerKey: CONSUMER_KEY, signingKey, clock });

  it("writes the library's header: fixed parameter order, unencoded values, encoded signature", () => {
    const url = 'https://api.example.com/tokens?x=1';
    const header = signer.authorizationHeader('POST', url, '{"a":1}');
    const [, hash, consumerKey, nonce, timestamp, signature] = HEADER.exec(header) ?? [];
    expect(hash).toBe(bodyHash('{"a":1}'));
    expect(consumerKey).toBe(CONSUMER_KEY);
    expect(timestamp).toBe(String(Date.UTC(2026, 0, 1, 12) / 1000));
    const signed = signatureBaseString('POST', url, [
      ['oauth_body_hash', hash!],
      ['oauth_consumer_key', CONSUMER_KEY],
      ['oauth_nonce', nonce!],
      ['oauth_signature_method', 'RSA-SHA256'],
      ['oauth_timestamp', timestamp!],
      ['oauth_version', '1.0'],
    ]);
    const bytes = Buffer.from(decodeURIComponent(signature!), 'base64');
    expect(verify('sha256', Buffer.from(signed), verifyingKey, bytes)).toBe(true);
  });

  it('takes the timestamp from the injected clock', () => {
    const moving = new ManualClock(1_000_000_000_500);
    const s = new OAuthSigner({ consumerKey: CONSUMER_KEY, signingKey, clock: moving });
    expect(HEADER.exec(s.authorizationHeader('GET', 'https://h.example/'))?.[4]).toBe('1000000000');
    moving.advance(61_000);
    expect(HEADER.exec(s.authorizationHeader('GET', 'https://h.example/'))?.[4]).toBe('1000000061');
  });

  it('uses the injected nonce source, or a fixed nonce and timestamp when given', () => {
    const s = new OAuthSigner({ consumerKey: CONSUMER_KEY, signingKey, nonce: () => 'fixedNonce1' });
    expect(HEADER.exec(s.authorizationHeader('GET', 'https://h.example/'))?.[3]).toBe('fixedNonce1');
    const fixed = s.authorizationHeader('GET', 'https://h.example/', undefined, {
      nonce: 'other',
      timestamp: 7,
    });
    expect(HEADER.exec(fixed)?.slice(3, 5)).toEqual(['other', '7']);
  });

  it('is deterministic for a fixed nonce and timestamp (RSASSA-PKCS1-v1_5)', () => {
    const fixed = { nonce: 'abc', timestamp: 1_700_000_000 };
    const a = signer.authorizationHeader('PUT', 'https://h.example/x', 'body', fixed);
    expect(signer.authorizationHeader('PUT', 'https://h.example/x', 'body', fixed)).toBe(a);
    expect(signer.authorizationHeader('PUT', 'https://h.example/x', 'bodY', fixed)).not.toBe(a);
  });

  it('signs a URL object like its href', () => {
    const url = new URL('https://h.example/a b?q=é');
    const fixed = { nonce: 'n', timestamp: 1 };
    expect(signer.authorizationHeader('GET', url, undefined, fixed)).toBe(
      signer.authorizationHeader('GET', url.href, undefined, fixed),
    );
  });

  it('refuses keys that cannot produce RSA-SHA256 signatures', () => {
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
    for (const key of [verifyingKey, ec]) {
      expect(() => new OAuthSigner({ consumerKey: CONSUMER_KEY, signingKey: key })).toThrow(ConfigError);
    }
  });

  it('refuses a consumer key that would break or change in the header', () => {
    for (const consumerKey of ['', 'a b', 'a"b', 'a,b', 'a%21b', 'a\\b', 'clé']) {
      expect(() => new OAuthSigner({ consumerKey, signingKey })).toThrow(ConfigError);
    }
  });

  it('refuses a bad nonce or timestamp', () => {
    expect(() => signer.authorizationHeader('GET', 'https://h.example/', '', { nonce: 'a"b' })).toThrow(
      expect.objectContaining({ code: 'OAUTH_NONCE_INVALID' }),
    );
    for (const timestamp of [-1, 1.5, Number.NaN, 2 ** 53]) {
      expect(() => signer.authorizationHeader('GET', 'https://h.example/', '', { timestamp })).toThrow(
        expect.objectContaining({ code: 'OAUTH_TIMESTAMP_INVALID' }),
      );
    }
  });

  it('refuses URLs and methods it cannot sign unambiguously', () => {
    expect(() => signer.authorizationHeader('GET', '/relative')).toThrow(
      expect.objectContaining({ code: 'OAUTH_URL_INVALID' }),
    );
    expect(() => signer.authorizationHeader('GET /x', 'https://h.example/')).toThrow(
      expect.objectContaining({ code: 'OAUTH_METHOD_INVALID' }),
    );
  });
});

describe('randomNonce', () => {
  it('draws 16 alphanumerics, all of the alphabet, never repeating', () => {
    const nonces = Array.from({ length: 2000 }, randomNonce);
    for (const nonce of nonces) expect(nonce).toMatch(/^[A-Za-z0-9]{16}$/);
    expect(new Set(nonces).size).toBe(nonces.length);
    expect(new Set(nonces.join('')).size).toBe(62);
  });
});
