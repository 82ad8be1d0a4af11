import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OAuthSigner } from '../../src/mastercard/oauth/signer.js';
import { registerClient } from '../../src/simulator/app.js';
import { TEST_CARDS } from '../../src/simulator/token-connect/test-cards.js';
import {
  firstError,
  type Harness,
  ISSUER_KEY,
  KEYS,
  PATHS,
  requestId,
  startSimulator,
} from './token-connect-harness.js';

let h: Harness;
beforeAll(async () => {
  h = await startSimulator();
});
afterAll(async () => {
  await h.close();
});

const eligibleBody = () => ({ requestId: requestId(), accountRanges: ['555555555'] });
const url = `http://localhost${PATHS.eligible}`;

async function send(authorization: string | undefined, payload: string) {
  return h.app.inject({
    method: 'POST',
    url,
    headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) },
    payload,
  });
}

function expectGatewayRefusal(response: Awaited<ReturnType<typeof send>>, reasonCode: string) {
  expect(response.statusCode).toBe(401);
  expect(response.json()).toEqual({
    Errors: {
      Error: [
        {
          Source: 'Gateway',
          ReasonCode: reasonCode,
          Description: expect.any(String),
          Recoverable: false,
          Details: null,
        },
      ],
    },
  });
}

describe('the gateway in front of Token Connect (scenario 12)', () => {
  it('lets a correctly signed request through', async () => {
    const response = await h.call('POST', PATHS.eligible, eligibleBody());
    expect(response.statusCode).toBe(200);
  });

  it('refuses a request without an OAuth header', async () => {
    expectGatewayRefusal(await send(undefined, JSON.stringify(eligibleBody())), 'OAUTH_MISSING');
  });

  it('refuses an unknown consumer key', async () => {
    const stranger = new OAuthSigner({
      consumerKey: 'nobody-knows-me',
      signingKey: KEYS.issuerSigning.privateKey,
      clock: h.clock,
    });
    const payload = JSON.stringify(eligibleBody());
    expectGatewayRefusal(
      await send(stranger.authorizationHeader('POST', url, payload), payload),
      'OAUTH_UNKNOWN_CONSUMER_KEY',
    );
  });

  it('refuses a signature made with another key', async () => {
    const impostor = new OAuthSigner({
      consumerKey: ISSUER_KEY,
      signingKey: generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey,
      clock: h.clock,
    });
    const payload = JSON.stringify(eligibleBody());
    expectGatewayRefusal(
      await send(impostor.authorizationHeader('POST', url, payload), payload),
      'OAUTH_BAD_SIGNATURE',
    );
  });

  it('refuses a body changed after signing', async () => {
    const payload = JSON.stringify(eligibleBody());
    const header = h.signers.issuer.authorizationHeader('POST', url, payload);
    expectGatewayRefusal(
      await send(header, payload.replace('555555555', '510510510')),
      'OAUTH_BODY_HASH_MISMATCH',
    );
  });

  it('refuses a replayed nonce, also after a restart', async () => {
    const payload = JSON.stringify(eligibleBody());
    const header = h.signers.issuer.authorizationHeader('POST', url, payload);
    expect((await send(header, payload)).statusCode).toBe(200);
    expectGatewayRefusal(await send(header, payload), 'OAUTH_NONCE_REPLAYED');
    await h.restart();
    expectGatewayRefusal(await send(header, payload), 'OAUTH_NONCE_REPLAYED');
  });

  it('refuses a timestamp outside the window', async () => {
    const payload = JSON.stringify(eligibleBody());
    const header = h.signers.issuer.authorizationHeader('POST', url, payload, {
      timestamp: Math.floor(h.clock.now().getTime() / 1000) - 301,
    });
    expectGatewayRefusal(await send(header, payload), 'OAUTH_TIMESTAMP_OUT_OF_WINDOW');
  });

  it('refuses a GET whose query was changed after signing', async () => {
    const path = PATHS.asset('3f0c7a52-1d2e-4b8a-9c61-2a7f5e0d9b14');
    const header = h.signers.issuer.authorizationHeader('GET', `http://localhost${path}`);
    const response = await h.app.inject({
      method: 'GET',
      url: `http://localhost${path}?extra=1`,
      headers: { authorization: header },
    });
    expectGatewayRefusal(response, 'OAUTH_BAD_SIGNATURE');
  });
});

describe('client roles', () => {
  it('answers a token requestor calling an issuer operation with AUTHORIZATION_FAILED', async () => {
    const response = await h.call('POST', PATHS.eligible, eligibleBody(), { as: 'merchant' });
    expect(response.statusCode).toBe(200);
    expect(firstError(response)).toMatchObject({ reasonCode: 'AUTHORIZATION_FAILED' });
  });

  it('answers an issuer calling tokenize with AUTHORIZATION_FAILED', async () => {
    const response = await h.call('POST', PATHS.tokenize, { requestId: requestId() });
    expect(firstError(response)).toMatchObject({ reasonCode: 'AUTHORIZATION_FAILED' });
  });
});

describe('registerClient', () => {
  it('is idempotent and takes a new key when registered again', async () => {
    const consumerKey = 'rotating-issuer';
    const first = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const second = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const registration = { consumerKey, role: 'issuer' as const, displayName: 'Rotating bank' };
    await registerClient(h.database.db, { ...registration, publicKey: first.publicKey });
    await registerClient(h.database.db, { ...registration, publicKey: first.privateKey });
    const rows = await h.database.db
      .selectFrom('mc_clients' as never)
      .selectAll()
      .where('consumer_key' as never, '=', consumerKey as never)
      .execute();
    expect(rows).toHaveLength(1);

    const signWith = (key: typeof first.privateKey) => {
      const payload = JSON.stringify(eligibleBody());
      return send(
        new OAuthSigner({ consumerKey, signingKey: key, clock: h.clock }).authorizationHeader(
          'POST',
          url,
          payload,
        ),
        payload,
      );
    };
    expect((await signWith(first.privateKey)).statusCode).toBe(200);
    await registerClient(h.database.db, {
      ...registration,
      publicKey: second.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    });
    expectGatewayRefusal(await signWith(first.privateKey), 'OAUTH_BAD_SIGNATURE');
    expect((await signWith(second.privateKey)).statusCode).toBe(200);
  });

  it('refuses a token requestor without a TRID, an issuer with one, and a non-RSA key', async () => {
    const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey;
    const base = { consumerKey: 'x', displayName: 'X' };
    await expect(
      registerClient(h.database.db, { ...base, role: 'token_requestor', publicKey }),
    ).rejects.toMatchObject({
      code: 'MC_CLIENT_INVALID',
    });
    await expect(
      registerClient(h.database.db, {
        ...base,
        role: 'issuer',
        tokenRequestorId: TEST_CARDS.credit.pan.slice(0, 11),
        publicKey,
      }),
    ).rejects.toMatchObject({ code: 'MC_CLIENT_INVALID' });
    await expect(
      registerClient(h.database.db, { ...base, role: 'issuer', publicKey: ec }),
    ).rejects.toMatchObject({
      code: 'MC_CLIENT_INVALID',
    });
  });
});
