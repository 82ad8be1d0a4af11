import { createPublicKey, type KeyObject, type X509Certificate } from 'node:crypto';
import { copyFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/app/config.js';
import {
  CONFORMANCE_ISSUER_CONSUMER_KEY,
  DEMO_MERCHANT_CONSUMER_KEY,
} from '../../src/app/mastercard-side.js';
import { resolveTarget, signingKeyOf } from '../../src/cli/conformance/command.js';
import { devConformanceKeys, loadConformanceKeys } from '../../src/cli/conformance/keys.js';
import { publicKeyFingerprint } from '../../src/mastercard/keys/fingerprint.js';
import { generateDevKeys } from '../../src/mastercard/keys/generate.js';
import { DEMO_MERCHANT_TOKEN_REQUESTOR_ID } from '../../src/simulator/token-connect/catalogue.js';
import { recipient } from '../fixtures/encryption/keys.js';
import {
  CONSUMER_KEY,
  FIXTURE_ALIAS,
  FIXTURE_PASSWORD,
  fixture,
  signingKey,
} from '../fixtures/keys/index.js';

const tempDir = () => mkdtempSync(join(tmpdir(), 'pushprov-conformance-keys-'));

describe('conformance keys', () => {
  it('from a development key set: the issuer, and the demo merchant as token requestor', async () => {
    const dir = tempDir();
    const summary = await generateDevKeys(dir);
    const keys = await loadConformanceKeys(dir);
    // The issuer's key under the conformance runner's own consumer key: MDES decides its tokens, not the issuer.
    expect(keys.issuer.consumerKey).toBe(CONFORMANCE_ISSUER_CONSUMER_KEY);
    expect(keys.issuer.consumerKey).not.toBe(summary.consumerKey);
    expect(publicKeyFingerprint(keys.issuer.signingKey)).toBe(
      summary.keys.issuerSigning.publicKeyFingerprint,
    );
    expect(keys.tokenRequestor).toMatchObject({
      consumerKey: DEMO_MERCHANT_CONSUMER_KEY,
      tokenRequestorId: DEMO_MERCHANT_TOKEN_REQUESTOR_ID,
    });
    expect((await devConformanceKeys(dir, { consumerKey: 'other' })).issuer.consumerKey).toBe('other');
  });

  it('from a sandbox directory: a PKCS#12 signing key and the encryption certificate, no token requestor', async () => {
    const dir = tempDir();
    copyFileSync(fixture('rsa.p12'), join(dir, 'signing-key.p12'));
    copyFileSync(recipient.files.encryptionCertificate, join(dir, 'encryption-cert.pem'));
    const keys = await loadConformanceKeys(dir, {
      consumerKey: CONSUMER_KEY,
      password: FIXTURE_PASSWORD,
      alias: FIXTURE_ALIAS,
    });
    expect(keys.issuer.consumerKey).toBe(CONSUMER_KEY);
    expect(publicKeyFingerprint(keys.issuer.signingKey)).toBe(publicKeyFingerprint(signingKey));
    expect((keys.encryptionKey as X509Certificate).fingerprint256).toBe(recipient.certificate.fingerprint256);
    expect(keys.tokenRequestor).toBeUndefined();
  });

  it('names every missing file and the missing consumer key at once', async () => {
    const dir = tempDir();
    await expect(loadConformanceKeys(dir)).rejects.toThrow(
      /no signing key \(signing-key.p12, signing-key.pfx, signing-key.pem\); .*no encryption certificate.*; a consumer key is required/,
    );
    await expect(devConformanceKeys(dir)).rejects.toMatchObject({ code: 'KEY_DEV_SET_NOT_FOUND' });
  });
});

describe('conformance target', () => {
  const config = loadConfig({ PUSHPROV_SIMULATOR_URL: 'http://localhost:9081' });

  it('defaults to the local simulator, names sandbox and MTF, and puts /mdes on a bare URL', () => {
    expect(resolveTarget(undefined, config)).toBe('http://localhost:9081/mdes');
    expect(resolveTarget('sandbox', config)).toBe('https://sandbox.api.mastercard.com/mdes');
    expect(resolveTarget('mtf', config)).toBe('https://api.mastercard.com/mdes/mtf');
    expect(resolveTarget('http://127.0.0.1:8081/', config)).toBe('http://127.0.0.1:8081/mdes');
    expect(resolveTarget('https://gateway.example/mc/mdes/', config)).toBe('https://gateway.example/mc/mdes');
  });

  it('refuses production and what is not an http URL', () => {
    // MTF shares production's host: whole base URLs are compared, so only MTF's passes there.
    expect(resolveTarget('https://api.mastercard.com/mdes/mtf/', config)).toBe(
      'https://api.mastercard.com/mdes/mtf',
    );
    for (const production of [
      'https://api.mastercard.com/mdes',
      'https://API.mastercard.com:443/',
      'https://api.mastercard.com/mdes/mtfx',
      'https://api.mastercard.com/mdes/connect',
    ]) {
      expect(() => resolveTarget(production, config), production).toThrow('refusing Mastercard production');
    }
    expect(() => resolveTarget('production', config)).toThrow('expected a URL, sandbox or mtf');
    expect(() => resolveTarget('ftp://mdes.example', config)).toThrow('expected an http or https URL');
  });
});

describe('--signing-key', () => {
  const same = (a: KeyObject, b: KeyObject) => publicKeyFingerprint(a) === publicKeyFingerprint(b);

  it('takes a key asset id to download, as MDESRQ names them (p. 45)', async () => {
    expect(await signingKeyOf('20210927091340-MDES-token-connect-mtf')).toEqual({
      assetId: '20210927091340-MDES-token-connect-mtf',
    });
  });

  it('takes a PEM public key or certificate, and a JWK (its kid as the asset id)', async () => {
    for (const file of ['rsa.spki.pem', 'rsa.crt.pem']) {
      const given = await signingKeyOf(fixture(file));
      expect('publicKey' in given && same(given.publicKey, signingKey), file).toBe(true);
    }
    const jwkFile = join(tempDir(), 'mdes.json');
    const jwk = { ...createPublicKey(signingKey).export({ format: 'jwk' }), kid: 'k-1' };
    writeFileSync(jwkFile, JSON.stringify(jwk));
    const given = await signingKeyOf(jwkFile);
    expect(given.assetId).toBe('k-1');
    expect('publicKey' in given && same(given.publicKey, signingKey)).toBe(true);
  });

  it('refuses what is neither a file nor an asset id, naming the option', async () => {
    await expect(signingKeyOf('../no/such file')).rejects.toThrow(
      /--signing-key .*expected a key asset id or a file/,
    );
  });
});
