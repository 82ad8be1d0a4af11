import { constants, createCipheriv, createHmac, publicEncrypt, randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { CompactEncrypt, compactDecrypt } from 'jose';
import { describe, expect, it } from 'vitest';
import { decryptJwe, encryptJwe } from '../../src/mastercard/encryption/index.js';
import { publicKeyFingerprint } from '../../src/mastercard/keys/fingerprint.js';
import { other, recipient } from '../fixtures/encryption/keys.js';
import { cryptoCodeOf, cryptoErrorOf } from '../support/crypto-errors.js';

const KID = publicKeyFingerprint(recipient.publicKey);
const b64u = (bytes: Buffer | string) => Buffer.from(bytes).toString('base64url');
const part = (compact: string, i: number) => Buffer.from(compact.split('.')[i] ?? '', 'base64url');

/** Flips one bit of one part of a compact JWE. */
function flip(compact: string, index: number, byte = 0): string {
  const parts = compact.split('.');
  const bytes = Buffer.from(parts[index] ?? '', 'base64url');
  bytes[byte] = (bytes[byte] ?? 0) ^ 0x01;
  parts[index] = bytes.toString('base64url');
  return parts.join('.');
}

/** A JWE built by hand, for shapes no encrypter here produces. */
function handmade(header: object, options: { iv?: Buffer; cek?: Buffer; tagBytes?: number } = {}): string {
  const rawHeader = b64u(JSON.stringify(header));
  const cek = options.cek ?? randomBytes(32);
  const iv = options.iv ?? randomBytes(12);
  const wrapped = publicEncrypt(
    { key: recipient.publicKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' },
    cek,
  );
  const cipher = createCipheriv(`aes-${cek.length * 8}-gcm` as 'aes-256-gcm', cek, iv);
  cipher.setAAD(Buffer.from(rawHeader));
  const ciphertext = Buffer.concat([cipher.update('{"a":1}'), cipher.final()]);
  const tag = cipher.getAuthTag().subarray(0, options.tagBytes ?? 16);
  return [rawHeader, b64u(wrapped), b64u(iv), b64u(ciphertext), b64u(tag)].join('.');
}

describe('encryptJwe', () => {
  const compact = encryptJwe('{"accountNumber":"5123456789012345"}', recipient.publicKey, KID);

  it('writes the header members and order mastercard-client-encryption writes', () => {
    expect(part(compact, 0).toString()).toBe(
      `{"kid":"${KID}","cty":"application/json","alg":"RSA-OAEP-256","enc":"A256GCM"}`,
    );
  });

  it('uses base64url parts, a 2048-bit wrapped key, a 96-bit IV and a 128-bit tag', () => {
    expect(compact).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+\.[\w-]+\.[\w-]+$/);
    expect([1, 2, 4].map((i) => part(compact, i).length)).toEqual([256, 12, 16]);
  });

  it('never repeats a key or an IV', () => {
    const again = encryptJwe('{"accountNumber":"5123456789012345"}', recipient.publicKey, KID);
    expect(part(again, 2).equals(part(compact, 2))).toBe(false);
    expect(part(again, 3).equals(part(compact, 3))).toBe(false);
  });

  it('is what a standard JOSE implementation (jose) decrypts', async () => {
    const { plaintext, protectedHeader } = await compactDecrypt(compact, recipient.privateKey);
    expect(new TextDecoder().decode(plaintext)).toBe('{"accountNumber":"5123456789012345"}');
    expect(protectedHeader).toEqual({
      kid: KID,
      cty: 'application/json',
      alg: 'RSA-OAEP-256',
      enc: 'A256GCM',
    });
  });

  it('round-trips any text (fast-check)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 300 }), (text) => {
        expect(decryptJwe(encryptJwe(text, recipient.publicKey, KID), recipient.privateKey)).toBe(text);
      }),
      { numRuns: 40 },
    );
  });
});

describe('decryptJwe', () => {
  it.each(['A128GCM', 'A192GCM', 'A256GCM', 'A128CBC-HS256'] as const)(
    'decrypts %s from jose',
    async (enc) => {
      const compact = await new CompactEncrypt(new TextEncoder().encode('{"name":"Zoë 😀"}'))
        .setProtectedHeader({ alg: 'RSA-OAEP-256', enc, kid: KID })
        .encrypt(recipient.publicKey);
      expect(decryptJwe(compact, recipient.privateKey)).toBe('{"name":"Zoë 😀"}');
    },
  );

  it('takes the 128-bit IV and the `/` mastercard-client-encryption writes', () => {
    let slashed: string;
    do {
      // The header is the AAD as written, so only the other parts change.
      const [header, ...rest] = handmade(
        { alg: 'RSA-OAEP-256', enc: 'A256GCM' },
        { iv: randomBytes(16) },
      ).split('.');
      slashed = [header, ...rest.map((p) => p.replaceAll('_', '/'))].join('.');
    } while (!slashed.includes('/'));
    expect(decryptJwe(slashed, recipient.privateKey)).toBe('{"a":1}');
  });

  describe('refuses a tampered part with its own code', () => {
    const compact = encryptJwe('{"accountNumber":"5123456789012345"}', recipient.publicKey, KID);

    it.each([
      ['header (still valid JSON)', 0, 2, 'JWE_DECRYPTION_FAILED'],
      ['header (no longer JSON)', 0, 0, 'JWE_MALFORMED'],
      ['encrypted key', 1, 100, 'JWE_KEY_UNWRAP_FAILED'],
      ['IV', 2, 0, 'JWE_DECRYPTION_FAILED'],
      ['ciphertext', 3, 5, 'JWE_DECRYPTION_FAILED'],
      ['authentication tag', 4, 15, 'JWE_DECRYPTION_FAILED'],
    ])('%s', (_name, index, byte, code) => {
      expect(cryptoCodeOf(() => decryptJwe(flip(compact, index, byte), recipient.privateKey))).toBe(code);
    });

    it('a header changed to another enc', () => {
      const parts = compact.split('.');
      parts[0] = b64u(part(compact, 0).toString().replace('A256GCM', 'A128GCM'));
      expect(cryptoCodeOf(() => decryptJwe(parts.join('.'), recipient.privateKey))).toBe(
        'JWE_KEY_UNWRAP_FAILED',
      );
    });

    it('an A128CBC-HS256 tag, which Mastercard libraries do not check', async () => {
      const jwe = await new CompactEncrypt(new TextEncoder().encode('{"a":1}'))
        .setProtectedHeader({ alg: 'RSA-OAEP-256', enc: 'A128CBC-HS256' })
        .encrypt(recipient.publicKey);
      expect(cryptoCodeOf(() => decryptJwe(flip(jwe, 4, 3), recipient.privateKey))).toBe(
        'JWE_DECRYPTION_FAILED',
      );
      expect(cryptoCodeOf(() => decryptJwe(flip(jwe, 3, 0), recipient.privateKey))).toBe(
        'JWE_DECRYPTION_FAILED',
      );
    });
  });

  it('verifies A128CBC-HS256 over header, IV and ciphertext as RFC 7518 defines it', () => {
    const rawHeader = b64u('{"alg":"RSA-OAEP-256","enc":"A128CBC-HS256"}');
    const cek = randomBytes(32);
    const iv = randomBytes(16);
    const cipher = createCipheriv('aes-128-cbc', cek.subarray(16), iv);
    const ciphertext = Buffer.concat([cipher.update('"ok"'), cipher.final()]);
    const length = Buffer.alloc(8);
    length.writeBigUInt64BE(BigInt(rawHeader.length * 8));
    const tag = createHmac('sha256', cek.subarray(0, 16))
      .update(Buffer.concat([Buffer.from(rawHeader), iv, ciphertext, length]))
      .digest()
      .subarray(0, 16);
    const wrapped = publicEncrypt(
      { key: recipient.publicKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' },
      cek,
    );
    const compact = [rawHeader, b64u(wrapped), b64u(iv), b64u(ciphertext), b64u(tag)].join('.');
    expect(decryptJwe(compact, recipient.privateKey)).toBe('"ok"');
  });

  it('names the kid and its own fingerprint when the key does not fit', () => {
    const compact = encryptJwe('{}', other.publicKey, 'their-kid');
    expect(cryptoErrorOf(() => decryptJwe(compact, recipient.privateKey))).toMatchObject({
      code: 'JWE_KEY_UNWRAP_FAILED',
      status: 400,
      details: { kid: 'their-kid', keyFingerprint: KID },
    });
  });

  it('does not check kid: a right key decrypts whatever kid says', () => {
    expect(decryptJwe(encryptJwe('1', recipient.publicKey, 'stale-kid'), recipient.privateKey)).toBe('1');
  });

  it.each([
    ['RSA-OAEP (SHA-1) key wrap', { alg: 'RSA-OAEP', enc: 'A256GCM' }],
    ['RSA1_5 key wrap', { alg: 'RSA1_5', enc: 'A256GCM' }],
    ['direct encryption', { alg: 'dir', enc: 'A256GCM' }],
    ['A256CBC-HS512', { alg: 'RSA-OAEP-256', enc: 'A256CBC-HS512' }],
    ['compression', { alg: 'RSA-OAEP-256', enc: 'A256GCM', zip: 'DEF' }],
    ['critical extensions', { alg: 'RSA-OAEP-256', enc: 'A256GCM', crit: ['exp'], exp: 1 }],
  ])('refuses %s', (_name, header) => {
    expect(cryptoCodeOf(() => decryptJwe(handmade(header), recipient.privateKey))).toBe(
      'JWE_UNSUPPORTED_ALGORITHM',
    );
  });

  it.each([
    ['four parts', (c: string) => c.split('.').slice(0, 4).join('.')],
    ['six parts', (c: string) => `${c}.AAAA`],
    ['a character outside base64url', (c: string) => c.replace('.', '.!')],
    ['a header that is a JSON array', (c: string) => `${b64u('[]')}${c.slice(c.indexOf('.'))}`],
    ['a truncated tag', (c: string) => c.slice(0, c.lastIndexOf('.') + 11)],
    ['a 64-bit IV', (c: string) => c.replace(/\.[\w-]{16}\./, `.${b64u(randomBytes(8))}.`)],
  ])('calls malformed: %s', (_name, spoil) => {
    const compact = encryptJwe('{}', recipient.publicKey, KID);
    expect(cryptoCodeOf(() => decryptJwe(spoil(compact), recipient.privateKey))).toBe('JWE_MALFORMED');
  });

  it('calls malformed a value that is not a string', () => {
    expect(cryptoCodeOf(() => decryptJwe(42 as unknown as string, recipient.privateKey))).toBe(
      'JWE_MALFORMED',
    );
  });

  it('refuses a GCM tag shorter than 128 bits', () => {
    const compact = handmade({ alg: 'RSA-OAEP-256', enc: 'A256GCM' }, { tagBytes: 12 });
    expect(cryptoCodeOf(() => decryptJwe(compact, recipient.privateKey))).toBe('JWE_MALFORMED');
  });

  it('keeps key material and plaintext out of error messages', () => {
    const compact = encryptJwe('5123456789012345', recipient.publicKey, KID);
    for (const index of [0, 1, 2, 3, 4]) {
      const { message } = cryptoErrorOf(() => decryptJwe(flip(compact, index, 1), recipient.privateKey));
      expect(message).not.toMatch(/5123|PRIVATE|[A-Za-z0-9_-]{40}/);
    }
  });
});
