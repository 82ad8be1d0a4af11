import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  createFieldLevelEncryption,
  createJweEncryption,
  type DataEncoding,
  type FieldLevelConfig,
  type FingerprintType,
  type PathMapping,
  type PayloadEncryption,
} from '../../src/mastercard/encryption/index.js';
import { type MastercardEncryption, mastercard, recipient } from '../fixtures/encryption/keys.js';

/**
 * pushprov against mastercard-client-encryption, the reference: each
 * decrypts what the other encrypted, with the same configuration. Known
 * faults of the library are worked around and named where they show:
 * its field-level decrypt reads UTF-8 as Latin-1 (so pushprov-to-library
 * payloads here are ASCII), and it encrypts a string bare, so a string of
 * digits comes back a number from either side.
 */

const RESOURCE = '/mdes/digitization/1/0/pushaccount';
const ours = { encryptionCertificate: recipient.certificate, decryptionKey: recipient.privateKey };
const { files } = recipient;

interface Layout {
  name: string;
  toEncrypt: PathMapping[];
  toDecrypt: PathMapping[];
  clear: () => unknown;
}

const layouts: Layout[] = [
  {
    name: 'nested MDES encryptedPayload',
    toEncrypt: [
      {
        element: 'fundingAccountInfo.encryptedPayload.encryptedData',
        obj: 'fundingAccountInfo.encryptedPayload',
      },
    ],
    toDecrypt: [
      {
        element: 'fundingAccountInfo.encryptedPayload',
        obj: 'fundingAccountInfo.encryptedPayload.encryptedData',
      },
    ],
    clear: () => ({
      requestId: 'r-1',
      fundingAccountInfo: {
        encryptedPayload: {
          encryptedData: {
            accountNumber: '5123456789012345',
            expiryMonth: '09',
            expiryYear: '29',
            cardholderName: 'A B',
          },
        },
      },
    }),
  },
  {
    name: 'a leaf',
    toEncrypt: [{ element: 'card.cardholderName', obj: 'card.encryptedName' }],
    toDecrypt: [{ element: 'card.encryptedName', obj: 'card.cardholderName' }],
    clear: () => ({ card: { cardholderName: 'Jane Q. Public', expiryYear: '29' } }),
  },
  {
    name: 'the whole payload ($)',
    toEncrypt: [{ element: '$', obj: '$' }],
    toDecrypt: [{ element: '$', obj: '$' }],
    clear: () => ({ accountNumber: '5123456789012345', nested: { list: [1, 'two', null, true] } }),
  },
  {
    name: 'a whole array payload ($)',
    toEncrypt: [{ element: '$', obj: '$' }],
    toDecrypt: [{ element: '$', obj: '$' }],
    clear: () => [{ accountNumber: '5123456789012345' }, {}],
  },
  {
    name: 'the whole payload into a path',
    toEncrypt: [{ element: '$', obj: '$' }],
    toDecrypt: [{ element: '$', obj: 'path.to.foo' }],
    clear: () => ({ a: { b: 'c' } }),
  },
];

/** What decrypting `clear` to the layout's toDecrypt.obj gives: the same for both libraries. */
function expected(layout: Layout): unknown {
  const clear = layout.clear();
  return layout.name === 'the whole payload into a path' ? { path: { to: { foo: clear } } } : clear;
}

interface Pair {
  ours: PayloadEncryption;
  theirs: MastercardEncryption;
}

function both(layout: Layout, make: (paths: object[], keys: 'ours' | 'theirs') => unknown): Pair {
  const paths = [{ path: 'pushaccount$', toEncrypt: layout.toEncrypt, toDecrypt: layout.toDecrypt }];
  return {
    ours: make(paths, 'ours') as PayloadEncryption,
    theirs: make(paths, 'theirs') as MastercardEncryption,
  };
}

const theirEncrypt = (theirs: MastercardEncryption, body: unknown) => theirs.encrypt(RESOURCE, {}, body).body;
const theirDecrypt = (theirs: MastercardEncryption, body: unknown) =>
  theirs.decrypt({ request: { url: RESOURCE }, body: structuredClone(body) });

describe('JWE', () => {
  const make = (extra: object) => (paths: object[], side: 'ours' | 'theirs') =>
    side === 'ours'
      ? createJweEncryption({
          paths: paths as never,
          encryptedValueFieldName: 'encryptedData',
          ...ours,
          ...extra,
        })
      : new mastercard.JweEncryption({ paths, encryptedValueFieldName: 'encryptedData', ...files, ...extra });

  describe.each(layouts)('$name', (layout) => {
    const { ours: o, theirs: t } = both(layout, make({}));

    it('the library decrypts pushprov', () => {
      expect(theirDecrypt(t, o.encrypt(RESOURCE, layout.clear()))).toEqual(expected(layout));
    });

    it('pushprov decrypts the library', () => {
      expect(o.decrypt(RESOURCE, theirEncrypt(t, layout.clear()))).toEqual(expected(layout));
    });
  });

  it.each<[string, object]>([
    ['public key', {}],
    ['certificate, hex', { publicKeyFingerprintType: 'certificate', dataEncoding: 'hex' }],
    ['certificate, base64', { publicKeyFingerprintType: 'certificate', dataEncoding: 'base64' }],
  ])('writes the same header as the library (kid from the %s)', (_name, extra) => {
    const { ours: o, theirs: t } = both(layouts[2]!, make(extra));
    const header = (body: unknown) =>
      Buffer.from((body as { encryptedData: string }).encryptedData.split('.')[0] ?? '', 'base64').toString();
    expect(header(o.encrypt(RESOURCE, { a: 1 }))).toBe(header(theirEncrypt(t, { a: 1 })));
  });

  it('round-trips arbitrary JSON both ways (fast-check)', () => {
    const { ours: o, theirs: t } = both(layouts[2]!, make({}));
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 4, stringUnit: 'grapheme' }), (value) => {
        // The library skips encrypting falsy payloads; anything else must come back.
        fc.pre(Boolean(value));
        const normal = JSON.parse(JSON.stringify(value));
        expect(theirDecrypt(t, o.encrypt(RESOURCE, value))).toEqual(normal);
        if (typeof value !== 'string') expect(o.decrypt(RESOURCE, theirEncrypt(t, value))).toEqual(normal);
      }),
      { numRuns: 40 },
    );
  });
});

describe('field-level', () => {
  const names = {
    encryptedValueFieldName: 'encryptedData',
    encryptedKeyFieldName: 'encryptedKey',
    ivFieldName: 'iv',
    publicKeyFingerprintFieldName: 'publicKeyFingerprint',
    oaepHashingAlgorithmFieldName: 'oaepHashingAlgorithm',
  };
  const make = (extra: object) => (paths: object[], side: 'ours' | 'theirs') =>
    side === 'ours'
      ? createFieldLevelEncryption({ paths, ...names, ...ours, ...extra } as unknown as FieldLevelConfig)
      : new mastercard.FieldLevelEncryption({ paths, ...names, ...files, ...extra });

  const HEX_SHA256 = {
    dataEncoding: 'hex',
    oaepPaddingDigestAlgorithm: 'SHA-256',
    publicKeyFingerprintType: 'publicKey',
  };

  const combinations: [DataEncoding, string, FingerprintType][] = [];
  for (const encoding of ['hex', 'base64'] as const) {
    for (const digest of ['SHA-256', 'SHA-512']) {
      for (const fingerprint of ['publicKey', 'certificate'] as const)
        combinations.push([encoding, digest, fingerprint]);
    }
  }

  describe.each(combinations)(
    '%s, OAEP %s, %s fingerprint',
    (dataEncoding, oaepPaddingDigestAlgorithm, type) => {
      const extra = { dataEncoding, oaepPaddingDigestAlgorithm, publicKeyFingerprintType: type };
      const layout = layouts[0]!;
      const { ours: o, theirs: t } = both(layout, make(extra));

      it('writes the members the library writes, with the same fingerprint and digest', () => {
        const mine = o.encrypt(RESOURCE, layout.clear()) as {
          fundingAccountInfo: { encryptedPayload: object };
        };
        const theirs = theirEncrypt(t, layout.clear()) as typeof mine;
        const a = mine.fundingAccountInfo.encryptedPayload as Record<string, string>;
        const b = theirs.fundingAccountInfo.encryptedPayload as Record<string, string>;
        expect(Object.keys(a)).toEqual(Object.keys(b));
        expect(a.publicKeyFingerprint).toBe(b.publicKeyFingerprint);
        expect(a.oaepHashingAlgorithm).toBe(b.oaepHashingAlgorithm);
        for (const field of ['encryptedData', 'iv', 'encryptedKey'] as const) {
          expect(Buffer.from(a[field] ?? '', dataEncoding).toString(dataEncoding)).toBe(a[field]);
          expect(a[field]?.length).toBe(b[field]?.length);
        }
      });

      it('the library decrypts pushprov', () => {
        expect(theirDecrypt(t, o.encrypt(RESOURCE, layout.clear()))).toEqual(expected(layout));
      });

      it('pushprov decrypts the library, non-ASCII text included', () => {
        const clear = layout.clear() as ReturnType<(typeof layouts)[0]['clear']> & object;
        const unicode = JSON.parse(JSON.stringify(clear).replace('A B', 'Zoë Ünal 李 😀'));
        expect(o.decrypt(RESOURCE, theirEncrypt(t, structuredClone(unicode)))).toEqual(unicode);
      });
    },
  );

  describe.each(layouts.slice(1))('$name', (layout) => {
    const { ours: o, theirs: t } = both(layout, make(HEX_SHA256));

    it('the library decrypts pushprov', () => {
      expect(theirDecrypt(t, o.encrypt(RESOURCE, layout.clear()))).toEqual(expected(layout));
    });

    it('pushprov decrypts the library', () => {
      expect(o.decrypt(RESOURCE, theirEncrypt(t, layout.clear()))).toEqual(expected(layout));
    });
  });

  it('reads a string of digits the library encrypted as the library itself does', () => {
    const layout = layouts[1]!;
    const { ours: o, theirs: t } = both(layout, make(HEX_SHA256));
    const encrypted = theirEncrypt(t, { card: { cardholderName: '12345' } });
    expect(o.decrypt(RESOURCE, encrypted)).toEqual(theirDecrypt(t, encrypted));
    expect(o.decrypt(RESOURCE, encrypted)).toEqual({ card: { cardholderName: 12345 } });
    // Encrypted by pushprov, a string stays a string on both sides.
    const ours = o.encrypt(RESOURCE, { card: { cardholderName: '12345' } });
    expect(theirDecrypt(t, ours)).toEqual({ card: { cardholderName: '12345' } });
  });

  it('carries key, IV, digest and fingerprint in headers as the library does', () => {
    const headers = {
      ivHeaderName: 'x-iv',
      encryptedKeyHeaderName: 'x-encrypted-key',
      oaepHashingAlgorithmHeaderName: 'x-oaep-hashing-algorithm',
      publicKeyFingerprintHeaderName: 'x-public-key-fingerprint',
    };
    const common = {
      ...headers,
      encryptedValueFieldName: 'data',
      dataEncoding: 'hex' as const,
      oaepPaddingDigestAlgorithm: 'SHA-512',
      publicKeyFingerprintType: 'certificate' as const,
    };
    const o = createFieldLevelEncryption({
      ...common,
      ...ours,
      paths: [
        {
          path: 'pushaccount$',
          toEncrypt: [{ element: '$', obj: 'encrypted_payload' }],
          toDecrypt: [{ element: 'encrypted_payload', obj: '$' }],
        },
      ],
    });
    // The library reads ciphertext from `obj` in this variant, the reverse of its body variant.
    const t = new mastercard.FieldLevelEncryption({
      ...common,
      ...files,
      paths: [
        {
          path: 'pushaccount$',
          toEncrypt: [{ element: '$', obj: 'encrypted_payload' }],
          toDecrypt: [{ element: '$', obj: 'encrypted_payload' }],
        },
      ],
    });
    const clear = { accountNumber: '5123456789012345', expiryMonth: '09' };

    const ourHeaders: Record<string, string> = {};
    const mine = o.encrypt(RESOURCE, clear, ourHeaders);
    expect(t.decrypt({ request: { url: RESOURCE }, header: ourHeaders, body: mine })).toEqual(clear);

    const theirHeaders: Record<string, string> = {};
    const theirs = t.encrypt(RESOURCE, theirHeaders, structuredClone(clear)).body;
    expect(Object.keys(ourHeaders).sort()).toEqual(Object.keys(theirHeaders).sort());
    expect(ourHeaders['x-public-key-fingerprint']).toBe(theirHeaders['x-public-key-fingerprint']);
    expect(o.decrypt(RESOURCE, theirs, theirHeaders)).toEqual(clear);
  });
});
