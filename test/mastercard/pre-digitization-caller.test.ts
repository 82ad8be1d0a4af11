import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { tlsCertificate } from '../../src/mastercard/keys/certificate.js';
import { type DevPki, generateDevPki, loadDevPki } from '../../src/mastercard/keys/dev-pki.js';
import { certificateFingerprint } from '../../src/mastercard/keys/fingerprint.js';
import {
  type ClearAuthorizeServiceRequest,
  PreDigitizationCaller,
} from '../../src/mastercard/pre-digitization/caller.js';
import { PreDigitizationPayloads } from '../../src/mastercard/pre-digitization/payload.js';
import {
  ActivatedFundingAccountDataSchema,
  FundingAccountDataSchema,
  UpdatedFundingAccountDataSchema,
} from '../../src/mastercard/pre-digitization/schemas.js';
import { FieldLevelPayloadEncrypter } from '../../src/mastercard/token-connect/encrypter.js';
import { mastercard, other, recipient } from '../fixtures/encryption/keys.js';

/**
 * MDES's client of the issuer's Pre-Digitization web services, over real
 * mutual TLS against a tiny https server made with the development PKI: the
 * issuer (the `recipient` key) opens what MDES encrypts with pushprov's
 * issuer-side PreDigitizationPayloads and with Mastercard's own
 * mastercard-client-encryption; its AuthorizeService answer is encrypted to
 * Mastercard's key (the `other` fixture), which the caller opens.
 */

const ROOT = '/issuerServices/1/0';
const pem = (key: KeyObject) => key.export({ type: 'pkcs8', format: 'pem' }).toString();

interface Received {
  path: string;
  body: Record<string, unknown>;
  clientCertificate: boolean;
}

let pki: DevPki;
let server: Server;
let port: number;
const received: Received[] = [];
/** What the fake issuer answers next: a function of the request. */
let answer: (body: Record<string, unknown>) => { status: number; body: unknown; delayMs?: number };

const issuerPayloads = new PreDigitizationPayloads({
  decryptionKeys: [{ privateKey: recipient.privateKey, certificate: recipient.certificate }],
  encrypter: new FieldLevelPayloadEncrypter({ encryptionKey: other.certificate }),
});

/** The issuer's side played by Mastercard's library, holding the issuer's private key. */
const library = new mastercard.FieldLevelEncryption({
  paths: [
    {
      path: 'envelope$',
      toEncrypt: [],
      toDecrypt: [{ element: 'encryptedPayload', obj: 'encryptedPayload.encryptedData' }],
    },
  ],
  encryptedValueFieldName: 'encryptedData',
  encryptedKeyFieldName: 'encryptedKey',
  ivFieldName: 'iv',
  publicKeyFingerprintFieldName: 'publicKeyFingerprint',
  oaepHashingAlgorithmFieldName: 'oaepHashingAlgorithm',
  publicKeyFingerprintType: 'certificate',
  dataEncoding: 'hex',
  oaepPaddingDigestAlgorithm: 'SHA-512',
  encryptionCertificate: recipient.files.encryptionCertificate,
  privateKey: recipient.files.privateKey,
});

const caller = (overrides: Partial<ConstructorParameters<typeof PreDigitizationCaller>[0]> = {}) =>
  new PreDigitizationCaller({
    baseUrl: `https://localhost:${port}${ROOT}`,
    tls: {
      cert: pki.client.certificate.toString(),
      key: pem(pki.client.privateKey),
      ca: pki.ca.certificate.toString(),
    },
    issuerEncryptionKey: recipient.certificate,
    mastercardDecryptionKeys: [{ privateKey: other.privateKey, certificate: other.certificate }],
    timeoutMs: 1_000,
    ...overrides,
  });

const CARD = { accountNumber: '5555555555554444', expiryMonth: '12', expiryYear: '30' };

const asRequest = (requestId: string): ClearAuthorizeServiceRequest => ({
  requestId,
  services: ['DIGITIZATION'],
  fundingAccountInfo: {
    tokenUniqueReference: 'DWSPMC000000000abc',
    panUniqueReference: 'FWSPMC000000000abc',
  },
  correlationId: 'c0rr3l4t10n',
  tokenType: 'CLOUD',
  tokenRequestorId: '50182375119',
  consumerFacingEntityName: 'Demo Shop',
  activeTokenCount: '0',
});

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'pushprov-pd-caller-'));
  await generateDevPki(dir);
  pki = await loadDevPki(dir);
  server = createServer(
    {
      cert: pki.server.certificate.toString(),
      key: pem(pki.server.privateKey),
      ca: pki.ca.certificate.toString(),
      requestCert: true,
      rejectUnauthorized: true,
    },
    (req, res) => {
      let text = '';
      req.setEncoding('utf8');
      req.on('data', (chunk: string) => {
        text += chunk;
      });
      req.on('end', () => {
        const body = JSON.parse(text) as Record<string, unknown>;
        received.push({
          path: req.url ?? '',
          body,
          clientCertificate: (req.socket as import('node:tls').TLSSocket).authorized,
        });
        const next = answer(body);
        setTimeout(() => {
          res.writeHead(next.status, { 'content-type': 'application/json' });
          res.end(typeof next.body === 'string' ? next.body : JSON.stringify(next.body));
        }, next.delayMs ?? 0);
      });
    },
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

beforeEach(() => {
  received.length = 0;
  answer = (body) => ({ status: 200, body: { responseId: body.requestId } });
});

describe('PreDigitizationCaller over mutual TLS', () => {
  it('AuthorizeService: posts under the context root, the card encrypted to the issuer’s certificate, and reads the decision and its encrypted data', async () => {
    answer = (body) => ({
      status: 200,
      body: {
        responseId: body.requestId,
        decision: 'APPROVED',
        services: ['DIGITIZATION'],
        encryptedPayload: issuerPayloads.seal({ alternateAccountIdentifier: '123456789012' }),
      },
    });
    const before = Date.now();
    const result = await caller().authorizeService(asRequest('as-1'), {
      cardAccountData: CARD,
      source: 'ACCOUNT_ADDED_VIA_APPLICATION',
      accountHolderData: { accountHolderName: 'ADA LOVELACE' },
    });
    expect(result).toMatchObject({
      ok: true,
      status: 200,
      answer: { decision: 'APPROVED', data: { alternateAccountIdentifier: '123456789012' } },
    });
    const [call] = received;
    expect(call?.path).toBe(`${ROOT}/authorizeService`);
    expect(call?.clientCertificate).toBe(true);
    expect(JSON.stringify(call?.body)).not.toContain(CARD.accountNumber);
    expect(JSON.stringify(call?.body)).not.toContain('LOVELACE');
    const info = call?.body.fundingAccountInfo as Record<string, Record<string, string>>;
    expect(info.tokenUniqueReference).toBe('DWSPMC000000000abc');
    const envelope = info.encryptedPayload as Record<string, string>;
    // Mastercard's MDES presets: the certificate's SHA-256, OAEP SHA-512, the IV written.
    expect(envelope.publicKeyFingerprint).toBe(certificateFingerprint(recipient.certificate));
    expect(envelope.oaepHashingAlgorithm).toBe('SHA512');
    expect(envelope.iv).toMatch(/^[0-9a-f]{32}$/);

    // pushprov's issuer side opens it, and so does Mastercard's own library.
    const opened = issuerPayloads.open(
      envelope as never,
      FundingAccountDataSchema,
      '/fundingAccountInfo/encryptedPayload',
    );
    expect(opened).toMatchObject({ cardAccountData: CARD, source: 'ACCOUNT_ADDED_VIA_APPLICATION' });
    const until = Date.parse(opened.dataValidUntilTimestamp ?? '');
    expect(until - before).toBeGreaterThanOrEqual(30 * 60_000 - 1_000);
    expect(until - Date.now()).toBeLessThanOrEqual(30 * 60_000);
    const byLibrary = library.decrypt({
      request: { url: '/envelope' },
      body: { encryptedPayload: envelope },
    }) as {
      encryptedPayload: { encryptedData: unknown };
    };
    expect(byLibrary.encryptedPayload.encryptedData).toMatchObject({ cardAccountData: CARD });
  });

  it('Notify Service Activated, Notify Token Updated, Request Activation Methods and Deliver Activation Code each reach their path; their payloads open', async () => {
    const c = caller();
    const nsa = await c.notifyServiceActivated(
      {
        requestId: 'nsa-1',
        services: ['DIGITIZATION'],
        fundingAccountInfo: { tokenUniqueReference: 'DWSPMC000000000abc' },
        correlationId: 'c1',
        tokenRequestorId: '50182375119',
        tokenType: 'CLOUD',
        accountPanSuffix: '4444',
        serviceRequestDateTime: '2026-12-06T15:00:00.000Z',
        decision: 'APPROVED',
        decisionMadeBy: 'AUTHORIZATION_REQUEST',
        tokenActivatedDateTime: '2026-12-06T15:00:01.000Z',
      },
      {
        cardAccountData: CARD,
        tokenData: { token: '5399990000000018', expiryMonth: '12', expiryYear: '29' },
      },
    );
    expect(nsa.ok).toBe(true);
    const ntu = await c.notifyTokenUpdated({
      requestId: 'ntu-1',
      reasonCode: 'REDIGITIZATION_COMPLETE',
      tokens: [
        {
          tokenUniqueReference: 'DWSPMC000000000abc',
          tokenExpiry: '1229',
          fundingAccountData: {
            tokenData: { token: '5399990000000018', expiryMonth: '12', expiryYear: '29' },
          },
        },
      ],
    });
    expect(ntu.ok).toBe(true);
    answer = (body) => ({
      status: 200,
      body: {
        responseId: body.requestId,
        activationMethods: [{ type: 'TEXT_TO_CARDHOLDER_NUMBER', value: '12X-XXX-XX32' }],
      },
    });
    const ram = await c.requestActivationMethods(
      { ...asRequest('ram-1') },
      { cardAccountData: CARD, source: 'ACCOUNT_ADDED_MANUALLY' },
    );
    expect(ram).toMatchObject({
      ok: true,
      answer: { activationMethods: [{ type: 'TEXT_TO_CARDHOLDER_NUMBER' }] },
    });
    answer = (body) => ({ status: 200, body: { responseId: body.requestId } });
    const dac = await c.deliverActivationCode({
      requestId: 'dac-1',
      tokenUniqueReference: 'DWSPMC000000000abc',
      correlationId: 'c1',
      activationMethod: { type: 'TEXT_TO_CARDHOLDER_NUMBER', value: '12X-XXX-XX32' },
      activationCode: '123456',
      expirationDateTime: '2026-12-06T15:30:00.000Z',
    });
    expect(dac.ok).toBe(true);
    expect(received.map((r) => r.path)).toEqual([
      `${ROOT}/notifyServiceActivated`,
      `${ROOT}/notifyTokenUpdated`,
      `${ROOT}/requestActivationMethods`,
      `${ROOT}/deliverActivationCode`,
    ]);
    const nsaInfo = received[0]?.body.fundingAccountInfo as { encryptedPayload: never };
    expect(
      issuerPayloads.open(nsaInfo.encryptedPayload, ActivatedFundingAccountDataSchema, '/x').tokenData.token,
    ).toBe('5399990000000018');
    const [ntuToken] = (received[1]?.body.tokens ?? []) as {
      fundingAccountInfo: { encryptedPayload: never };
    }[];
    expect(
      issuerPayloads.open(
        ntuToken?.fundingAccountInfo.encryptedPayload as never,
        UpdatedFundingAccountDataSchema,
        '/x',
      ).tokenData.expiryYear,
    ).toBe('29');
    expect(JSON.stringify(received[1]?.body)).not.toContain('5399990000000018');
  });

  it('an ErrorsResponse is an http failure carrying it; a 500 without one too', async () => {
    answer = (body) => ({
      status: 400,
      body: {
        responseId: body.requestId,
        errorCode: 'CRYPTOGRAPHY_ERROR',
        errorDescription: 'Cryptography Error',
      },
    });
    expect(await caller().authorizeService(asRequest('as-400'), { cardAccountData: CARD })).toEqual({
      ok: false,
      failure: {
        kind: 'http',
        status: 400,
        error: {
          responseId: 'as-400',
          errorCode: 'CRYPTOGRAPHY_ERROR',
          errorDescription: 'Cryptography Error',
        },
      },
    });
    answer = () => ({ status: 500, body: 'oops' });
    expect(await caller().authorizeService(asRequest('as-500'), { cardAccountData: CARD })).toEqual({
      ok: false,
      failure: { kind: 'http', status: 500, error: undefined },
    });
  });

  it('an answer to another request, one that is not JSON, breaks the schema, or whose payload does not open is an invalid answer', async () => {
    const cases: [unknown, string][] = [
      [{ responseId: 'someone-else', decision: 'APPROVED' }, 'responseId is not the requestId'],
      ['not json', 'the answer is not JSON'],
      [{ responseId: 'as-x', decision: 'MAYBE' }, 'INVALID_FIELD_VALUE /decision'],
    ];
    for (const [body, reason] of cases) {
      answer = () => ({ status: 200, body });
      const result = await caller().authorizeService(asRequest('as-x'), { cardAccountData: CARD });
      expect(result.ok ? undefined : result.failure).toMatchObject({ kind: 'invalid-answer' });
      if (!result.ok && result.failure.kind === 'invalid-answer')
        expect(result.failure.reason).toContain(reason.split(' ')[0]);
    }
    // Encrypted to the issuer's own key instead of Mastercard's: MDES cannot open it.
    const wrongKey = new PreDigitizationPayloads({
      decryptionKeys: [],
      encrypter: new FieldLevelPayloadEncrypter({ encryptionKey: recipient.certificate }),
    });
    answer = (body) => ({
      status: 200,
      body: { responseId: body.requestId, decision: 'APPROVED', encryptedPayload: wrongKey.seal({}) },
    });
    const result = await caller().authorizeService(asRequest('as-y'), { cardAccountData: CARD });
    expect(result).toMatchObject({ ok: false, failure: { kind: 'invalid-answer' } });
  });

  it('an issuer slower than the timeout is a timeout', async () => {
    answer = (body) => ({ status: 200, body: { responseId: body.requestId }, delayMs: 500 });
    const started = Date.now();
    const result = await caller({ timeoutMs: 100 }).authorizeService(asRequest('as-slow'), {
      cardAccountData: CARD,
    });
    expect(result).toEqual({ ok: false, failure: { kind: 'timeout' } });
    expect(Date.now() - started).toBeLessThan(450);
  });

  it('nobody listening, an issuer certificate of another CA, or a client certificate the issuer does not trust: a network failure, nothing received', async () => {
    const closed = await caller({ baseUrl: 'https://127.0.0.1:1/issuerServices/1/0' }).authorizeService(
      asRequest('as-closed'),
      { cardAccountData: CARD },
    );
    expect(closed).toMatchObject({ ok: false, failure: { kind: 'network', code: 'ECONNREFUSED' } });

    const stranger = await generateStrangerCa();
    const untrustedServer = await caller({
      tls: { cert: pki.client.certificate.toString(), key: pem(pki.client.privateKey), ca: stranger.ca },
    }).authorizeService(asRequest('as-ca'), { cardAccountData: CARD });
    expect(untrustedServer).toMatchObject({ ok: false, failure: { kind: 'network' } });

    const untrustedClient = await caller({
      tls: { cert: stranger.clientCert, key: stranger.clientKey, ca: pki.ca.certificate.toString() },
    }).authorizeService(asRequest('as-client'), { cardAccountData: CARD });
    expect(untrustedClient).toMatchObject({ ok: false, failure: { kind: 'network' } });
    expect(received).toEqual([]);
  });

  it('a request that breaks the spec is never sent: it is MDES’s bug', async () => {
    await expect(
      caller().authorizeService(
        { ...asRequest('as-bad'), correlationId: 'far-too-long-for-the-spec' },
        {
          cardAccountData: CARD,
        },
      ),
    ).rejects.toMatchObject({ code: 'PRE_DIGITIZATION_REQUEST_INVALID' });
    await expect(
      caller().authorizeService(asRequest('as-bad2'), { cardAccountData: { ...CARD, accountNumber: '123' } }),
    ).rejects.toMatchObject({ code: 'PRE_DIGITIZATION_REQUEST_INVALID' });
    expect(received).toEqual([]);
  });

  it('refuses a base URL that is not https', () => {
    expect(() => caller({ baseUrl: 'http://localhost/issuerServices/1/0' })).toThrow(/https/);
  });
});

/** Another CA's certificate and a client certificate it issued. */
async function generateStrangerCa(): Promise<{ ca: string; clientCert: string; clientKey: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'pushprov-pd-stranger-'));
  await generateDevPki(dir);
  const stranger = await loadDevPki(dir);
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const client = tlsCertificate(publicKey, stranger.ca, {
    commonName: 'not mdes',
    usage: 'tls-client',
    notBefore: new Date(Date.now() - 3_600_000),
    notAfter: new Date(Date.now() + 3_600_000),
  });
  return {
    ca: stranger.ca.certificate.toString(),
    clientCert: client.toString(),
    clientKey: pem(privateKey),
  };
}
