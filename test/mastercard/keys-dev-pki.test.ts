import { copyFileSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import forge from 'node-forge';
import { beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { PushprovError } from '../../src/core/errors.js';
import {
  DEV_SERVER_HOSTS,
  type DevPki,
  type DevPkiSummary,
  devPkiFiles,
  generateDevPki,
  hasDevPki,
  loadDevPki,
} from '../../src/mastercard/keys/dev-pki.js';
import { certificateFingerprint } from '../../src/mastercard/keys/fingerprint.js';

const SERVER_AUTH = '1.3.6.1.5.5.7.3.1';
const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';
const tempDir = () => mkdtempSync(join(tmpdir(), 'pushprov-pki-'));
const clock = new ManualClock(Date.UTC(2026, 5, 1));

let dir: string;
let summary: DevPkiSummary;
let pki: DevPki;
const steps: string[] = [];

beforeAll(async () => {
  dir = join(tempDir(), 'keys');
  summary = await generateDevPki(dir, { clock, onProgress: (step) => steps.push(step) });
  pki = await loadDevPki(dir);
});

async function failure(promise: Promise<unknown>): Promise<PushprovError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(PushprovError);
  return error as PushprovError;
}

describe('generateDevPki', () => {
  it('writes a CA, a server and a client certificate with their keys, keys readable by the owner only', () => {
    expect(steps).toEqual([
      'generating the mutual TLS development CA and its server and client certificates',
    ]);
    const files = devPkiFiles(dir);
    expect(summary.entries).toEqual({
      ca: expect.objectContaining({ files: files.ca }),
      server: expect.objectContaining({ files: files.server }),
      client: expect.objectContaining({ files: files.client }),
    });
    expect(files.ca.certificate).toBe(join(dir, 'mtls-ca.crt.pem'));
    expect(files.server.privateKey).toBe(join(dir, 'mdes-listener.key.pem'));
    expect(files.client.certificate).toBe(join(dir, 'mdes-client.crt.pem'));
    for (const role of ['ca', 'server', 'client'] as const) {
      expect(statSync(files[role].privateKey).mode & 0o777).toBe(0o600);
      expect(statSync(files[role].certificate).mode & 0o777).toBe(0o644);
      expect(summary.entries[role].certificateFingerprint).toBe(
        certificateFingerprint(pki[role].certificate),
      );
    }
  });

  it('returns paths and fingerprints, never key material', () => {
    const text = JSON.stringify(summary);
    expect(text).not.toMatch(/PRIVATE KEY|BEGIN/);
    const body = readFileSync(summary.entries.ca.files.privateKey, 'utf8').split('\n')[1]!;
    expect(text).not.toContain(body);
  });

  it('makes a CA that signs certificates only, and nothing below its end entities', () => {
    const { certificate } = pki.ca;
    expect(certificate.ca).toBe(true);
    expect(certificate.subject).toContain('O=pushprov development');
    expect(certificate.verify(certificate.publicKey)).toBe(true);
    // node:crypto shows neither the key usage bits nor the path length; node-forge reads them.
    const forged = forge.pki.certificateFromPem(certificate.toString());
    expect(forged.getExtension('basicConstraints')).toMatchObject({
      cA: true,
      pathLenConstraint: 0,
      critical: true,
    });
    expect(forged.getExtension('keyUsage')).toMatchObject({
      keyCertSign: true,
      cRLSign: true,
      digitalSignature: false,
      critical: true,
    });
    const server = forge.pki.certificateFromPem(pki.server.certificate.toString());
    // The server certificate names its CA's key, as the CA names its own.
    expect((server.getExtension('authorityKeyIdentifier') as { value: string } | undefined)?.value).toContain(
      (forged.getExtension('subjectKeyIdentifier') as { value: string }).value.slice(2),
    );
  });

  it('gives the listener a server certificate for localhost, 127.0.0.1 and ::1, signed by the CA', () => {
    const { certificate, privateKey } = pki.server;
    expect(DEV_SERVER_HOSTS).toEqual(['localhost', '127.0.0.1', '::1']);
    expect(certificate.subjectAltName).toBe(
      'DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1',
    );
    expect(certificate.checkHost('localhost')).toBe('localhost');
    expect(certificate.checkIP('127.0.0.1')).toBe('127.0.0.1');
    expect(certificate.keyUsage).toEqual([SERVER_AUTH]);
    expect(certificate.ca).toBe(false);
    expect(certificate.verify(pki.ca.certificate.publicKey)).toBe(true);
    expect(certificate.checkIssued(pki.ca.certificate)).toBe(true);
    expect(certificate.checkPrivateKey(privateKey)).toBe(true);
  });

  it('gives the simulated MDES a client certificate signed by the CA', () => {
    const { certificate, privateKey } = pki.client;
    expect(certificate.keyUsage).toEqual([CLIENT_AUTH]);
    expect(certificate.subjectAltName).toBeUndefined();
    expect(certificate.verify(pki.ca.certificate.publicKey)).toBe(true);
    expect(certificate.checkIssued(pki.ca.certificate)).toBe(true);
    expect(certificate.checkPrivateKey(privateKey)).toBe(true);
  });

  it('makes every certificate valid from an hour back, for two years', () => {
    for (const role of ['ca', 'server', 'client'] as const) {
      const { validFrom, validTo } = pki[role].certificate;
      expect(Date.parse(validFrom)).toBe(clock.now().getTime() - 3_600_000);
      expect(Date.parse(validTo)).toBe(clock.now().getTime() + 2 * 365 * 86_400_000);
    }
  });

  it('refuses to overwrite unless asked, then replaces every file', async () => {
    expect((await failure(generateDevPki(dir, { clock }))).code).toBe('KEY_DEV_SET_EXISTS');
    const copy = join(tempDir(), 'copy');
    const first = await generateDevPki(copy, { clock });
    const second = await generateDevPki(copy, { clock, overwrite: true });
    for (const role of ['ca', 'server', 'client'] as const) {
      expect(second.entries[role].certificateFingerprint).not.toBe(
        first.entries[role].certificateFingerprint,
      );
      expect(statSync(second.entries[role].files.privateKey).mode & 0o777).toBe(0o600);
    }
    await loadDevPki(copy);
  });
});

describe('loadDevPki', () => {
  it('KEY_DEV_PKI_NOT_FOUND where none was generated (or a file is missing)', async () => {
    const empty = tempDir();
    expect(await hasDevPki(empty)).toBe(false);
    expect((await failure(loadDevPki(empty))).code).toBe('KEY_DEV_PKI_NOT_FOUND');
  });

  it('KEY_DEV_PKI_INCONSISTENT when a key is not its certificate’s', async () => {
    const copy = join(tempDir(), 'swapped');
    const files = (await generateDevPki(copy, { clock })).entries;
    copyFileSync(files.server.files.privateKey, files.client.files.privateKey);
    const error = await failure(loadDevPki(copy));
    expect(error.code).toBe('KEY_DEV_PKI_INCONSISTENT');
    expect(error.message).toContain('mdes-client.key.pem');
  });

  it('KEY_DEV_PKI_INCONSISTENT when a certificate was not signed by the CA', async () => {
    const copy = join(tempDir(), 'foreign');
    const mine = (await generateDevPki(copy, { clock })).entries;
    const theirs = (await generateDevPki(join(tempDir(), 'other'), { clock })).entries;
    copyFileSync(theirs.client.files.certificate, mine.client.files.certificate);
    copyFileSync(theirs.client.files.privateKey, mine.client.files.privateKey);
    const error = await failure(loadDevPki(copy));
    expect(error.code).toBe('KEY_DEV_PKI_INCONSISTENT');
    expect(error.message).toContain('was not signed by mtls-ca.crt.pem');
  });
});
