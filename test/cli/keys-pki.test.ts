import { existsSync, mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/app/config.js';
import { ensureDevKeys } from '../../src/cli/keys.js';
import { hasDevPki, loadDevPki } from '../../src/mastercard/keys/dev-pki.js';
import { generateDevKeys, loadDevKeys } from '../../src/mastercard/keys/generate.js';
import { runCli } from '../support/process.js';

describe('the development mutual TLS PKI beside the development keys', () => {
  it('`pushprov keys generate` writes it too, and prints its files and fingerprints, never key material', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'pushprov-keys-pki-')), 'keys');
    const cli = runCli(['keys', 'generate', '--dir', dir]);
    expect(await cli.exited).toBe(0);
    const out = cli.stdout();
    expect(out).toContain(
      '… generating the mutual TLS development CA and its server and client certificates',
    );
    expect(out).toContain(`development mutual TLS PKI written to ${dir}`);
    expect(out).toContain(`certificate: ${join(dir, 'mdes-client.crt.pem')}`);
    expect(out).toMatch(/certificate fingerprint: [0-9a-f]{64}/);
    expect(out).not.toContain('PRIVATE KEY');
    expect(statSync(join(dir, 'mtls-ca.key.pem')).mode & 0o777).toBe(0o600);
    await loadDevPki(dir);
  });

  it('a key set from before the PKI gains one on start, keeping its keys', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'pushprov-keys-pki-'));
    const dir = join(dataDir, 'keys');
    const before = await generateDevKeys(dir);
    expect(await hasDevPki(dir)).toBe(false);
    const said: string[] = [];
    const keys = await ensureDevKeys(loadConfig({ PUSHPROV_DATA_DIR: dataDir }), (line) => said.push(line));
    expect(said[0]).toBe(`generating the development mutual TLS PKI in ${dir}`);
    expect(keys.consumerKey).toBe(before.consumerKey);
    expect((await loadDevKeys(dir)).consumerKey).toBe(before.consumerKey);
    expect(existsSync(join(dir, 'mdes-listener.crt.pem'))).toBe(true);
    await loadDevPki(dir);

    // Once there, it is kept.
    const first = await loadDevPki(dir);
    const again: string[] = [];
    await ensureDevKeys(loadConfig({ PUSHPROV_DATA_DIR: dataDir }), (line) => again.push(line));
    expect(again).toEqual([]);
    expect((await loadDevPki(dir)).ca.certificate.fingerprint256).toBe(first.ca.certificate.fingerprint256);
  });
});
