import { existsSync, mkdtempSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type DevPki, loadDevPki } from '../../src/mastercard/keys/dev-pki.js';
import { freePort, runCli } from '../support/process.js';

/**
 * `pushprov start` brings up the issuer's MDES listener on its own port,
 * over mutual TLS with the development PKI it generates on first use, and
 * prints its address; the bank's port does not answer for it.
 */

function get(
  url: string,
  pki: DevPki,
  withCertificate: boolean,
): Promise<{ status?: number; body?: string }> {
  return new Promise((resolve) => {
    const req = request(
      url,
      {
        ca: pki.ca.certificate.toString(),
        agent: false,
        ...(withCertificate && {
          cert: pki.client.certificate.toString(),
          key: pki.client.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
        }),
      },
      (res) => {
        let body = '';
        res.on('data', (chunk) => {
          body += chunk;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', () => resolve({}));
    req.end();
  });
}

describe('pushprov start: the MDES listener', { timeout: 120_000 }, () => {
  it('comes up with the issuer, prints its address, and serves the simulated MDES’s certificate only', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'pushprov-start-mdes-'));
    const [issuer, mdes] = [await freePort(), await freePort()];
    const cli = runCli(['start', '--memory', '--only', 'issuer'], {
      PUSHPROV_DATA_DIR: dataDir,
      PUSHPROV_ISSUER_PORT: String(issuer),
      PUSHPROV_MDES_PORT: String(mdes),
    });
    await cli.waitFor('MDES Pre-Digitization listener');
    expect(cli.stdout()).toContain(
      `MDES Pre-Digitization listener (mutual TLS): https://localhost:${mdes}/issuerServices/1/0\n`,
    );
    expect(cli.stdout()).toContain(`Open http://localhost:${issuer}`);
    expect(cli.stdout()).toContain('generating the development mutual TLS PKI');
    expect(existsSync(join(dataDir, 'keys', 'mdes-client.crt.pem'))).toBe(true);

    const pki = await loadDevPki(join(dataDir, 'keys'));
    const base = `https://localhost:${mdes}/issuerServices/1/0`;
    const health = await get(`${base}/healthz`, pki, true);
    expect(health.status).toBe(200);
    expect(JSON.parse(health.body ?? '')).toEqual({ status: 'alive', server: 'mdes' });
    const ready = await get(`${base}/readyz`, pki, true);
    expect(JSON.parse(ready.body ?? '')).toMatchObject({ status: 'ready' });
    expect(await get(`${base}/healthz`, pki, false)).toEqual({});

    // The bank's port knows nothing of it.
    expect((await fetch(`http://127.0.0.1:${issuer}/issuerServices/1/0/healthz`)).status).toBe(404);
    expect((await fetch(`http://127.0.0.1:${issuer}/healthz`)).status).toBe(200);

    cli.child.kill('SIGTERM');
    expect(await cli.exited).toBe(0);
  });

  it('refuses a bad MDES listener configuration with one named line and exit code 1', async () => {
    const port = await freePort();
    const cli = runCli(['start', '--memory', '--only', 'issuer'], {
      PUSHPROV_ISSUER_PORT: String(port),
      PUSHPROV_MDES_CONTEXT_ROOT: 'no-slash',
    });
    expect(await cli.exited).toBe(1);
    expect(cli.stderr().trim().split('\n')).toEqual([
      'pushprov: invalid configuration: PUSHPROV_MDES_CONTEXT_ROOT="no-slash": expected a URL path such as /issuerServices/1/0',
    ]);
    await expect(fetch(`http://127.0.0.1:${port}/healthz`)).rejects.toThrow();
  });

  it('outside the simulator the listener’s files are optional, with no development default', async () => {
    // `config`, not `start`: starting against the sandbox needs real keys.
    const cli = runCli(['config'], {
      MASTERCARD_ENV: 'sandbox',
      MASTERCARD_CONSUMER_KEY: 'ck',
      MASTERCARD_SIGNING_KEY_PATH: '/keys/signing.p12',
      MASTERCARD_ENCRYPTION_CERT_PATH: '/keys/mc.crt',
      PUSHPROV_ACCOUNT_RANGES: '512345678',
    });
    expect(await cli.exited).toBe(0);
    expect(cli.stdout()).toMatch(/PUSHPROV_MDES_TLS_CA\s+-\s+#/);
    expect(cli.stdout()).toMatch(/PUSHPROV_MDES_PORT\s+8083\s+#/);
  });
});
