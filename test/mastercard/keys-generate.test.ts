import { constants, privateDecrypt, publicEncrypt, type X509Certificate } from 'node:crypto';
import { copyFileSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { PushprovError } from '../../src/core/errors.js';
import { certificateFingerprint, publicKeyFingerprint } from '../../src/mastercard/keys/fingerprint.js';
import {
  DEV_PKCS12_ALIAS,
  DEV_PKCS12_PASSWORD,
  type DevKeyRole,
  type DevKeySummary,
  generateDevKeys,
  loadDevKeys,
} from '../../src/mastercard/keys/generate.js';
import { loadPrivateKey } from '../../src/mastercard/keys/load.js';
import { OAuthSigner } from '../../src/mastercard/oauth/signer.js';
import { MemoryNonceStore, OAuthVerifier } from '../../src/mastercard/oauth/verifier.js';

const mastercardUtils = createRequire(import.meta.url)('mastercard-client-encryption').EncryptionUtils as {
  getPrivateKey(config: { keyStore: string; keyStoreAlias: string; keyStorePassword: string }): {
    n: { toString(radix: number): string };
  };
};

const ROLES: DevKeyRole[] = [
  'issuerSigning',
  'mastercardEncryption',
  'mastercardSigning',
  'issuerEncryption',
  'merchantSigning',
];
const tempDir = () => mkdtempSync(join(tmpdir(), 'pushprov-keys-'));
const clock = new ManualClock(Date.UTC(2026, 5, 1));

let dir: string;
let summary: DevKeySummary;
const steps: string[] = [];

beforeAll(async () => {
  dir = join(tempDir(), 'dev');
  summary = await generateDevKeys(dir, { clock, onProgress: (step) => steps.push(step) });
});

async function failure(promise: Promise<unknown>): Promise<PushprovError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(PushprovError);
  return error as PushprovError;
}

describe('generateDevKeys', () => {
  it('reports its progress', () => {
    expect(steps).toEqual([
      'generating 5 RSA-2048 key pairs',
      'issuing self-signed certificates',
      `writing the key set to ${dir}`,
    ]);
  });

  it('issues a consumer key in the Mastercard Developers shape', () => {
    expect(summary.consumerKey).toMatch(/^[A-Za-z0-9_-]{48}![0-9a-f]{48}$/);
    const secretPart = Buffer.from(summary.consumerKey.split('!')[1]!, 'hex').toString('latin1');
    expect(Buffer.from(secretPart, 'base64')).toHaveLength(16);
  });

  it('writes private keys and the PKCS#12 store readable by the owner only', () => {
    for (const role of ROLES) expect(statSync(summary.keys[role].files.privateKey).mode & 0o777).toBe(0o600);
    expect(statSync(summary.keys.issuerSigning.files.pkcs12!).mode & 0o777).toBe(0o600);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
  });

  it('returns paths and fingerprints, never key material', async () => {
    const text = JSON.stringify(summary);
    expect(text).not.toMatch(/PRIVATE KEY|BEGIN/);
    expect(text).not.toContain(DEV_PKCS12_PASSWORD);
    for (const role of ROLES) {
      const entry = summary.keys[role];
      const privateKey = await loadPrivateKey({ path: entry.files.privateKey });
      const body = readFileSync(entry.files.privateKey, 'utf8').split('\n')[1]!;
      expect(text).not.toContain(body);
      expect(entry.publicKeyFingerprint).toBe(publicKeyFingerprint(privateKey));
    }
  });

  it('gives certificates to the keys others encrypt to or verify', () => {
    const withCertificate = ROLES.filter((role) => summary.keys[role].files.certificate !== undefined);
    expect(withCertificate).toEqual(['issuerSigning', 'mastercardEncryption', 'issuerEncryption']);
  });

  it('puts the issuer signing key in a PKCS#12 store Mastercard’s library reads too', async () => {
    const path = summary.keys.issuerSigning.files.pkcs12!;
    const fromStore = await loadPrivateKey(
      { path },
      { alias: DEV_PKCS12_ALIAS, password: DEV_PKCS12_PASSWORD },
    );
    const fromPem = await loadPrivateKey({ path: summary.keys.issuerSigning.files.privateKey });
    expect(fromStore.equals(fromPem)).toBe(true);
    const theirs = mastercardUtils.getPrivateKey({
      keyStore: path,
      keyStoreAlias: DEV_PKCS12_ALIAS,
      keyStorePassword: DEV_PKCS12_PASSWORD,
    });
    const n = Buffer.from(fromPem.export({ format: 'jwk' }).n!, 'base64url').toString('hex');
    expect(BigInt(`0x${n}`).toString(16)).toBe(theirs.n.toString(16));
  });

  it('refuses to overwrite an existing set unless asked, then replaces every key', async () => {
    const error = await failure(generateDevKeys(dir, { clock }));
    expect(error.code).toBe('KEY_DEV_SET_EXISTS');

    const copy = join(tempDir(), 'copy');
    const first = await generateDevKeys(copy, { clock });
    const second = await generateDevKeys(copy, { clock, overwrite: true });
    for (const role of ROLES) {
      expect(second.keys[role].publicKeyFingerprint).not.toBe(first.keys[role].publicKeyFingerprint);
      expect(statSync(second.keys[role].files.privateKey).mode & 0o777).toBe(0o600);
    }
    expect((await loadDevKeys(copy)).consumerKey).toBe(second.consumerKey);
  });
});

describe('loadDevKeys', () => {
  it('reads the set back, matching the summary', async () => {
    const keys = await loadDevKeys(dir);
    expect(keys.consumerKey).toBe(summary.consumerKey);
    for (const role of ROLES) {
      const { privateKey, publicKey, certificate } = keys[role];
      expect(privateKey.type).toBe('private');
      expect(publicKey.type).toBe('public');
      expect(publicKeyFingerprint(publicKey)).toBe(summary.keys[role].publicKeyFingerprint);
      if (certificate)
        expect(certificateFingerprint(certificate)).toBe(summary.keys[role].certificateFingerprint);
    }
  });

  it('gives self-signed certificates valid now, for two years, signed with SHA-256 with RSA', async () => {
    const keys = await loadDevKeys(dir);
    for (const role of ['issuerSigning', 'mastercardEncryption', 'issuerEncryption'] as const) {
      const certificate = keys[role].certificate as X509Certificate;
      expect(certificate.verify(keys[role].publicKey)).toBe(true);
      expect(certificate.checkPrivateKey(keys[role].privateKey)).toBe(true);
      expect(new Date(certificate.validFrom).getTime()).toBeLessThan(clock.now().getTime());
      expect(new Date(certificate.validTo).getTime()).toBeGreaterThan(
        clock.now().getTime() + 700 * 86_400_000,
      );
      expect(certificate.subject).toContain('O=pushprov development');
    }
  });

  it('yields keys that work together: OAuth from the issuer, encryption to Mastercard and back', async () => {
    const keys = await loadDevKeys(dir);
    const signer = new OAuthSigner({
      consumerKey: keys.consumerKey,
      signingKey: keys.issuerSigning.privateKey,
    });
    const verifier = new OAuthVerifier({
      resolveKey: (key) => (key === keys.consumerKey ? keys.issuerSigning.publicKey : undefined),
      nonces: new MemoryNonceStore(),
    });
    const url = 'https://sandbox.api.mastercard.com/mdes/x';
    const authorization = signer.authorizationHeader('POST', url, '{}');
    await expect(verifier.verify({ method: 'POST', url, body: '{}', authorization })).resolves.toEqual({
      consumerKey: keys.consumerKey,
    });

    const oaep = { padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' };
    for (const role of ['mastercardEncryption', 'issuerEncryption'] as const) {
      const wrapped = publicEncrypt(
        { key: keys[role].certificate!.publicKey, ...oaep },
        Buffer.from('aes key'),
      );
      expect(privateDecrypt({ key: keys[role].privateKey, ...oaep }, wrapped).toString()).toBe('aes key');
    }
  });

  it('KEY_DEV_SET_NOT_FOUND where no set was generated', async () => {
    expect((await failure(loadDevKeys(tempDir()))).code).toBe('KEY_DEV_SET_NOT_FOUND');
  });

  it('KEY_DEV_SET_INCONSISTENT when a key file was swapped for another', async () => {
    const copy = join(tempDir(), 'swapped');
    const set = await generateDevKeys(copy, { clock });
    copyFileSync(set.keys.merchantSigning.files.privateKey, set.keys.mastercardSigning.files.privateKey);
    const error = await failure(loadDevKeys(copy));
    expect(error.code).toBe('KEY_DEV_SET_INCONSISTENT');
    expect(error.message).toContain('mastercard-signing');
  });
});
