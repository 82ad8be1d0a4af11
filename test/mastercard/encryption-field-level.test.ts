import { constants, createCipheriv, privateDecrypt, publicEncrypt, randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CryptoError } from '../../src/core/errors.js';
import { type DataEncoding, decodeData } from '../../src/mastercard/encryption/encoding.js';
import {
  decryptFieldLevel,
  encryptFieldLevel,
  type FieldLevelOptions,
  parseOaepHashingAlgorithm,
} from '../../src/mastercard/encryption/field-level.js';
import { publicKeyFingerprint } from '../../src/mastercard/keys/fingerprint.js';
import { other, recipient } from '../fixtures/encryption/keys.js';
import { cryptoCodeOf, cryptoErrorOf } from '../support/crypto-errors.js';

const HEX_SHA256: FieldLevelOptions = { encoding: 'hex', oaepHashingAlgorithm: 'SHA256' };

/** Flips the lowest bit of one byte of an encoded value. */
function flip(encoded: string, encoding: DataEncoding, byte: number): string {
  const bytes = Buffer.from(encoded, encoding);
  bytes[byte] = (bytes[byte] ?? 0) ^ 0x01;
  return bytes.toString(encoding);
}

describe('encryptFieldLevel', () => {
  it.each([
    ['hex', 'SHA256', 'sha256'],
    ['base64', 'SHA512', 'sha512'],
  ] as const)(
    'wraps an AES-128 key with OAEP-%s and encrypts CBC/PKCS#7 (%s)',
    (encoding, digest, oaepHash) => {
      const sealed = encryptFieldLevel('{"pan":"5123456789012345"}', recipient.publicKey, {
        encoding,
        oaepHashingAlgorithm: digest,
      });
      expect(sealed.oaepHashingAlgorithm).toBe(digest);
      const sessionKey = privateDecrypt(
        { key: recipient.privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash },
        Buffer.from(sealed.encryptedKey, encoding),
      );
      expect(sessionKey).toHaveLength(16);
      const iv = Buffer.from(sealed.iv, encoding);
      expect(iv).toHaveLength(16);
      const ciphertext = Buffer.from(sealed.encryptedValue, encoding);
      expect(ciphertext).toHaveLength(32);
      const expected = createCipheriv('aes-128-cbc', sessionKey, iv);
      expect(Buffer.concat([expected.update('{"pan":"5123456789012345"}'), expected.final()])).toEqual(
        ciphertext,
      );
    },
  );

  it('writes lowercase hex and padded base64, as node-forge does for the library', () => {
    const hex = encryptFieldLevel('x', recipient.publicKey, HEX_SHA256);
    expect(hex.encryptedKey).toMatch(/^[0-9a-f]{512}$/);
    const b64 = encryptFieldLevel('x', recipient.publicKey, {
      encoding: 'base64',
      oaepHashingAlgorithm: 'SHA256',
    });
    expect(b64.iv).toMatch(/^[A-Za-z0-9+/]{22}==$/);
  });

  it('never repeats a session key or an IV', () => {
    const a = encryptFieldLevel('x', recipient.publicKey, HEX_SHA256);
    const b = encryptFieldLevel('x', recipient.publicKey, HEX_SHA256);
    expect(a.iv).not.toBe(b.iv);
    expect(a.encryptedValue).not.toBe(b.encryptedValue);
  });

  it('round-trips any text in either encoding with either digest (fast-check)', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'grapheme', maxLength: 300 }),
        fc.constantFrom<DataEncoding>('hex', 'base64'),
        fc.constantFrom('SHA256' as const, 'SHA512' as const),
        (text, encoding, oaepHashingAlgorithm) => {
          const options = { encoding, oaepHashingAlgorithm };
          const sealed = encryptFieldLevel(text, recipient.publicKey, options);
          expect(decryptFieldLevel(sealed, recipient.privateKey, options)).toBe(text);
        },
      ),
      { numRuns: 40 },
    );
  });
});

describe('decryptFieldLevel', () => {
  it.each([16, 24, 32])('takes a %i-byte session key', (size) => {
    const sessionKey = randomBytes(size);
    const iv = randomBytes(16);
    const cipher = createCipheriv(`aes-${size * 8}-cbc`, sessionKey, iv);
    const input = {
      encryptedValue: Buffer.concat([cipher.update('{"a":1}'), cipher.final()]).toString('hex'),
      iv: iv.toString('hex'),
      encryptedKey: publicEncrypt(
        { key: recipient.publicKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' },
        sessionKey,
      ).toString('hex'),
    };
    expect(decryptFieldLevel(input, recipient.privateKey, HEX_SHA256)).toBe('{"a":1}');
  });

  it('unwraps with the digest the ciphertext names, whatever the configured one', () => {
    const sealed = encryptFieldLevel('"x"', recipient.publicKey, {
      encoding: 'hex',
      oaepHashingAlgorithm: 'SHA512',
    });
    expect(decryptFieldLevel(sealed, recipient.privateKey, HEX_SHA256)).toBe('"x"');
    const { oaepHashingAlgorithm: _, ...unnamed } = sealed;
    expect(cryptoCodeOf(() => decryptFieldLevel(unnamed, recipient.privateKey, HEX_SHA256))).toBe(
      'FLE_KEY_UNWRAP_FAILED',
    );
    expect(
      decryptFieldLevel(unnamed, recipient.privateKey, { ...HEX_SHA256, oaepHashingAlgorithm: 'SHA512' }),
    ).toBe('"x"');
  });

  it("reads absent fields as MDES's specs define them when asked: PKCS #1 v1.5, an IV of zero", () => {
    // As a sender that names no digest and sends no IV would build it.
    const sessionKey = randomBytes(16);
    const cipher = createCipheriv('aes-128-cbc', sessionKey, Buffer.alloc(16));
    const input = {
      encryptedValue: Buffer.concat([cipher.update('{"source":"x"}', 'utf8'), cipher.final()]).toString(
        'hex',
      ),
      encryptedKey: publicEncrypt(
        { key: recipient.publicKey, padding: constants.RSA_PKCS1_PADDING },
        sessionKey,
      ).toString('hex'),
      iv: undefined,
    };
    const spec = { ...HEX_SHA256, specDefaults: true };
    expect(decryptFieldLevel(input, recipient.privateKey, spec)).toBe('{"source":"x"}');
    // Mastercard's libraries' reading: the configured OAEP digest, and an IV required.
    expect(cryptoCodeOf(() => decryptFieldLevel(input, recipient.privateKey, HEX_SHA256))).toBe(
      'FLE_MALFORMED',
    );
    const withIv = { ...input, iv: '00'.repeat(16) };
    expect(cryptoCodeOf(() => decryptFieldLevel(withIv, recipient.privateKey, HEX_SHA256))).toBe(
      'FLE_KEY_UNWRAP_FAILED',
    );
    // A named digest still wins over the spec's default, and a wrong key still fails.
    const oaep = encryptFieldLevel('"y"', recipient.publicKey, {
      encoding: 'hex',
      oaepHashingAlgorithm: 'SHA512',
    });
    expect(decryptFieldLevel(oaep, recipient.privateKey, spec)).toBe('"y"');
    expect(cryptoCodeOf(() => decryptFieldLevel(input, other.privateKey, spec))).toBe(
      'FLE_KEY_UNWRAP_FAILED',
    );
  });

  it('reads upper-case hex and unpadded base64', () => {
    const hex = encryptFieldLevel('"x"', recipient.publicKey, HEX_SHA256);
    const upper = { ...hex, encryptedValue: hex.encryptedValue.toUpperCase(), iv: hex.iv.toUpperCase() };
    expect(decryptFieldLevel(upper, recipient.privateKey, HEX_SHA256)).toBe('"x"');
    const options = { encoding: 'base64', oaepHashingAlgorithm: 'SHA256' } as const;
    const b64 = encryptFieldLevel('"x"', recipient.publicKey, options);
    const unpadded = {
      ...b64,
      iv: b64.iv.replace(/=+$/, ''),
      encryptedKey: b64.encryptedKey.replace(/=+$/, ''),
    };
    expect(decryptFieldLevel(unpadded, recipient.privateKey, options)).toBe('"x"');
  });

  describe('refuses tampering with its own code', () => {
    const plaintext = JSON.stringify({
      accountNumber: '5123456789012345',
      expiryMonth: '09',
      expiryYear: '29',
    });
    const sealed = encryptFieldLevel(plaintext, recipient.publicKey, HEX_SHA256);

    it('a changed wrapped key fails the unwrap', () => {
      const input = { ...sealed, encryptedKey: flip(sealed.encryptedKey, 'hex', 100) };
      expect(cryptoCodeOf(() => decryptFieldLevel(input, recipient.privateKey, HEX_SHA256))).toBe(
        'FLE_KEY_UNWRAP_FAILED',
      );
    });

    it('a changed last block breaks the padding', () => {
      const input = { ...sealed, encryptedValue: flip(sealed.encryptedValue, 'hex', 47) };
      expect(cryptoCodeOf(() => decryptFieldLevel(input, recipient.privateKey, HEX_SHA256))).toBe(
        'FLE_DECRYPTION_FAILED',
      );
    });

    it('a changed earlier block garbles the text into invalid UTF-8', () => {
      // CBC carries a changed block into 16 random bytes, which are almost never UTF-8.
      const input = { ...sealed, encryptedValue: flip(sealed.encryptedValue, 'hex', 3) };
      expect(cryptoCodeOf(() => decryptFieldLevel(input, recipient.privateKey, HEX_SHA256))).toBe(
        'FLE_DECRYPTION_FAILED',
      );
    });

    it('a changed IV goes unnoticed: the scheme has no integrity check', () => {
      const input = { ...sealed, iv: flip(sealed.iv, 'hex', 2) };
      expect(decryptFieldLevel(input, recipient.privateKey, HEX_SHA256)).toBe(plaintext.replace('"a', '"`'));
    });

    it('a changed digest name', () => {
      const input = { ...sealed, oaepHashingAlgorithm: 'SHA512' };
      expect(cryptoCodeOf(() => decryptFieldLevel(input, recipient.privateKey, HEX_SHA256))).toBe(
        'FLE_KEY_UNWRAP_FAILED',
      );
    });

    it.each([
      ['an IV of 15 bytes', { iv: 'aa'.repeat(15) }],
      ['a non-hex IV', { iv: 'zz'.repeat(16) }],
      ['an odd-length wrapped key', { encryptedKey: `${sealed.encryptedKey}0` }],
      ['a ciphertext not in whole blocks', { encryptedValue: sealed.encryptedValue.slice(0, -2) }],
      ['an empty ciphertext', { encryptedValue: '' }],
      ['a missing ciphertext', { encryptedValue: undefined }],
      ['a ciphertext that is a number', { encryptedValue: 42 }],
    ])('calls malformed %s', (_name, change) => {
      const input = { ...sealed, ...change };
      expect(cryptoCodeOf(() => decryptFieldLevel(input, recipient.privateKey, HEX_SHA256))).toBe(
        'FLE_MALFORMED',
      );
    });

    it.each(['SHA1', 'MD5', 'sha-384', 42])('refuses oaepHashingAlgorithm %s', (name) => {
      const input = { ...sealed, oaepHashingAlgorithm: name };
      expect(cryptoCodeOf(() => decryptFieldLevel(input, recipient.privateKey, HEX_SHA256))).toBe(
        'FLE_UNSUPPORTED_ALGORITHM',
      );
    });
  });

  it('names both fingerprints when the key does not fit, and nothing secret', () => {
    const sealed = encryptFieldLevel('5123456789012345', other.publicKey, HEX_SHA256);
    const error = cryptoErrorOf(() =>
      decryptFieldLevel(
        { ...sealed, publicKeyFingerprint: 'their-fingerprint' },
        recipient.privateKey,
        HEX_SHA256,
      ),
    );
    expect(error).toMatchObject({
      code: 'FLE_KEY_UNWRAP_FAILED',
      details: {
        publicKeyFingerprint: 'their-fingerprint',
        keyFingerprint: publicKeyFingerprint(recipient.publicKey),
      },
    });
    expect(error.message).not.toMatch(/5123|[0-9a-f]{32}/);
  });
});

describe('parseOaepHashingAlgorithm', () => {
  it.each([
    ['SHA256', 'SHA256'],
    ['SHA-256', 'SHA256'],
    ['sha-512', 'SHA512'],
    ['Sha512', 'SHA512'],
    ['SHA-1', undefined],
    ['SHA--256', undefined],
    [undefined, undefined],
  ])('reads %s as %s', (text, digest) => {
    expect(parseOaepHashingAlgorithm(text)).toBe(digest);
  });
});

describe('encodings', () => {
  const bytes = fc.uint8Array({ maxLength: 70 }).map((b) => Buffer.from(b));

  it('decode what Node encodes, in both cases of hex and with or without base64 padding (fast-check)', () => {
    fc.assert(
      fc.property(bytes, (b) => {
        expect(decodeData(b.toString('hex'), 'hex', 'f')).toEqual(b);
        expect(decodeData(b.toString('hex').toUpperCase(), 'hex', 'f')).toEqual(b);
        expect(decodeData(b.toString('base64'), 'base64', 'f')).toEqual(b);
        expect(decodeData(b.toString('base64').replace(/=+$/, ''), 'base64', 'f')).toEqual(b);
      }),
    );
  });

  it('refuse text outside the alphabet instead of decoding around it (fast-check)', () => {
    const outsider = fc.constantFrom(' ', '\n', '.', '*', 'g', 'Z', '\u00e9', '\u0000');
    fc.assert(
      fc.property(bytes, outsider, fc.nat(), (b, bad, at) => {
        const hex = b.toString('hex');
        const i = at % (hex.length + 1);
        const spoiled = hex.slice(0, i) + bad + bad + hex.slice(i);
        expect(() => decodeData(spoiled, 'hex', 'f')).toThrow(CryptoError);
      }),
    );
    for (const bad of ['a', 'abc', '0g', ' 00', '00\n'])
      expect(() => decodeData(bad, 'hex', 'f')).toThrow(CryptoError);
    for (const bad of ['AAAA=AAA', 'AA=A', 'A===', 'AAAA AAAA', 'AA-_', 'AAA.']) {
      expect(() => decodeData(bad, 'base64', 'f')).toThrow(CryptoError);
    }
  });

  it('refuse base64 whose length cannot come from whole bytes', () => {
    expect(() => decodeData('AAAAA', 'base64', 'f')).toThrow(CryptoError);
    expect(decodeData('AAAAAA', 'base64', 'f')).toHaveLength(4);
  });
});
