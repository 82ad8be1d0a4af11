import { generateKeyPairSync } from 'node:crypto';
import { createLocalJWKSet, exportJWK, generateKeyPair, SignJWT } from 'jose';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import type { Database } from '../../src/core/db.js';
import { createLogger } from '../../src/core/logger.js';
import { MemoryNonceStore } from '../../src/mastercard/oauth/nonce-store.js';
import { OAuthSigner } from '../../src/mastercard/oauth/signer.js';
import { OAuthVerifier } from '../../src/mastercard/oauth/verifier.js';
import { MDES_NOTIFICATION_CONSUMER_KEY } from '../../src/simulator/app.js';
import {
  type CreatedToken,
  createMerchantApp,
  prepareMerchantStore,
  TokenCreationError,
} from '../../src/simulator/merchant/app.js';
import { PushSignatureVerifier } from '../../src/simulator/merchant/push-request.js';
import { MERCHANT_NTU_PATH } from '../../src/simulator/merchant/token-updates.js';
import { testDatabase } from '../support/database.js';

const CALLBACK = 'https://bank.test/v1/provisionings/prv_1/callback?state=abc';

describe('demo merchant', () => {
  let database: Database<unknown>;
  let app: Awaited<ReturnType<typeof createMerchantApp>>;
  let sign: (claims: Record<string, unknown>) => Promise<string>;
  let forge: (claims: Record<string, unknown>) => Promise<string>;
  const redeemed: string[] = [];

  beforeAll(async () => {
    database = await testDatabase();
    await prepareMerchantStore(database.db);
    const mdes = await generateKeyPair('RS256');
    const attacker = await generateKeyPair('RS256');
    const jwk = { ...(await exportJWK(mdes.publicKey)), kid: 'mdes-1', alg: 'RS256' };
    const make = (key: Parameters<SignJWT['sign']>[0]) => (claims: Record<string, unknown>) =>
      new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid: 'mdes-1' }).sign(key);
    sign = make(mdes.privateKey);
    forge = make(attacker.privateKey);
    app = await createMerchantApp({
      db: database.db,
      logger: createLogger({ level: 'silent' }),
      clock: new ManualClock(),
      signatures: new PushSignatureVerifier(createLocalJWKSet({ keys: [jwk] })),
      tokens: {
        async createToken(receipt: string): Promise<CreatedToken> {
          if (receipt.startsWith('MCC-EXPIRED')) throw new TokenCreationError('RECEIPT_EXPIRED');
          redeemed.push(receipt);
          return { tokenUniqueReference: `DM4MMC-${receipt}`, lastFour: '4444' };
        },
      },
    });
  });
  afterAll(async () => database.close());

  const pushUrl = (receipts: string[], signature?: string, callbackURL = CALLBACK) => {
    const q = new URLSearchParams();
    for (const r of receipts) q.append('pushAccountReceipt', r);
    q.set('callbackURL', callbackURL);
    if (signature) q.set('signature', signature);
    return `/push?${q}`;
  };

  const cookiesOf = (res: { cookies: { name: string; value: string }[] }) =>
    Object.fromEntries(res.cookies.map((c) => [c.name, c.value]));

  it('verifies the redirect, saves the card as a token, and sends the shopper back with the outcome', async () => {
    const receipt = 'MCC-1111-2222';
    const signature = await sign({
      pushAccountReceipt: receipt,
      issuerCallBack: CALLBACK,
      callbackRequired: true,
    });
    const landing = await app.inject({ url: pushUrl([receipt], signature) });
    expect(landing.statusCode).toBe(200);
    expect(landing.body).toContain('Save your card at Demo Shop');
    const cookies = cookiesOf(landing);
    const csrf = /name="csrf" value="([^"]+)"/.exec(landing.body)?.[1] ?? '';
    expect(landing.body).toContain(`${CALLBACK.replace(/&/g, '&amp;')}&amp;status=cancelled`);

    const form = new URLSearchParams({ pushAccountReceipt: receipt, callbackURL: CALLBACK, signature, csrf });
    const saved = await app.inject({
      method: 'POST',
      url: '/push',
      payload: form.toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      cookies,
    });
    expect(saved.statusCode).toBe(200);
    expect(saved.body).toContain('ending in 4444');
    expect(saved.body).toContain('state=abc&amp;status=success');
    expect(redeemed).toEqual([receipt]);

    const home = await app.inject({ url: '/', cookies: { shopper: cookies.shopper ?? '' } });
    expect(home.body).toContain('Mastercard ending in 4444 — active');
  });

  it.each([
    ['no signature', async () => pushUrl(['MCC-1'])],
    [
      'a signature by another key',
      async () => pushUrl(['MCC-1'], await forge({ pushAccountReceipt: 'MCC-1', issuerCallBack: CALLBACK })),
    ],
    [
      'a receipt swapped after signing',
      async () => pushUrl(['MCC-2'], await sign({ pushAccountReceipt: 'MCC-1', issuerCallBack: CALLBACK })),
    ],
    [
      'a callback swapped after signing',
      async () =>
        pushUrl(
          ['MCC-1'],
          await sign({ pushAccountReceipt: 'MCC-1', issuerCallBack: CALLBACK }),
          'https://evil.test/',
        ),
    ],
    ['no receipt', async () => '/push?callbackURL=https%3A%2F%2Fbank.test%2F'],
  ])('refuses a redirect with %s, offering no way back through it', async (_name, url) => {
    const before = redeemed.length;
    const res = await app.inject({ url: await url() });
    expect(res.statusCode).toBe(400);
    expect(res.body).not.toContain('evil.test');
    expect(res.body).not.toContain('<form');
    expect(redeemed.length).toBe(before);
  });

  it('refuses a confirmation without its CSRF token, and reports an expired receipt back to the bank', async () => {
    const receipt = 'MCC-EXPIRED-1';
    const signature = await sign({ pushAccountReceipt: receipt, issuerCallBack: CALLBACK });
    const form = new URLSearchParams({
      pushAccountReceipt: receipt,
      callbackURL: CALLBACK,
      signature,
      csrf: 'x'.repeat(24),
    });
    const headers = { 'content-type': 'application/x-www-form-urlencoded' };
    const forged = await app.inject({
      method: 'POST',
      url: '/push',
      payload: form.toString(),
      headers,
      cookies: { csrf: 'y'.repeat(24) },
    });
    expect(forged.statusCode).toBe(403);
    const expired = await app.inject({
      method: 'POST',
      url: '/push',
      payload: form.toString(),
      headers,
      cookies: { csrf: 'x'.repeat(24) },
    });
    expect(expired.statusCode).toBe(422);
    expect(expired.body).toContain('status=failure&amp;reason=RECEIPT_EXPIRED');
  });
});

describe("demo merchant hearing MDES's Notify Token Updated", () => {
  const PUBLIC_URL = 'http://merchant.test';
  const mdesKey = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const otherKey = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const clock = new ManualClock(new Date('2026-05-01T10:00:00Z'));
  let database: Database<unknown>;
  let app: Awaited<ReturnType<typeof createMerchantApp>>;

  beforeAll(async () => {
    database = await testDatabase();
    await prepareMerchantStore(database.db);
    app = await createMerchantApp({
      db: database.db,
      logger: createLogger({ level: 'silent' }),
      clock,
      signatures: new PushSignatureVerifier(createLocalJWKSet({ keys: [] })),
      tokens: { createToken: async () => ({ tokenUniqueReference: 'unused', lastFour: '0000' }) },
      tokenUpdates: {
        verifier: new OAuthVerifier({
          resolveKey: (key) => (key === MDES_NOTIFICATION_CONSUMER_KEY ? mdesKey.publicKey : undefined),
          nonces: new MemoryNonceStore(),
          clock,
        }),
        publicUrl: PUBLIC_URL,
      },
    });
    await sql`insert into merchant_saved_cards (id, shopper_ref, token_unique_reference, last_four, status)
      values ('msc_1', 'shp_aaaaaaaaaaaaaaaaaaaa', 'DM4MMC-1', '4444', 'ACTIVE')`.execute(database.db);
  });
  afterAll(async () => database.close());

  const ntu = (status: string, statusTimestamp: string, accountPanSuffix = '4444') => ({
    requestId: `ntu-${Math.random().toString(36).slice(2)}`,
    responseHost: 'mdes.test',
    tokens: [
      {
        tokenUniqueReference: 'DM4MMC-1',
        status,
        statusTimestamp,
        reasonCode: 'STATUS_UPDATE',
        tokenInfo: { tokenPanSuffix: '9876', accountPanSuffix },
      },
    ],
  });
  const send = (body: unknown, key = mdesKey.privateKey) => {
    const payload = JSON.stringify(body);
    const signer = new OAuthSigner({ consumerKey: MDES_NOTIFICATION_CONSUMER_KEY, signingKey: key, clock });
    return app.inject({
      method: 'POST',
      url: MERCHANT_NTU_PATH,
      payload,
      headers: {
        'content-type': 'application/json',
        authorization: signer.authorizationHeader('POST', `${PUBLIC_URL}${MERCHANT_NTU_PATH}`, payload),
      },
    });
  };
  const page = async () =>
    (await app.inject({ url: '/', cookies: { shopper: 'shp_aaaaaaaaaaaaaaaaaaaa' } })).body;

  it('takes the new status and last four digits from a signed notification, and answers with its requestId', async () => {
    const update = ntu('SUSPENDED', '2026-05-01T10:00:00.000Z');
    const answer = await send(update);
    expect(answer.statusCode).toBe(200);
    expect(answer.json()).toMatchObject({ responseId: update.requestId });
    expect(await page()).toContain('ending in 4444 — suspended');
    expect(await page()).toContain('class="unusable"');
    expect((await send(ntu('ACTIVE', '2026-05-01T10:01:00.000Z', '7777'))).statusCode).toBe(200);
    expect(await page()).toContain('ending in 7777 — active');
  });

  it('refuses a forged or malformed notification and ignores one older than what it shows', async () => {
    expect((await send(ntu('DEACTIVATED', '2026-05-01T10:02:00.000Z'), otherKey.privateKey)).statusCode).toBe(
      401,
    );
    expect((await send({ requestId: 'x', tokens: [] })).statusCode).toBe(400);
    expect((await send(ntu('SUSPENDED', '2026-05-01T09:00:00.000Z'))).statusCode).toBe(200);
    expect(await page()).toContain('ending in 7777 — active');
    expect((await send(ntu('DEACTIVATED', '2026-05-01T10:03:00.000Z'))).statusCode).toBe(200);
    expect(await page()).toContain('ending in 4444 — removed');
  });
});
