import { copyFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signingKeyOf } from '../../src/cli/conformance/command.js';
import { simulatorData } from '../../src/cli/conformance/data.js';
import { loadConformanceKeys } from '../../src/cli/conformance/keys.js';
import { type ConformanceSummary, runConformance } from '../../src/cli/conformance/runner.js';
import { SCENARIOS } from '../../src/cli/conformance/scenarios.js';
import { registerClient } from '../../src/simulator/app.js';
import { DEMO_MERCHANT_TOKEN_REQUESTOR_ID } from '../../src/simulator/token-connect/catalogue.js';
import { registerTokenManagement } from '../../src/simulator/token-management/register.js';
import { CONSUMER_KEY, fixture, verifyingKey } from '../fixtures/keys/index.js';
import {
  type Harness,
  ISSUER_KEY,
  KEYS,
  MASTERCARD_ENCRYPTION,
  MERCHANT_KEY,
  startSimulator,
} from '../simulator/token-connect-harness.js';

/**
 * The whole runner against the simulator on an ephemeral port, over real
 * HTTP: as the issuer with a token requestor's key and control of the
 * simulator's clock (every available scenario runs), then with sandbox-style
 * keys only (the redeeming scenarios are skipped).
 */
let h: Harness;
let baseUrl: string;
let full: ConformanceSummary;
const printed: string[] = [];

beforeAll(async () => {
  h = await startSimulator();
  await registerTokenManagement(h.app, { db: h.database.db, clock: h.clock });
  await h.app.listen({ host: '127.0.0.1', port: 0 });
  baseUrl = `http://127.0.0.1:${(h.app.server.address() as AddressInfo).port}/mdes`;
  full = await runConformance(
    {
      baseUrl,
      issuer: { consumerKey: ISSUER_KEY, signingKey: KEYS.issuerSigning.privateKey },
      encryptionKey: MASTERCARD_ENCRYPTION.certificate,
      tokenRequestor: {
        consumerKey: MERCHANT_KEY,
        signingKey: KEYS.merchantSigning.privateKey,
        tokenRequestorId: DEMO_MERCHANT_TOKEN_REQUESTOR_ID,
        decryptionKey: { privateKey: KEYS.merchantEncryption.privateKey },
      },
      clock: h.clock,
      advanceClock: (ms) => h.clock.advance(ms),
      tokenRequestorPages: true,
      data: simulatorData(),
    },
    { output: { write: (text) => void printed.push(text) } },
  );
});
afterAll(async () => {
  await h.close();
});

describe('every scenario against the simulator', () => {
  for (const scenario of SCENARIOS) {
    const expected = scenario.run ? 'pass' : 'not available';
    it(`${scenario.number}: ${scenario.name} → ${expected}`, () => {
      const result = full.results.find((r) => r.number === scenario.number);
      expect(result?.status, result?.reason).toBe(expected);
    });
  }

  it('reports one line per scenario, then the table and the totals', () => {
    const output = printed.join('');
    expect(output.match(/^\[\d+\/49\] /gm)).toHaveLength(49);
    expect(output).toMatch(/^18 {2}pushMultipleAccounts {8}two credit cards.* PASS$/m);
    expect(output).toMatch(/^16 {2}getAsset .* N\/A {5}cut off in pushprov's copy/m);
    expect(output).toContain('49 scenarios: 47 passed, 0 failed, 0 skipped, 2 not available');
    expect(full.ok).toBe(true);
  });

  it('never prints a card number', () => {
    const output = printed.join('');
    for (const card of Object.values(simulatorData().cards)) expect(output).not.toContain(card.accountNumber);
  });
});

describe('with sandbox keys (no token requestor, no clock)', () => {
  it('passes what an issuer can check and skips the redemptions, saying why', async () => {
    // An issuer as the sandbox knows it: its own consumer key and PEM signing key, Mastercard's certificate.
    await registerClient(h.database.db, {
      consumerKey: CONSUMER_KEY,
      role: 'issuer',
      publicKey: verifyingKey,
      displayName: 'sandbox-style issuer',
    });
    const dir = mkdtempSync(join(tmpdir(), 'pushprov-conformance-keys-'));
    copyFileSync(fixture('rsa.pkcs8.pem'), join(dir, 'signing-key.pem'));
    copyFileSync(MASTERCARD_ENCRYPTION.files.encryptionCertificate, join(dir, 'encryption-cert.pem'));
    const keys = await loadConformanceKeys(dir, { consumerKey: CONSUMER_KEY });
    expect(keys.tokenRequestor).toBeUndefined();

    const summary = await runConformance({ baseUrl, ...keys, clock: h.clock, data: simulatorData() });
    const skipped = summary.results.filter((r) => r.status === 'skip');
    const why = Object.fromEntries(skipped.map((r) => [r.number, r.reason]));
    expect(Object.keys(why).map(Number)).toEqual([19, 23, 25, 37, 40, 42, 43, 46, 47, 48, 49]);
    for (const n of [23, 25, 37, 49]) expect(why[n]).toMatch(/^needs a token requestor key/);
    for (const n of [46, 47, 48]) expect(why[n]).toMatch(/^needs a token of the issuer at the target/);
    // Only a token requestor may download MDES's signing key; an issuer gives it as a file.
    for (const n of [19, 40]) expect(why[n]).toMatch(/^needs MDES's push-signing key/);
    for (const n of [42, 43]) expect(why[n]).toMatch(/^needs token requestor pages/);
    expect(summary.counts).toEqual({ pass: 36, fail: 0, skip: 11, 'not available': 2 });

    // With MDES's key given as a file, the signature scenarios run for an issuer too.
    const jwkFile = join(dir, 'mdes-signing-key.json');
    writeFileSync(jwkFile, JSON.stringify(KEYS.mastercardSigning.publicKey.export({ format: 'jwk' })));
    const withKey = await runConformance(
      {
        baseUrl,
        ...keys,
        clock: h.clock,
        data: simulatorData(),
        mdesSigningKey: await signingKeyOf(jwkFile),
      },
      { only: [19, 40] },
    );
    expect(withKey.results.map((r) => [r.number, r.status, r.reason])).toEqual([
      [19, 'pass', undefined],
      [40, 'pass', undefined],
    ]);
  });
});

describe('behind a proxy that alters answers', () => {
  it('fails the scenarios whose documented outcome it breaks, and only those', async () => {
    // Forwards every request untouched (the Host header too, so signatures
    // verify) and drops MDES's signature and turns debit receipts into credit ones.
    const simulator = new URL(baseUrl);
    const proxy = createServer((incoming, outgoing) => {
      const forward = httpRequest(
        {
          host: simulator.hostname,
          port: simulator.port,
          path: incoming.url,
          method: incoming.method,
          headers: incoming.headers,
        },
        (answer) => {
          let text = '';
          answer.on('data', (chunk) => {
            text += String(chunk);
          });
          answer.on('end', () => {
            const altered = text.replace(/"signature":"[^"]*",?/, '').replaceAll('"DMC-', '"MCC-');
            outgoing.writeHead(answer.statusCode ?? 502, { 'content-type': 'application/json' }).end(altered);
          });
        },
      );
      incoming.pipe(forward);
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    try {
      const summary = await runConformance(
        {
          baseUrl: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}/mdes`,
          issuer: { consumerKey: ISSUER_KEY, signingKey: KEYS.issuerSigning.privateKey },
          encryptionKey: MASTERCARD_ENCRYPTION.certificate,
          clock: h.clock,
          data: simulatorData(),
          mdesSigningKey: { publicKey: KEYS.mastercardSigning.publicKey },
        },
        { only: [18, 19, 22, 26] },
      );
      expect(summary.results.map((r) => [r.number, r.status, r.reason])).toEqual([
        [18, 'pass', undefined],
        [19, 'fail', 'no signature'],
        [22, 'fail', 'expected a DMC- receipt, got MCC-'],
        [26, 'pass', undefined],
      ]);
      expect(summary.ok).toBe(false);
    } finally {
      await new Promise((resolve) => proxy.close(resolve));
    }
  });
});
