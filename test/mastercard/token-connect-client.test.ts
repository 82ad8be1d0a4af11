import { generateKeyPairSync } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ValidationError } from '../../src/core/errors.js';
import { HsmError } from '../../src/core/hsm/errors.js';
import { decryptFieldLevel } from '../../src/mastercard/encryption/field-level.js';
import { backoffDelay, parseRetryAfter } from '../../src/mastercard/http/retry.js';
import { selfSignedCertificate } from '../../src/mastercard/keys/certificate.js';
import { certificateFingerprint, publicKeyFingerprint } from '../../src/mastercard/keys/fingerprint.js';
import { OAuthSigner } from '../../src/mastercard/oauth/signer.js';
import { MemoryNonceStore, OAuthVerifier } from '../../src/mastercard/oauth/verifier.js';
import {
  type AttemptFinished,
  type AttemptStarted,
  TokenConnectClient,
  type TokenConnectClientOptions,
} from '../../src/mastercard/token-connect/client.js';
import { FieldLevelPayloadEncrypter } from '../../src/mastercard/token-connect/encrypter.js';
import { baseUrlOf } from '../../src/mastercard/token-connect/endpoints.js';
import { TokenConnectError } from '../../src/mastercard/token-connect/errors.js';
import type {
  EncryptedPayload,
  PushMultipleFundingAccount,
} from '../../src/mastercard/token-connect/types.js';

// ---------------------------------------------------------------------------
// Mastercard's side, in miniature: pushprov's OAuth signer and field-level
// encrypter for the issuer, its OAuth verifier and decryption on the server.
// ---------------------------------------------------------------------------

const CONSUMER_KEY = 'test-consumer-key!0000000000000000';
const signing = generateKeyPairSync('rsa', { modulusLength: 2048 });
const encryption = generateKeyPairSync('rsa', { modulusLength: 2048 });
const FINGERPRINT = publicKeyFingerprint(encryption.publicKey);

const signer = new OAuthSigner({ consumerKey: CONSUMER_KEY, signingKey: signing.privateKey });

const encrypter = new FieldLevelPayloadEncrypter({ encryptionKey: encryption.publicKey });

/** What MDES does with the envelope: find its key by fingerprint and decrypt. */
function decrypt(payload: EncryptedPayload): unknown {
  expect(payload.publicKeyFingerprint).toBe(FINGERPRINT);
  const plaintext = decryptFieldLevel(
    {
      encryptedValue: payload.encryptedData,
      encryptedKey: payload.encryptedKey,
      iv: payload.iv,
      oaepHashingAlgorithm: payload.oaepHashingAlgorithm,
    },
    encryption.privateKey,
    { encoding: 'hex', oaepHashingAlgorithm: 'SHA256' },
  );
  return JSON.parse(plaintext);
}

// ---------------------------------------------------------------------------
// A scripted server
// ---------------------------------------------------------------------------

interface Received {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
  /** The consumer key when the OAuth signature verified, else the verifier's error code. */
  oauth: string;
}

type Reply = (req: Received, res: ServerResponse) => void;

const json =
  (status: number, body: unknown, headers: Record<string, string> = {}): Reply =>
  (_req, res) => {
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(typeof body === 'string' ? body : JSON.stringify(body));
  };

const servers: Array<() => Promise<void>> = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((close) => close()));
});

/** Answers the n-th request with replies[n] (the last one repeats). */
async function serve(...replies: Reply[]) {
  const received: Received[] = [];
  const verifier = new OAuthVerifier({
    resolveKey: (consumerKey) => (consumerKey === CONSUMER_KEY ? signing.publicKey : undefined),
    nonces: new MemoryNonceStore(),
  });
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString();
    const method = req.method ?? '';
    const oauth = await verifier
      .verify({ method, url: origin + req.url, body, authorization: req.headers.authorization })
      .then(
        (ok) => ok.consumerKey,
        (e: { code?: string }) => e.code ?? 'ERROR',
      );
    const r = { method, url: req.url ?? '', headers: req.headers, body, oauth };
    received.push(r);
    replies[Math.min(received.length, replies.length) - 1]?.(r, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const baseUrl = `${origin}/mdes`;
  servers.push(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  return { baseUrl, received };
}

function client(baseUrl: string, overrides: Partial<TokenConnectClientOptions> = {}) {
  return new TokenConnectClient({
    environment: { baseUrl },
    signer,
    encrypter,
    retry: { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 5 },
    timeoutMs: 2_000,
    ...overrides,
  });
}

const PAN = '5412345678901232';
const accounts: PushMultipleFundingAccount[] = [
  {
    pushAccountId: 'CA-1',
    fundingAccountData: {
      cardAccountData: { accountNumber: PAN, expiryMonth: '12', expiryYear: '30' },
      accountHolderData: { accountHolderName: 'Jane Doe', accountHolderEmailAddress: 'jane@example.com' },
    },
  },
  {
    pushAccountId: 'CA-2',
    fundingAccountData: {
      cardAccountData: { accountNumber: '5555555555554444', expiryMonth: '01', expiryYear: '29' },
    },
  },
];

const receipts = {
  responseId: 'r-1',
  pushAccountReceipts: [
    { pushAccountId: 'CA-1', pushAccountReceipt: 'MCC-C307F0AE-298E-48EB-AA43-A7C40B32DDDE' },
    { pushAccountId: 'CA-2', errors: [{ source: 'MDES', reasonCode: 'ACCOUNT_INELIGIBLE' }] },
  ],
  availablePushMethods: [{ type: 'WEB', uri: 'https://merchant.example/push' }],
};

// ---------------------------------------------------------------------------

describe('TokenConnectClient: requests', () => {
  it('signs getEligibleTokenRequestors with OAuth 1.0a and keeps 19-digit ranges exact', async () => {
    const { baseUrl, received } = await serve(
      json(
        200,
        '{"responseId":"req-1","tokenRequestors":[{"tokenRequestorId":"50123456789","name":"Sunrise Ave. Ltd",' +
          '"consumerFacingEntityName":"Happy Sunrise","tokenRequestorType":"MERCHANT","enabledAccountRanges":[5412346789000000001]}]}',
      ),
    );
    const result = await client(baseUrl).getEligibleTokenRequestors({
      requestId: 'req-1',
      accountRanges: ['5412346789'],
    });

    expect(result.tokenRequestors?.[0]?.enabledAccountRanges).toEqual(['5412346789000000001']);
    const [req] = received;
    expect(req?.method).toBe('POST');
    expect(req?.url).toBe('/mdes/connect/1/0/getEligibleTokenRequestors');
    expect(req?.headers['content-type']).toBe('application/json');
    expect(JSON.parse(req?.body ?? '')).toEqual({ requestId: 'req-1', accountRanges: ['5412346789'] });
    expect(req?.oauth).toBe(CONSUMER_KEY);
  });

  it('generates a requestId when none is given', async () => {
    const { baseUrl, received } = await serve(json(200, { responseId: 'x', tokenRequestors: [] }));
    await client(baseUrl).getEligibleTokenRequestors({ accountRanges: ['541234567'] });
    expect(JSON.parse(received[0]?.body ?? '').requestId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('encrypts the accounts of pushMultipleAccounts so that only Mastercard can read them', async () => {
    const { baseUrl, received } = await serve(json(200, receipts));
    const result = await client(baseUrl).pushMultipleAccounts({
      requestId: 'push-1',
      tokenRequestorId: '50123456789',
      accounts,
      signatureData: {
        callbackURL: 'https://bank.example/back',
        locale: 'en_GB',
        accountHolderDataSupplied: true,
      },
      pushAccountReceiptsValidityPeriod: 10,
    });

    // Per-account failures are data, not exceptions.
    expect(result.pushAccountReceipts?.[1]?.errors?.[0]?.reasonCode).toBe('ACCOUNT_INELIGIBLE');
    const body = received[0]?.body ?? '';
    expect(body).not.toContain(PAN);
    expect(body).not.toContain('Jane');
    const sent = JSON.parse(body);
    expect(sent).toMatchObject({
      requestId: 'push-1',
      tokenRequestorId: '50123456789',
      pushAccountReceiptsValidityPeriod: 10,
      signatureData: { callbackURL: 'https://bank.example/back' },
    });
    expect(decrypt(sent.pushFundingAccounts.encryptedPayload)).toEqual(accounts);
    expect(received[0]?.oauth).toBe(CONSUMER_KEY);
  });

  it('encrypts the single account of the deprecated pushAccount', async () => {
    const { baseUrl, received } = await serve(json(200, { responseId: 'p', pushAccountReceipt: 'DMC-1' }));
    const account = accounts[0]?.fundingAccountData ?? {};
    const result = await client(baseUrl).pushAccount({ tokenRequestorId: '50123456789', account });
    expect(result.pushAccountReceipt).toBe('DMC-1');
    expect(received[0]?.url).toBe('/mdes/connect/1/0/pushAccount');
    expect(decrypt(JSON.parse(received[0]?.body ?? '').pushFundingAccount.encryptedPayload)).toEqual(account);
  });

  it('fetches an asset with a signed GET and no body', async () => {
    const asset = {
      mediaContents: [{ type: 'image/png', data: 'iVBORw0KGgo=', height: '192', width: '192' }],
    };
    const { baseUrl, received } = await serve(json(200, asset));
    expect(await client(baseUrl).getAsset('554dbc44-496a-4896-b41c-dd431e25d5e4')).toEqual(asset);
    expect(received[0]?.method).toBe('GET');
    expect(received[0]?.url).toBe(
      '/mdes/issuer-assets/1/0/asset/tokenrequestor/554dbc44-496a-4896-b41c-dd431e25d5e4',
    );
    expect(received[0]?.oauth).toBe(CONSUMER_KEY);
  });

  it('refuses an invalid request before sending it, naming the field and not the value', async () => {
    const { baseUrl, received } = await serve(json(200, receipts));
    const bad = [
      { pushAccountId: 'CA-1', fundingAccountData: { cardAccountData: { accountNumber: '54123456' } } },
    ];
    const error = await client(baseUrl)
      .pushMultipleAccounts({ tokenRequestorId: '50123456789', accounts: bad })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).code).toBe('TOKEN_CONNECT_INVALID_REQUEST');
    expect((error as Error).message).toContain(
      '/accounts/0/fundingAccountData/cardAccountData/accountNumber',
    );
    expect((error as Error).message).not.toContain('54123456');
    const duplicate = client(baseUrl).pushMultipleAccounts({
      tokenRequestorId: '50123456789',
      accounts: [accounts[1], accounts[1]] as PushMultipleFundingAccount[],
    });
    await expect(duplicate).rejects.toThrow(/pushAccountId: must be unique/);
    await expect(client(baseUrl).getAsset('../x')).rejects.toBeInstanceOf(ValidationError);
    expect(received).toHaveLength(0);
  });
});

describe('TokenConnectClient: errors', () => {
  it('turns the error envelope into a typed TokenConnectError and does not retry a 4xx', async () => {
    const envelope = {
      responseId: 'resp-9',
      errors: [
        {
          source: 'INPUT',
          reasonCode: 'INVALID_FIELD_LENGTH',
          description: 'Invalid Field Length - requestId',
          recoverable: false,
        },
      ],
    };
    const { baseUrl, received } = await serve(json(400, envelope, { 'correlation-id': 'corr-1' }));
    const error = await client(baseUrl)
      .getEligibleTokenRequestors({ requestId: 'req-9', accountRanges: ['541234567'] })
      .catch((e: unknown) => e);

    expect(error).toBeInstanceOf(TokenConnectError);
    expect(error).toMatchObject({
      code: 'TOKEN_CONNECT_REJECTED',
      status: 502,
      httpStatus: 400,
      reasonCode: 'INVALID_FIELD_LENGTH',
      description: 'Invalid Field Length - requestId',
      source: 'INPUT',
      recoverable: false,
      requestId: 'req-9',
      responseId: 'resp-9',
      correlationId: 'corr-1',
      attempts: 1,
      operation: 'getEligibleTokenRequestors',
    });
    expect((error as Error).message).toBe(
      'Token Connect getEligibleTokenRequestors failed: INVALID_FIELD_LENGTH (HTTP 400)',
    );
    expect(received).toHaveLength(1);
  });

  it('treats errors in a 200 payload without a result as a rejection', async () => {
    const { baseUrl } = await serve(
      json(200, { responseId: 'r', errors: [{ source: 'MDES', reasonCode: 'ACCOUNT_INELIGIBLE' }] }),
    );
    await expect(
      client(baseUrl).getEligibleTokenRequestors({ accountRanges: ['541234567'] }),
    ).rejects.toMatchObject({
      code: 'TOKEN_CONNECT_REJECTED',
      httpStatus: 200,
      reasonCode: 'ACCOUNT_INELIGIBLE',
    });
  });

  it("reads the API gateway's own error format", async () => {
    const gateway = {
      Errors: {
        Error: [
          {
            Source: 'Gateway',
            ReasonCode: 'INVALID_SIGNATURE',
            Description: 'bad',
            Recoverable: false,
            Details: null,
          },
        ],
      },
    };
    const { baseUrl, received } = await serve(json(401, gateway));
    await expect(client(baseUrl).getAsset('abc')).rejects.toMatchObject({
      httpStatus: 401,
      reasonCode: 'INVALID_SIGNATURE',
      source: 'Gateway',
      recoverable: false,
      requestId: undefined,
    });
    expect(received).toHaveLength(1);
  });

  it('reports a response that is not Token Connect JSON', async () => {
    const { baseUrl } = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<html>login</html>');
    });
    await expect(client(baseUrl).getAsset('abc')).rejects.toMatchObject({
      code: 'TOKEN_CONNECT_UNEXPECTED_RESPONSE',
      recoverable: false,
    });
  });
});

describe('TokenConnectClient: retries', () => {
  const ok = json(200, { responseId: 'req-r', tokenRequestors: [] });
  const input = { requestId: 'req-r', accountRanges: ['541234567'] };

  it('retries a recoverable 5xx with the same requestId and the same bytes', async () => {
    const failure = json(500, {
      errors: [{ source: 'MDES', reasonCode: 'INTERNAL_SERVICE_FAILURE', recoverable: true }],
    });
    const { baseUrl, received } = await serve(failure, ok);
    const started: AttemptStarted[] = [];
    const finished: AttemptFinished[] = [];
    await client(baseUrl, {
      hooks: { onRequest: (e) => started.push(e), onResponse: (e) => finished.push(e) },
    }).getEligibleTokenRequestors(input);

    expect(received).toHaveLength(2);
    expect(received[1]?.body).toBe(received[0]?.body);
    // Each attempt is signed afresh, so the second passes the verifier's replay check.
    expect(received.map((r) => r.oauth)).toEqual([CONSUMER_KEY, CONSUMER_KEY]);
    expect(started).toEqual([
      { operation: 'getEligibleTokenRequestors', requestId: 'req-r', attempt: 1 },
      { operation: 'getEligibleTokenRequestors', requestId: 'req-r', attempt: 2 },
    ]);
    expect(finished.map(({ durationMs, ...e }) => e)).toEqual([
      {
        ...started[0],
        status: 500,
        outcome: 'TOKEN_CONNECT_REJECTED',
        reasonCode: 'INTERNAL_SERVICE_FAILURE',
        retrying: true,
      },
      { ...started[1], status: 200, outcome: 'ok', reasonCode: undefined, retrying: false },
    ]);
  });

  it('retries a 4xx that Mastercard marks recoverable, and a 429', async () => {
    const flagged = json(400, {
      errors: [{ source: 'MDES', reasonCode: 'SOMETHING_TRANSIENT', recoverable: true }],
    });
    const limited = json(429, {
      Errors: { Error: [{ Source: 'Gateway', ReasonCode: 'QUOTA', Recoverable: false }] },
    });
    const { baseUrl, received } = await serve(flagged, limited, ok);
    await client(baseUrl).getEligibleTokenRequestors(input);
    expect(received).toHaveLength(3);
  });

  it('stops after maxAttempts', async () => {
    const { baseUrl, received } = await serve((_req, res) => {
      res.writeHead(503);
      res.end('busy');
    });
    const error = await client(baseUrl, { retry: { maxAttempts: 4, baseDelayMs: 1, maxDelayMs: 2 } })
      .getEligibleTokenRequestors(input)
      .catch((e: unknown) => e);
    expect(error).toMatchObject({
      code: 'TOKEN_CONNECT_UNEXPECTED_RESPONSE',
      httpStatus: 503,
      recoverable: true,
      attempts: 4,
    });
    expect(received).toHaveLength(4);
  });

  it('retries a reset connection with the same requestId', async () => {
    const drop: Reply = (_req, res) => res.socket?.destroy();
    const { baseUrl, received } = await serve(drop, ok);
    await client(baseUrl).getEligibleTokenRequestors(input);
    expect(received.map((r) => JSON.parse(r.body).requestId)).toEqual(['req-r', 'req-r']);
  });

  it('gives up on a refused connection after maxAttempts, as unreachable and recoverable', async () => {
    const { baseUrl } = await serve(ok);
    await Promise.all(servers.splice(0).map((close) => close())); // nothing listens any more
    const finished: AttemptFinished[] = [];
    const error = await client(baseUrl, { hooks: { onResponse: (e) => finished.push(e) } })
      .getEligibleTokenRequestors(input)
      .catch((e: unknown) => e);
    expect(error).toMatchObject({
      code: 'TOKEN_CONNECT_UNREACHABLE',
      recoverable: true,
      attempts: 3,
      httpStatus: undefined,
    });
    expect(finished.map((e) => e.outcome)).toEqual(Array(3).fill('TOKEN_CONNECT_UNREACHABLE'));
  });

  it('times out a slow answer, retries it, and reports a timeout', async () => {
    const { baseUrl, received } = await serve(() => {
      // never answers
    });
    // Long enough for each attempt to reach the server on a loaded machine.
    const error = await client(baseUrl, {
      timeoutMs: 400,
      retry: { maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 1 },
    })
      .getEligibleTokenRequestors(input)
      .catch((e: unknown) => e);
    expect(error).toMatchObject({
      code: 'TOKEN_CONNECT_TIMEOUT',
      status: 504,
      recoverable: true,
      attempts: 2,
    });
    expect(received).toHaveLength(2);
  });

  it("stops at once when the caller cancels, with the caller's reason", async () => {
    const { baseUrl, received } = await serve(() => {
      // never answers
    });
    const controller = new AbortController();
    const call = client(baseUrl).getEligibleTokenRequestors(input, { signal: controller.signal });
    // Cancel once the request is in flight (waiting on the server, not on a timer).
    await vi.waitFor(() => expect(received).toHaveLength(1), { timeout: 10_000, interval: 5 });
    controller.abort(new Error('cardholder left'));
    await expect(call).rejects.toThrow('cardholder left');
    expect(received).toHaveLength(1);
  });

  it('passes a signer’s own failure (its HSM gone) through as it is: nothing sent, not called unreachable', async () => {
    const { baseUrl, received } = await serve(ok);
    const gone = new HsmError('HSM_UNAVAILABLE', 'the HSM holding pkcs11:token=t;object=k is not reachable');
    const started: AttemptStarted[] = [];
    const error = await client(baseUrl, {
      signer: {
        authorizationHeader: () => {
          throw gone;
        },
      },
      hooks: { onRequest: (e) => started.push(e) },
    })
      .pushMultipleAccounts({ tokenRequestorId: '50123197928', accounts })
      .catch((e: unknown) => e);
    expect(error).toBe(gone);
    expect(error).not.toBeInstanceOf(TokenConnectError);
    expect(received).toHaveLength(0);
    expect(started).toHaveLength(0);
  });

  it('uses an injected fetch, and ignores a hook that throws', async () => {
    const calls: string[] = [];
    const fake: typeof fetch = async (url) => {
      calls.push(String(url));
      return new Response(JSON.stringify({ responseId: 'f', tokenRequestors: [] }), { status: 200 });
    };
    const result = await new TokenConnectClient({
      environment: 'mtf',
      signer,
      encrypter,
      fetch: fake,
      hooks: {
        onRequest: () => {
          throw new Error('logger down');
        },
      },
    }).getEligibleTokenRequestors(input);
    expect(result.tokenRequestors).toEqual([]);
    expect(calls).toEqual(['https://api.mastercard.com/mdes/mtf/connect/1/0/getEligibleTokenRequestors']);
  });
});

describe('backoff and environments', () => {
  const policy = { maxAttempts: 5, baseDelayMs: 100, maxDelayMs: 1_000 };

  it('draws each delay below an exponentially growing ceiling, capped', () => {
    expect(backoffDelay(1, policy, undefined, () => 0.999)).toBe(99);
    expect(backoffDelay(3, policy, undefined, () => 0.999)).toBe(399);
    expect(backoffDelay(10, policy, undefined, () => 0.999)).toBe(999);
    expect(backoffDelay(2, policy, undefined, () => 0)).toBe(0);
  });

  it('honours Retry-After as a floor within the cap', () => {
    expect(backoffDelay(1, policy, 500, () => 0)).toBe(500);
    expect(backoffDelay(1, policy, 60_000, () => 0)).toBe(1_000);
    expect(parseRetryAfter('2')).toBe(2_000);
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:10 GMT', Date.UTC(2026, 0, 1))).toBe(10_000);
    expect(parseRetryAfter(null)).toBeUndefined();
  });

  it('names the encryption key by the fingerprint MDES looks it up by', () => {
    const certificate = selfSignedCertificate(encryption, {
      commonName: 'MDES Token Connect encryption',
      usage: 'encryption',
      notBefore: new Date(Date.UTC(2025, 0, 1)),
      notAfter: new Date(Date.UTC(2030, 0, 1)),
    });
    // By default as Mastercard's MDES presets: the certificate's fingerprint, OAEP with SHA-512.
    const byDefault = new FieldLevelPayloadEncrypter({ encryptionKey: certificate }).encrypt('{}');
    expect(byDefault).toMatchObject({
      publicKeyFingerprint: certificateFingerprint(certificate),
      oaepHashingAlgorithm: 'SHA512',
    });
    // Both configurable; a bare key can only be named by its own fingerprint.
    const byKey = new FieldLevelPayloadEncrypter({
      encryptionKey: certificate,
      fingerprintOf: 'publicKey',
      oaepHashingAlgorithm: 'SHA256',
    }).encrypt('{}');
    expect(byKey).toMatchObject({ publicKeyFingerprint: FINGERPRINT, oaepHashingAlgorithm: 'SHA256' });
    expect(
      new FieldLevelPayloadEncrypter({ encryptionKey: encryption.publicKey }).encrypt('{}'),
    ).toMatchObject({
      publicKeyFingerprint: FINGERPRINT,
    });
    expect(byDefault.iv).toMatch(/^[0-9a-f]{32}$/);
    expect(
      () =>
        new FieldLevelPayloadEncrypter({ encryptionKey: encryption.publicKey, fingerprintOf: 'certificate' }),
    ).toThrow(/certificate/);
  });

  it("knows Mastercard's documented base URLs", () => {
    expect(baseUrlOf('sandbox')).toBe('https://sandbox.api.mastercard.com/mdes');
    expect(baseUrlOf('mtf')).toBe('https://api.mastercard.com/mdes/mtf');
    expect(baseUrlOf('production')).toBe('https://api.mastercard.com/mdes');
    expect(baseUrlOf({ baseUrl: 'http://localhost:8081/mdes/' })).toBe('http://localhost:8081/mdes');
  });
});
