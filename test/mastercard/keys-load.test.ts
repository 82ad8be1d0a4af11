import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import forge from 'node-forge';
import { describe, expect, it } from 'vitest';
import { PushprovError } from '../../src/core/errors.js';
import { selfSignedCertificate } from '../../src/mastercard/keys/certificate.js';
import { type KeySource, loadPrivateKey, loadPublicKey } from '../../src/mastercard/keys/load.js';
import {
  FIXTURE_ALIAS,
  FIXTURE_PASSWORD,
  fixture,
  signingKey,
  verifyingKey,
} from '../fixtures/keys/index.js';

// Mastercard's own loader, to check both read the same key from a PKCS#12 store.
const mastercardUtils = createRequire(import.meta.url)('mastercard-client-encryption').EncryptionUtils as {
  getPrivateKey(config: { keyStore: string; keyStoreAlias: string; keyStorePassword: string }): {
    n: { toString(radix: number): string };
  };
};
const modulusHex = (key: KeyObject): string =>
  BigInt(`0x${Buffer.from(key.export({ format: 'jwk' }).n!, 'base64url').toString('hex')}`).toString(16);

async function failure(promise: Promise<unknown>): Promise<PushprovError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(PushprovError);
  return error as PushprovError;
}

describe('loadPrivateKey', () => {
  it.each([
    ['PKCS#8 PEM', 'rsa.pkcs8.pem', {}],
    ['PKCS#1 PEM', 'rsa.pkcs1.pem', {}],
    ['PKCS#8 DER', 'rsa.pkcs8.der', {}],
    ['PKCS#1 DER', 'rsa.pkcs1.der', {}],
    ['encrypted PKCS#8 PEM', 'rsa.pkcs8.encrypted.pem', { password: FIXTURE_PASSWORD }],
    ['encrypted PKCS#1 PEM', 'rsa.pkcs1.encrypted.pem', { password: FIXTURE_PASSWORD }],
    ['PKCS#12, OpenSSL 3 profile', 'rsa.p12', { password: FIXTURE_PASSWORD, alias: FIXTURE_ALIAS }],
    [
      'PKCS#12, SHA-1/3DES profile',
      'rsa.sha1-3des.p12',
      { password: FIXTURE_PASSWORD, alias: FIXTURE_ALIAS },
    ],
    ['PKCS#12 holding one key, no alias', 'rsa.p12', { password: FIXTURE_PASSWORD }],
  ])('reads %s', async (_, file, options) => {
    const key = await loadPrivateKey({ path: fixture(file) }, options);
    expect(key.type).toBe('private');
    expect(key.equals(signingKey)).toBe(true);
  });

  it('reads contents as well as files, as text or bytes', async () => {
    const pem = readFileSync(fixture('rsa.pkcs8.pem'), 'utf8');
    expect((await loadPrivateKey({ data: pem })).equals(signingKey)).toBe(true);
    const p12 = new Uint8Array(readFileSync(fixture('rsa.p12')));
    expect((await loadPrivateKey({ data: p12 }, { password: FIXTURE_PASSWORD })).equals(signingKey)).toBe(
      true,
    );
  });

  it("reads a PKCS#12 store to the same key as Mastercard's client-encryption library", async () => {
    for (const file of ['rsa.p12', 'rsa.sha1-3des.p12']) {
      const ours = await loadPrivateKey(
        { path: fixture(file) },
        { password: FIXTURE_PASSWORD, alias: FIXTURE_ALIAS },
      );
      const theirs = mastercardUtils.getPrivateKey({
        keyStore: fixture(file),
        keyStoreAlias: FIXTURE_ALIAS,
        keyStorePassword: FIXTURE_PASSWORD,
      });
      expect(modulusHex(ours)).toBe(theirs.n.toString(16));
    }
  });

  it('KEY_PASSWORD_INVALID for a wrong password, without echoing it', async () => {
    for (const file of [
      'rsa.pkcs8.encrypted.pem',
      'rsa.pkcs1.encrypted.pem',
      'rsa.p12',
      'rsa.sha1-3des.p12',
    ]) {
      const error = await failure(loadPrivateKey({ path: fixture(file) }, { password: 'hunter2-wrong' }));
      expect(error.code).toBe('KEY_PASSWORD_INVALID');
      expect(error.message).toContain(file);
      expect(JSON.stringify({ message: error.message, details: error.details })).not.toContain('hunter2');
    }
  });

  it('KEY_PASSWORD_REQUIRED for an encrypted key without a password', async () => {
    for (const file of ['rsa.pkcs8.encrypted.pem', 'rsa.pkcs1.encrypted.pem', 'rsa.p12']) {
      expect((await failure(loadPrivateKey({ path: fixture(file) }))).code).toBe('KEY_PASSWORD_REQUIRED');
    }
  });

  it('KEY_ALIAS_NOT_FOUND for an unknown alias, listing the aliases present', async () => {
    const error = await failure(
      loadPrivateKey({ path: fixture('rsa.p12') }, { password: FIXTURE_PASSWORD, alias: 'nope' }),
    );
    expect(error.code).toBe('KEY_ALIAS_NOT_FOUND');
    expect(error.details).toEqual({ aliases: [FIXTURE_ALIAS] });
  });

  it('picks a key by alias from a store with several, and needs the alias to do so', async () => {
    const first = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const second = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const data = pkcs12WithKeys('pw', [
      ['first', first],
      ['second', second],
    ]);
    const picked = await loadPrivateKey({ data }, { password: 'pw', alias: 'second' });
    expect(picked.equals(second.privateKey)).toBe(true);
    const error = await failure(loadPrivateKey({ data }, { password: 'pw' }));
    expect(error.code).toBe('KEY_ALIAS_REQUIRED');
    expect(error.details).toEqual({ aliases: ['first', 'second'] });
  });

  it('KEY_PKCS12_UNSUPPORTED for a PKCS#12 store forge cannot open, KEY_NOT_PRIVATE for one without a key', async () => {
    // PFX { version 3, authSafe: an empty SEQUENCE }
    const hollow = new Uint8Array([0x30, 0x05, 0x02, 0x01, 0x03, 0x30, 0x00]);
    expect((await failure(loadPrivateKey({ data: hollow }, { password: 'x' }))).code).toBe(
      'KEY_PKCS12_UNSUPPORTED',
    );
    const cert = forge.pki.certificateFromPem(readFileSync(fixture('rsa.crt.pem'), 'utf8'));
    const certOnly = forge.asn1
      .toDer(forge.pkcs12.toPkcs12Asn1(null, [cert], 'pw', { algorithm: '3des' }))
      .getBytes();
    const error = await failure(
      loadPrivateKey({ data: Buffer.from(certOnly, 'binary') }, { password: 'pw' }),
    );
    expect(error.code).toBe('KEY_NOT_PRIVATE');
  });

  it('KEY_FILE_UNREADABLE for a file that cannot be read', async () => {
    const error = await failure(loadPrivateKey({ path: fixture('missing.pem') }));
    expect(error.code).toBe('KEY_FILE_UNREADABLE');
    expect(error.message).toContain('ENOENT');
  });

  it('KEY_UNRECOGNISED for contents that are no key', async () => {
    for (const source of [
      { path: fixture('not-a-key.bin') },
      { data: '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n' },
      { data: 'just text' },
    ] satisfies KeySource[]) {
      expect((await failure(loadPrivateKey(source))).code).toBe('KEY_UNRECOGNISED');
    }
  });

  it('KEY_NOT_PRIVATE for a certificate or public key', async () => {
    for (const file of [
      'rsa.crt.pem',
      'rsa.crt.der',
      'rsa.spki.pem',
      'rsa.spki.der',
      'rsa.pkcs1-public.pem',
    ]) {
      expect((await failure(loadPrivateKey({ path: fixture(file) }))).code).toBe('KEY_NOT_PRIVATE');
    }
  });

  it('KEY_NOT_RSA for another kind of key, in PEM or PKCS#12', async () => {
    expect((await failure(loadPrivateKey({ path: fixture('ec.pkcs8.pem') }))).code).toBe('KEY_NOT_RSA');
    const fromStore = loadPrivateKey({ path: fixture('ec.p12') }, { password: FIXTURE_PASSWORD });
    expect((await failure(fromStore)).code).toBe('KEY_NOT_RSA');
  });
});

describe('loadPublicKey', () => {
  it.each(['rsa.crt.pem', 'rsa.crt.der'])('reads the certificate %s with its key', async (file) => {
    const { publicKey, certificate } = await loadPublicKey({ path: fixture(file) });
    expect(publicKey.equals(verifyingKey)).toBe(true);
    expect(certificate?.subject).toContain('CN=pushprov test fixture');
  });

  it.each(['rsa.spki.pem', 'rsa.spki.der', 'rsa.pkcs1-public.pem'])(
    'reads the bare public key %s',
    async (file) => {
      const loaded = await loadPublicKey({ path: fixture(file) });
      expect(loaded.publicKey.equals(verifyingKey)).toBe(true);
      expect(loaded.certificate).toBeUndefined();
    },
  );

  it('KEY_NOT_PUBLIC for a private key, so private material is never configured as public', async () => {
    for (const file of ['rsa.pkcs8.pem', 'rsa.pkcs1.pem', 'rsa.pkcs8.der', 'rsa.pkcs1.der', 'rsa.p12']) {
      expect((await failure(loadPublicKey({ path: fixture(file) }))).code).toBe('KEY_NOT_PUBLIC');
    }
  });

  it('KEY_NOT_RSA for an EC certificate or key, KEY_UNRECOGNISED for noise', async () => {
    expect((await failure(loadPublicKey({ path: fixture('ec.crt.pem') }))).code).toBe('KEY_NOT_RSA');
    expect((await failure(loadPublicKey({ path: fixture('ec.spki.pem') }))).code).toBe('KEY_NOT_RSA');
    expect((await failure(loadPublicKey({ path: fixture('not-a-key.bin') }))).code).toBe('KEY_UNRECOGNISED');
  });
});

/** A PKCS#12 store holding several keys, built by merging forge-made stores (no MAC). */
function pkcs12WithKeys(
  password: string,
  entries: [string, { privateKey: KeyObject; publicKey: KeyObject }][],
) {
  const { asn1 } = forge;
  const safes = entries.flatMap(([alias, pair]) => {
    const cert = selfSignedCertificate(pair, {
      commonName: alias,
      usage: 'signing',
      notBefore: new Date(),
      notAfter: new Date(Date.now() + 86_400_000),
    });
    const key = forge.pki.privateKeyFromAsn1(
      asn1.fromDer(pair.privateKey.export({ type: 'pkcs8', format: 'der' }).toString('binary')),
    );
    const forgeCert = forge.pki.certificateFromAsn1(asn1.fromDer(cert.raw.toString('binary')));
    const pfx = forge.pkcs12.toPkcs12Asn1(key, [forgeCert], password, {
      algorithm: '3des',
      friendlyName: alias,
      useMac: false,
    });
    // PFX { version, authSafe ContentInfo { data, [0] { OCTET STRING AuthenticatedSafe } } }
    const contentInfo = (pfx.value as forge.asn1.Asn1[])[1]!;
    const octets = ((contentInfo.value as forge.asn1.Asn1[])[1]!.value as forge.asn1.Asn1[])[0]!;
    return asn1.fromDer(octets.value as string).value as forge.asn1.Asn1[];
  });
  const authSafe = asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SEQUENCE, true, safes);
  const pfx = asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SEQUENCE, true, [
    asn1.create(asn1.Class.UNIVERSAL, asn1.Type.INTEGER, false, asn1.integerToDer(3).getBytes()),
    asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SEQUENCE, true, [
      asn1.create(asn1.Class.UNIVERSAL, asn1.Type.OID, false, asn1.oidToDer(forge.pki.oids.data!).getBytes()),
      asn1.create(asn1.Class.CONTEXT_SPECIFIC, 0, true, [
        asn1.create(asn1.Class.UNIVERSAL, asn1.Type.OCTETSTRING, false, asn1.toDer(authSafe).getBytes()),
      ]),
    ]),
  ]);
  return new Uint8Array(Buffer.from(asn1.toDer(pfx).getBytes(), 'binary'));
}
