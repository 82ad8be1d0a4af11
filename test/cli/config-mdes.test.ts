import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { type Config, loadConfig } from '../../src/app/config.js';
import { mdesTls } from '../../src/app/mdes-listener.js';
import { ManualClock } from '../../src/core/clock.js';
import { ConfigError } from '../../src/core/errors.js';
import { tlsCertificate } from '../../src/mastercard/keys/certificate.js';
import { type DevPkiSummary, generateDevPki, loadDevPki } from '../../src/mastercard/keys/dev-pki.js';

const problemsOf = (fn: () => unknown): string[] => {
  try {
    fn();
  } catch (error) {
    if (error instanceof ConfigError) return [...error.problems];
    throw error;
  }
  return [];
};

// Outside the simulator these four are required anyway; the MDES listener's files are not.
const SANDBOX = {
  MASTERCARD_ENV: 'sandbox',
  MASTERCARD_CONSUMER_KEY: 'ck',
  MASTERCARD_SIGNING_KEY_PATH: '/keys/signing.p12',
  MASTERCARD_ENCRYPTION_CERT_PATH: '/keys/mc.crt',
  PUSHPROV_ACCOUNT_RANGES: '512345678',
};

let dir: string;
let pki: DevPkiSummary;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'pushprov-mdes-config-'));
  pki = await generateDevPki(join(dir, 'keys'));
});

describe('the MDES listener’s configuration', () => {
  it('defaults: port 8083, the spec’s example context root, and in the simulator the development PKI', () => {
    const config = loadConfig({ PUSHPROV_DATA_DIR: dir });
    expect(config).toMatchObject({
      mdesPort: 8083,
      mdesContextRoot: '/issuerServices/1/0',
      mdesTlsCa: join(dir, 'keys', 'mtls-ca.crt.pem'),
      mdesTlsCert: join(dir, 'keys', 'mdes-listener.crt.pem'),
      mdesTlsKey: join(dir, 'keys', 'mdes-listener.key.pem'),
    });
  });

  it('outside the simulator: no development files, and the listener off unless all three are given', () => {
    const config = loadConfig(SANDBOX);
    expect([config.mdesTlsCa, config.mdesTlsCert, config.mdesTlsKey]).toEqual([
      undefined,
      undefined,
      undefined,
    ]);
    const files = pki.entries;
    const tls = {
      PUSHPROV_MDES_TLS_CA: files.ca.files.certificate,
      PUSHPROV_MDES_TLS_CERT: files.server.files.certificate,
      PUSHPROV_MDES_TLS_KEY: files.server.files.privateKey,
    };
    // The listener decrypts what MDES sends with the issuer's own encryption key: no listener without it.
    expect(problemsOf(() => loadConfig({ ...SANDBOX, ...tls }))).toEqual([
      'PUSHPROV_MDES_ENCRYPTION_KEY: required for the MDES listener when MASTERCARD_ENV=sandbox',
    ]);
    expect(
      loadConfig({ ...SANDBOX, ...tls, PUSHPROV_MDES_ENCRYPTION_KEY: files.client.files.privateKey })
        .mdesTlsKey,
    ).toBe(files.server.files.privateKey);
    expect(
      problemsOf(() => loadConfig({ ...SANDBOX, PUSHPROV_MDES_TLS_CA: files.ca.files.certificate })),
    ).toEqual([
      'PUSHPROV_MDES_TLS_CERT: required for the MDES listener when MASTERCARD_ENV=sandbox',
      'PUSHPROV_MDES_TLS_KEY: required for the MDES listener when MASTERCARD_ENV=sandbox',
    ]);
  });

  it('pins client certificates by SHA-256 fingerprint, colons or not, and names a bad one', () => {
    const hex = 'ab'.repeat(32);
    const colons = hex.match(/../g)?.join(':') ?? '';
    expect(
      loadConfig({ PUSHPROV_MDES_CLIENT_FINGERPRINTS: `${colons}, ${'CD'.repeat(32)}` })
        .mdesClientFingerprints,
    ).toEqual([hex.toUpperCase(), 'CD'.repeat(32)]);
    expect(problemsOf(() => loadConfig({ PUSHPROV_MDES_CLIENT_FINGERPRINTS: 'ab:cd' }))).toEqual([
      'PUSHPROV_MDES_CLIENT_FINGERPRINTS="ab:cd": expected comma-separated SHA-256 certificate fingerprints (64 hex digits, colons allowed)',
    ]);
  });

  it('takes a context root as a path, and names every bad value', () => {
    expect(loadConfig({ PUSHPROV_MDES_CONTEXT_ROOT: '/mdes/preDigitization/' }).mdesContextRoot).toBe(
      '/mdes/preDigitization',
    );
    expect(loadConfig({ PUSHPROV_MDES_PORT: '0' }).mdesPort).toBe(0);
    expect(
      problemsOf(() =>
        loadConfig({
          PUSHPROV_MDES_PORT: '70000',
          PUSHPROV_MDES_CONTEXT_ROOT: 'issuerServices',
          PUSHPROV_MDES_TLS_CA: join(dir, 'nowhere.pem'),
          PUSHPROV_MDES_TLS_CERT: dir,
        }),
      ),
    ).toEqual([
      'PUSHPROV_MDES_PORT="70000": expected a port number 0–65535',
      'PUSHPROV_MDES_CONTEXT_ROOT="issuerServices": expected a URL path such as /issuerServices/1/0',
      `PUSHPROV_MDES_TLS_CA=${JSON.stringify(join(dir, 'nowhere.pem'))}: file not found`,
      `PUSHPROV_MDES_TLS_CERT=${JSON.stringify(dir)}: expected a file, found something else`,
      'PUSHPROV_MDES_TLS_KEY: required with PUSHPROV_MDES_TLS_CERT',
    ]);
  });

  it('a certificate needs its key, whoever gives them', () => {
    expect(
      problemsOf(() => loadConfig({ PUSHPROV_MDES_TLS_KEY: pki.entries.client.files.privateKey })),
    ).toEqual(['PUSHPROV_MDES_TLS_CERT: required with PUSHPROV_MDES_TLS_KEY']);
  });
});

describe('the MDES listener’s TLS files, checked at start-up', () => {
  const clock = new ManualClock();
  const configWith = (files: Partial<Record<'ca' | 'cert' | 'key', string>>): Config =>
    ({
      ...loadConfig({ PUSHPROV_DATA_DIR: dir }),
      ...(files.ca && { mdesTlsCa: files.ca }),
      ...(files.cert && { mdesTlsCert: files.cert }),
      ...(files.key && { mdesTlsKey: files.key }),
    }) as Config;
  const write = (name: string, text: string) => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };

  it('reads the development PKI', () => {
    clock.set(new Date());
    const tls = mdesTls(configWith({}), clock);
    expect(tls.ca).toContain('BEGIN CERTIFICATE');
    expect(tls.key).toContain('PRIVATE KEY');
  });

  it('names the variable of each file that is wrong, all at once', () => {
    clock.set(new Date());
    const files = pki.entries;
    const problems = problemsOf(() =>
      mdesTls(
        configWith({
          ca: write('not-a-cert.pem', 'hello'),
          cert: files.server.files.certificate,
          key: files.client.files.privateKey,
        }),
        clock,
      ),
    );
    expect(problems).toEqual([
      `PUSHPROV_MDES_TLS_CA=${JSON.stringify(join(dir, 'not-a-cert.pem'))}: no PEM certificate in it`,
      `PUSHPROV_MDES_TLS_KEY=${JSON.stringify(files.client.files.privateKey)}: not the key of PUSHPROV_MDES_TLS_CERT's certificate`,
    ]);
    expect(
      problemsOf(() => mdesTls(configWith({ key: write('not-a-key.pem', 'nope') }), clock)).at(-1),
    ).toMatch(/^PUSHPROV_MDES_TLS_KEY=.*: not a PEM private key/);
  });

  it('refuses a server certificate that has expired', async () => {
    const ca = await loadDevPki(join(dir, 'keys'));
    const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const expired = tlsCertificate(publicKey, ca.ca, {
      commonName: 'localhost',
      usage: 'tls-server',
      hosts: ['localhost'],
      notBefore: new Date(Date.UTC(2020, 0, 1)),
      notAfter: new Date(Date.UTC(2021, 0, 1)),
    });
    clock.set(new Date());
    const problems = problemsOf(() =>
      mdesTls(
        configWith({
          cert: write('expired.crt.pem', expired.toString()),
          key: write('expired.key.pem', privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()),
        }),
        clock,
      ),
    );
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^PUSHPROV_MDES_TLS_CERT=.*: a certificate is not valid now/);
  });
});
