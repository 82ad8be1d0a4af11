import { generateKeyPairSync } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/core/errors.js';
import {
  createFieldLevelEncryption,
  createJweEncryption,
  decryptJwe,
  type FieldLevelConfig,
  type JweConfig,
  type PathMapping,
  type PayloadEncryption,
  type ResourceEncryption,
} from '../../src/mastercard/encryption/index.js';
import { certificateFingerprint, publicKeyFingerprint } from '../../src/mastercard/keys/fingerprint.js';
import { other, recipient } from '../fixtures/encryption/keys.js';

const keys = { encryptionCertificate: recipient.certificate, decryptionKey: recipient.privateKey };
const roundTrip = (
  path: string,
  toEncrypt: PathMapping[],
  toDecrypt: PathMapping[],
): ResourceEncryption[] => [{ path, toEncrypt, toDecrypt }];

const jwe = (paths: ResourceEncryption[], extra: Partial<JweConfig> = {}) =>
  createJweEncryption({ paths, encryptedValueFieldName: 'encryptedValue', ...keys, ...extra });

const FIELD_NAMES = {
  encryptedValueFieldName: 'encryptedData',
  encryptedKeyFieldName: 'encryptedKey',
  ivFieldName: 'iv',
  publicKeyFingerprintFieldName: 'publicKeyFingerprint',
  oaepHashingAlgorithmFieldName: 'oaepHashingAlgorithm',
} as const;
const fieldLevel = (paths: ResourceEncryption[], extra: Partial<FieldLevelConfig> = {}) =>
  createFieldLevelEncryption({
    paths,
    ...FIELD_NAMES,
    oaepPaddingDigestAlgorithm: 'SHA-256',
    dataEncoding: 'hex',
    ...keys,
    ...extra,
  });

function problemsOf(create: () => unknown): readonly string[] {
  try {
    create();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).problems;
  }
  throw new Error('expected a ConfigError');
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}

const card = () => ({
  requestId: 'r-1',
  fundingAccountInfo: {
    encryptedPayload: {
      encryptedData: { accountNumber: '5123456789012345', expiryMonth: '09', expiryYear: '29' },
    },
  },
});

const MDES = roundTrip(
  'pushaccount$',
  [
    {
      element: 'fundingAccountInfo.encryptedPayload.encryptedData',
      obj: 'fundingAccountInfo.encryptedPayload',
    },
  ],
  [
    {
      element: 'fundingAccountInfo.encryptedPayload',
      obj: 'fundingAccountInfo.encryptedPayload.encryptedData',
    },
  ],
);

describe('configuration', () => {
  it('collects every problem into one ConfigError', () => {
    const problems = problemsOf(() =>
      createJweEncryption({
        paths: roundTrip('(', [{ element: 'a[0].b', obj: 'x' }], [{ element: 'a..b', obj: '__proto__.x' }]),
        encryptedValueFieldName: '',
      }),
    );
    expect(problems).toEqual([
      'encryptedValueFieldName must be a non-empty name without dots',
      'paths[0].path is not a valid regular expression',
      "paths[0].toEncrypt[0].element 'a[0].b': array indexes and wildcards are not supported",
      "paths[0].toDecrypt[0].element 'a..b' has an empty segment",
      "paths[0].toDecrypt[0].obj '__proto__.x': '__proto__' cannot be a path segment",
      'toEncrypt needs encryptionKey or encryptionCertificate',
      'toDecrypt needs decryptionKey',
    ]);
  });

  it.each<[string, () => unknown, string]>([
    ['no paths', () => jwe([]), 'paths must be a non-empty array'],
    [
      'two entries with a whole-payload one',
      () =>
        jwe(
          roundTrip(
            'x',
            [
              { element: '$', obj: '$' },
              { element: 'a', obj: 'b' },
            ],
            [],
          ),
        ),
      'paths[0].toEncrypt: a whole-payload ($) entry must be the only one',
    ],
    [
      'a public key where the private one goes',
      () => jwe(MDES, { decryptionKey: recipient.publicKey }),
      'decryptionKey must be a private KeyObject',
    ],
    [
      'an EC key',
      () =>
        jwe(MDES, {
          encryptionCertificate: undefined,
          encryptionKey: generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey,
        }),
      'encryptionKey must be an RSA key of at least 2048 bits',
    ],
    [
      'a 1024-bit RSA key',
      () => jwe(MDES, { decryptionKey: generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey }),
      'decryptionKey must be an RSA key of at least 2048 bits',
    ],
    [
      'a key and a certificate that disagree',
      () => jwe(MDES, { encryptionKey: other.publicKey }),
      'encryptionKey is not the key of encryptionCertificate',
    ],
    [
      'a certificate fingerprint without a certificate',
      () =>
        jwe(MDES, {
          encryptionCertificate: undefined,
          encryptionKey: recipient.publicKey,
          publicKeyFingerprintType: 'certificate',
        }),
      "publicKeyFingerprintType 'certificate' needs encryptionCertificate",
    ],
    [
      'an unknown fingerprint type',
      () => jwe(MDES, { publicKeyFingerprintType: 'sha1' as 'publicKey' }),
      "publicKeyFingerprintType must be 'publicKey' or 'certificate'",
    ],
    [
      'an unknown encoding',
      () => fieldLevel(MDES, { dataEncoding: 'utf8' as 'hex' }),
      "dataEncoding must be 'hex' or 'base64'",
    ],
    [
      'an OAEP digest the scheme does not know',
      () => fieldLevel(MDES, { oaepPaddingDigestAlgorithm: 'SHA-1' }),
      'oaepPaddingDigestAlgorithm must be SHA-256 or SHA-512',
    ],
    [
      'no member for the wrapped key',
      () => fieldLevel(MDES, { encryptedKeyFieldName: undefined }),
      'encryptedKeyFieldName is required unless the header variant is configured',
    ],
    [
      'two members of one name',
      () => fieldLevel(MDES, { ivFieldName: 'encryptedKey' }),
      'the field names must differ from each other',
    ],
    [
      'a ciphertext member with a dot',
      () => fieldLevel(MDES, { encryptedValueFieldName: 'a.b' }),
      'encryptedValueFieldName must be a non-empty name without dots',
    ],
    [
      'field-level ciphertext written bare',
      () => fieldLevel(roundTrip('x', [{ element: 'a', obj: 'b.encryptedData' }], [])),
      'paths[0].toEncrypt[0].obj names encryptedData itself, leaving no place for the key and IV',
    ],
    [
      'half the header variant',
      () => fieldLevel(MDES, { ivHeaderName: 'x-iv' }),
      'the header variant needs both ivHeaderName and encryptedKeyHeaderName',
    ],
    [
      'two entries under the header variant',
      () =>
        fieldLevel(
          roundTrip(
            'x',
            [
              { element: 'a', obj: 'b' },
              { element: 'c', obj: 'd' },
            ],
            [],
          ),
          {
            ivHeaderName: 'x-iv',
            encryptedKeyHeaderName: 'x-encrypted-key',
          },
        ),
      'paths[0].toEncrypt: the header variant shares one key and IV, so it takes one entry',
    ],
  ])('names the problem: %s', (_name, create, problem) => {
    expect(problemsOf(create)).toContain(problem);
  });

  it('needs only the key a direction uses', () => {
    const encryptOnly = createJweEncryption({
      paths: roundTrip('x', [{ element: 'a', obj: 'b' }], []),
      encryptedValueFieldName: 'encryptedValue',
      encryptionKey: recipient.publicKey,
    });
    expect(encryptOnly.encrypt('/x', { a: 1 })).toHaveProperty('b.encryptedValue');
  });
});

describe('what is encrypted where', () => {
  it('encrypts the MDES encryptedData object into its encryptedPayload and back', () => {
    const fle = fieldLevel(MDES);
    const encrypted = fle.encrypt('/mdes/digitization/1/0/pushaccount', card()) as ReturnType<typeof card>;
    const payload = encrypted.fundingAccountInfo.encryptedPayload as unknown as Record<string, string>;
    expect(Object.keys(payload)).toEqual([
      'encryptedData',
      'iv',
      'encryptedKey',
      'publicKeyFingerprint',
      'oaepHashingAlgorithm',
    ]);
    expect(payload.publicKeyFingerprint).toBe(publicKeyFingerprint(recipient.publicKey));
    expect(payload.oaepHashingAlgorithm).toBe('SHA256');
    expect(encrypted.requestId).toBe('r-1');
    expect(fle.decrypt('/mdes/digitization/1/0/pushaccount', encrypted)).toEqual(card());
  });

  it('encrypts a leaf, keeps it a string, and puts it back', () => {
    const e = jwe(
      roundTrip(
        'x',
        [{ element: 'card.accountNumber', obj: 'card.encryptedAccountNumber' }],
        [{ element: 'card.encryptedAccountNumber', obj: 'card.accountNumber' }],
      ),
    );
    const clear = { card: { accountNumber: '5123456789012345678', expiryYear: '29' } };
    const encrypted = e.encrypt('/x', clear) as { card: Record<string, unknown> };
    expect(Object.keys(encrypted.card)).toEqual(['expiryYear', 'encryptedAccountNumber']);
    expect(e.decrypt('/x', encrypted)).toEqual(clear);
  });

  it('writes the compact JWE bare where obj names the value member, and reads it bare', () => {
    const e = jwe(
      roundTrip(
        'x',
        [{ element: 'secret', obj: 'wrapper.encryptedValue' }],
        [{ element: 'wrapper.encryptedValue', obj: 'secret' }],
      ),
    );
    const encrypted = e.encrypt('/x', { secret: { pin: '1234' } }) as { wrapper: { encryptedValue: string } };
    expect(decryptJwe(encrypted.wrapper.encryptedValue, recipient.privateKey)).toBe('{"pin":"1234"}');
    expect(e.decrypt('/x', encrypted)).toEqual({ secret: { pin: '1234' } });
  });

  it.each([
    ['an object', { a: { b: [1, 2] }, c: 'd' }],
    ['an array', [{}, { a: 1 }]],
    ['a string', 'text'],
    ['null', null],
  ])('encrypts the whole payload ($) when it is %s', (_name, clear) => {
    const e = jwe(roundTrip('x', [{ element: '$', obj: '$' }], [{ element: '$', obj: '$' }]));
    const encrypted = e.encrypt('/x', clear);
    expect(Object.keys(encrypted as object)).toEqual(['encryptedValue']);
    expect(e.decrypt('/x', encrypted)).toEqual(clear);
  });

  it('moves the whole payload into a member and back, and a member to the root and back', () => {
    const inward = jwe(
      roundTrip('x', [{ element: '$', obj: 'wrapped' }], [{ element: 'wrapped', obj: '$' }]),
    );
    const clear = { a: 1, b: { c: 2 } };
    const wrapped = inward.encrypt('/x', clear);
    expect(Object.keys(wrapped as object)).toEqual(['wrapped']);
    expect(inward.decrypt('/x', wrapped)).toEqual(clear);

    const outward = jwe(roundTrip('x', [{ element: 'secret', obj: '$' }], [{ element: '$', obj: 'secret' }]));
    const mixed = { id: 7, secret: { pan: '5123456789012345' } };
    const rooted = outward.encrypt('/x', mixed);
    expect(Object.keys(rooted as object)).toEqual(['id', 'encryptedValue']);
    expect(outward.decrypt('/x', rooted)).toEqual(mixed);
  });

  it('creates the objects on the way to obj when decrypting', () => {
    const e = jwe(roundTrip('x', [{ element: 'a', obj: 'enc' }], [{ element: 'enc', obj: 'deep.er.still' }]));
    expect(e.decrypt('/x', e.encrypt('/x', { a: { b: 1 }, deep: null }))).toEqual({
      deep: { er: { still: { b: 1 } } },
    });
  });

  it('keeps members that share the encrypted object, and merges into an object at obj', () => {
    const e = jwe(roundTrip('x', [{ element: 'p.data', obj: 'p' }], [{ element: 'p', obj: 'p.data' }]));
    const encrypted = e.encrypt('/x', { p: { data: { x: 1 }, keep: true } });
    expect(encrypted).toMatchObject({ p: { keep: true, encryptedValue: expect.any(String) } });
    expect(e.decrypt('/x', encrypted)).toEqual({ p: { keep: true, data: { x: 1 } } });
    const merged = jwe(roundTrip('x', [], [{ element: 'enc', obj: 'target' }]));
    const sealed = e.encrypt('/x', { p: { data: { x: 1 } } }) as { p: object };
    expect(merged.decrypt('/x', { enc: sealed.p, target: { y: 2 } })).toEqual({ target: { y: 2, x: 1 } });
  });

  it('accepts the Java library paths ($.a.b)', () => {
    const e = jwe(roundTrip('x', [{ element: '$.a.b', obj: '$.a' }], [{ element: '$.a', obj: '$.a.b' }]));
    expect(e.encrypt('/x', { a: { b: 1 } })).toHaveProperty('a.encryptedValue');
  });

  it('skips an absent element, and a null ciphertext', () => {
    const e = jwe(roundTrip('x', [{ element: 'a.b', obj: 'c' }], [{ element: 'c', obj: 'a.b' }]));
    expect(e.encrypt('/x', { z: 1 })).toEqual({ z: 1 });
    expect(e.decrypt('/x', { c: null })).toEqual({ c: null });
    expect(e.encrypt('/x', { a: { b: false } })).toHaveProperty('c.encryptedValue');
  });

  it('refuses to write through a value that is not an object', () => {
    const e = jwe(roundTrip('x', [{ element: 'a', obj: 'b.c' }], []));
    expect(() => e.encrypt('/x', { a: 1, b: 'text' })).toThrow(
      expect.objectContaining({ code: 'ENCRYPTION_PATH_CONFLICT', status: 400 }),
    );
  });

  it('says malformed when the ciphertext is not where the config says', () => {
    const e = jwe(roundTrip('x', [], [{ element: 'c', obj: 'a' }]));
    expect(() => e.decrypt('/x', { c: { other: 1 } })).toThrow(
      expect.objectContaining({ code: 'JWE_MALFORMED' }),
    );
    const f = fieldLevel(roundTrip('x', [], [{ element: 'c', obj: 'a' }]));
    expect(() => f.decrypt('/x', { c: 'text' })).toThrow(expect.objectContaining({ code: 'FLE_MALFORMED' }));
  });

  it('keeps members named __proto__ as data and honours toJSON', () => {
    const e = jwe(roundTrip('x', [{ element: 'a', obj: 'b' }], [{ element: 'b', obj: 'a' }]));
    const clear = JSON.parse('{"__proto__":{"x":1},"a":{"__proto__":{"polluted":true},"when":1}}');
    const back = e.decrypt('/x', e.encrypt('/x', clear)) as { a: object };
    expect(JSON.stringify(back)).toBe('{"__proto__":{"x":1},"a":{"__proto__":{"polluted":true},"when":1}}');
    expect(Object.getPrototypeOf(back)).toBe(Object.prototype);
    expect(Object.getPrototypeOf(back.a)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    const dated = e.encrypt('/x', { a: new Date(0) }) as { b: { encryptedValue: string } };
    expect(decryptJwe(dated.b.encryptedValue, recipient.privateKey)).toBe('"1970-01-01T00:00:00.000Z"');
  });

  it('never changes the caller’s payload and never returns it', () => {
    const e = jwe(MDES);
    const clear = deepFreeze(card());
    const encrypted = e.encrypt('/pushaccount', clear);
    expect(clear).toEqual(card());
    const frozen = deepFreeze(encrypted);
    const decrypted = e.decrypt('/pushaccount', frozen);
    expect(decrypted).toEqual(card());
    const untouched = e.encrypt('/elsewhere', clear);
    expect(untouched).toEqual(clear);
    expect(untouched).not.toBe(clear);
  });
});

describe('resource paths', () => {
  const e = jwe([
    { path: /\/tokens$/g, toEncrypt: [{ element: 'a', obj: 'first' }] },
    { path: 'tokens', toEncrypt: [{ element: 'a', obj: 'second' }] },
  ]);

  it('applies the first pattern found in the path, ignoring query and fragment', () => {
    expect(e.encrypt('/api/tokens?sort=asc', { a: 1 })).toHaveProperty('first');
    expect(e.encrypt('https://h.example/api/tokens#x', { a: 1 })).toHaveProperty('first');
    expect(e.encrypt('/api/tokens/123', { a: 1 })).toHaveProperty('second');
    expect(e.encrypt('/api/cards?x=tokens', { a: 1 })).toEqual({ a: 1 });
  });

  it('matches every time with a global RegExp', () => {
    for (let i = 0; i < 3; i++) expect(e.encrypt('/tokens', { a: 1 })).toHaveProperty('first');
  });
});

describe('fingerprints', () => {
  const kidOf = (e: PayloadEncryption) => {
    const { encryptedValue } = e.encrypt('/x', { a: 1 }) as { encryptedValue: string };
    return JSON.parse(Buffer.from(encryptedValue.split('.')[0] ?? '', 'base64url').toString()).kid;
  };
  const whole = roundTrip('x', [{ element: '$', obj: '$' }], []);

  it('names the public key by default, the certificate on request, or what is configured', () => {
    const certificateHex = certificateFingerprint(recipient.certificate);
    expect(kidOf(jwe(whole))).toBe(publicKeyFingerprint(recipient.publicKey));
    expect(kidOf(jwe(whole, { publicKeyFingerprintType: 'certificate' }))).toBe(certificateHex);
    expect(kidOf(jwe(whole, { publicKeyFingerprintType: 'certificate', dataEncoding: 'base64' }))).toBe(
      Buffer.from(certificateHex, 'hex').toString('base64'),
    );
    expect(kidOf(jwe(whole, { publicKeyFingerprint: 'key-2025' }))).toBe('key-2025');
  });

  it('writes only the field-level members configured, and decrypts without them', () => {
    const f = fieldLevel(roundTrip('x', [{ element: '$', obj: '$' }], [{ element: '$', obj: '$' }]), {
      publicKeyFingerprintFieldName: undefined,
      oaepHashingAlgorithmFieldName: undefined,
      oaepPaddingDigestAlgorithm: 'SHA512',
      encryptedKeyFieldName: 'wrappedKey',
      ivFieldName: 'nonce',
    });
    const encrypted = f.encrypt('/x', { a: 1 });
    expect(Object.keys(encrypted as object)).toEqual(['encryptedData', 'nonce', 'wrappedKey']);
    expect(f.decrypt('/x', encrypted)).toEqual({ a: 1 });
  });
});

describe('field-level header variant', () => {
  const headerNames = {
    ivHeaderName: 'X-IV',
    encryptedKeyHeaderName: 'X-Encrypted-Key',
    oaepHashingAlgorithmHeaderName: 'X-OAEP-Hashing-Algorithm',
    publicKeyFingerprintHeaderName: 'X-Public-Key-Fingerprint',
  };
  /** As node:http hands incoming headers over. */
  const incoming = (headers: Record<string, string>) =>
    Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
  const f = fieldLevel(
    roundTrip(
      'x',
      [{ element: '$', obj: 'encrypted_payload' }],
      [{ element: 'encrypted_payload', obj: '$' }],
    ),
    { ...headerNames, encryptedKeyFieldName: undefined, oaepPaddingDigestAlgorithm: 'SHA-512' },
  );

  it('puts key, IV, digest and fingerprint in headers and only the ciphertext in the body', () => {
    const headers: Record<string, string> = {};
    const encrypted = f.encrypt('/x', { pan: '5123456789012345' }, headers);
    expect(Object.keys(headers)).toEqual(Object.values(headerNames));
    expect(headers['X-OAEP-Hashing-Algorithm']).toBe('SHA512');
    expect(headers['X-Public-Key-Fingerprint']).toBe(publicKeyFingerprint(recipient.publicKey));
    expect(encrypted).toEqual({ encrypted_payload: { encryptedData: expect.stringMatching(/^[0-9a-f]+$/) } });
    expect(f.decrypt('/x', encrypted, headers)).toEqual({ pan: '5123456789012345' });
    expect(f.decrypt('/x', encrypted, incoming(headers))).toEqual({ pan: '5123456789012345' });
  });

  it('needs the headers', () => {
    expect(() => f.encrypt('/x', { a: 1 })).toThrow(
      expect.objectContaining({ code: 'ENCRYPTION_HEADERS_REQUIRED' }),
    );
    const headers: Record<string, string> = {};
    const encrypted = f.encrypt('/x', { a: 1 }, headers);
    expect(() => f.decrypt('/x', encrypted)).toThrow(
      expect.objectContaining({ code: 'ENCRYPTION_HEADERS_REQUIRED' }),
    );
    const { 'X-IV': _, ...withoutIv } = headers;
    expect(() => f.decrypt('/x', encrypted, withoutIv)).toThrow(
      expect.objectContaining({ code: 'FLE_MALFORMED' }),
    );
  });
});

describe('round trips of arbitrary JSON (fast-check)', () => {
  const json = fc.jsonValue({ maxDepth: 5, stringUnit: 'binary' });
  const normal = (value: unknown) => JSON.parse(JSON.stringify(value));
  const schemes: [string, (paths: ResourceEncryption[]) => PayloadEncryption][] = [
    ['JWE', (paths) => jwe(paths)],
    ['field-level hex SHA-256', (paths) => fieldLevel(paths)],
    [
      'field-level base64 SHA-512',
      (paths) => fieldLevel(paths, { dataEncoding: 'base64', oaepPaddingDigestAlgorithm: 'SHA-512' }),
    ],
  ];

  it.each(schemes)('%s, whole payload', (_name, make) => {
    const e = make(roundTrip('x', [{ element: '$', obj: '$' }], [{ element: '$', obj: '$' }]));
    fc.assert(
      fc.property(json, (value) => {
        expect(e.decrypt('/x', e.encrypt('/x', value))).toEqual(normal(value));
      }),
      { numRuns: 60 },
    );
  });

  it.each(schemes)('%s, nested member beside clear data', (_name, make) => {
    const e = make(
      roundTrip(
        'x',
        [{ element: 'in.secret', obj: 'out.sealed' }],
        [{ element: 'out.sealed', obj: 'in.secret' }],
      ),
    );
    fc.assert(
      fc.property(json, json, (secret, clear) => {
        const payload = { in: { secret, clear }, other: clear };
        // Only the encrypted part goes through JSON text (where -0 becomes 0).
        expect(e.decrypt('/x', e.encrypt('/x', payload))).toEqual({
          in: { secret: normal(secret), clear },
          other: clear,
        });
      }),
      { numRuns: 60 },
    );
  });
});
