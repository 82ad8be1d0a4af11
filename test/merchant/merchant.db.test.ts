import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import type { Database } from '../../src/core/db.js';
import { DerivedKeySealer } from '../../src/core/derived-key-sealer.js';
import { createLogger } from '../../src/core/logger.js';
import { EnvelopeDecrypter } from '../../src/mastercard/encryption/envelope-decrypter.js';
import { MemoryNonceStore } from '../../src/mastercard/oauth/nonce-store.js';
import { OAuthSigner } from '../../src/mastercard/oauth/signer.js';
import { OAuthVerifier } from '../../src/mastercard/oauth/verifier.js';
import { FieldLevelPayloadEncrypter } from '../../src/mastercard/token-connect/encrypter.js';
import { pushUrl } from '../../src/mastercard/token-connect/handover.js';
import { PushSignatureKeys, PushSigner } from '../../src/mastercard/token-connect/push-signature.js';
import {
  type CreatedToken,
  createMerchantApp,
  prepareMerchantStore,
  type ShopMdes,
  TokenCreationError,
} from '../../src/merchant/app.js';
import { MdesCallError } from '../../src/merchant/payments.js';
import { MERCHANT_NTU_PATH } from '../../src/merchant/token-updates.js';
import { MDES_NOTIFICATION_CONSUMER_KEY } from '../../src/simulator/app.js';
import { testDatabase } from '../support/database.js';

const CALLBACK = 'https://bank.test/v1/provisionings/prv_1/callback?state=abc';
const receipt = (n: number) => `MCC-STL-${String(n).padStart(8, '0')}-64B2-4930-A2D1-3D778894B02B`;
const tur = (n: number) => `DWSPMC00000000${String(n).padStart(34, '0')}`;
const TOKEN = { tokenNumber: '5399990000000018', expiryMonth: '12', expiryYear: '29' };
const sealer = () => new DerivedKeySealer(randomBytes(32));
/** The shop's other calls to MDES, for tests about its pages only: none of them is expected. */
const noOtherCalls: Omit<ShopMdes, 'createToken'> = {
  deleteToken: async () => {
    throw new MdesCallError('NOT_EXPECTED');
  },
  transact: async () => {
    throw new MdesCallError('NOT_EXPECTED');
  },
  authorize: async () => {
    throw new MdesCallError('NOT_EXPECTED');
  },
};

describe('demo merchant', () => {
  let database: Database<unknown>;
  let app: Awaited<ReturnType<typeof createMerchantApp>>;
  let mdes: PushSigner;
  let attacker: PushSigner;
  const redeemed: { receipt: string; ipAddress: string | undefined }[] = [];

  beforeAll(async () => {
    database = await testDatabase();
    await prepareMerchantStore(database.db);
    const key = (assetId: string) => ({ assetId, ...generateKeyPairSync('rsa', { modulusLength: 2048 }) });
    mdes = new PushSigner([key('20260101000000-MDES-token-connect-test')]);
    // Another key under the very same kid: only the downloaded key counts.
    attacker = new PushSigner([key('20260101000000-MDES-token-connect-test')]);
    const keys = new PushSignatureKeys(async (assetId) => (await mdes.asset(assetId)) ?? []);
    await keys.load([mdes.kid]);
    app = await createMerchantApp({
      db: database.db,
      logger: createLogger({ level: 'silent' }),
      clock: new ManualClock(),
      signatures: keys,
      sealer: sealer(),
      tokens: {
        ...noOtherCalls,
        async createToken(r: string, device?: { ipAddress?: string }): Promise<CreatedToken> {
          if (r === receipt(99)) throw new TokenCreationError('PUSH_ACCOUNT_RECEIPT_EXPIRED', 'ERROR');
          if (r === receipt(98)) throw new TokenCreationError('DECISION_DECLINED', 'DECLINED');
          if (r === receipt(97)) throw new TokenCreationError('PUSH_ACCOUNT_RECEIPT_ALREADY_USED', 'ERROR');
          redeemed.push({ receipt: r, ipAddress: device?.ipAddress });
          return { tokenUniqueReference: tur(redeemed.length), lastFour: '4444', token: TOKEN };
        },
      },
    });
  });
  afterAll(async () => database.close());

  const signed = async (claims: Record<string, unknown>, by = mdes) =>
    `/push?pushAccountData=${await by.sign(claims)}`;
  const clear = (receipts: string[], callbackURL = CALLBACK) =>
    pushUrl('/push', { pushAccountReceipts: receipts, callbackURL, accountHolderDataSupplied: false });
  const cookiesOf = (res: { cookies: { name: string; value: string }[] }) =>
    Object.fromEntries(res.cookies.map((c) => [c.name, c.value]));

  /** Lands on the push link, then posts its first (save) or second (cancel) form. */
  const visit = async (url: string, form: 0 | 1 = 0) => {
    const landing = await app.inject({ url });
    const cookies = cookiesOf(landing);
    const forms = [...landing.body.matchAll(/<form method="post" action="([^"]+)">(.*?)<\/form>/gs)];
    const fields = new URLSearchParams();
    for (const m of (forms[form]?.[2] ?? '').matchAll(/name="([^"]+)" value="([^"]*)"/g))
      fields.append(m[1] ?? '', (m[2] ?? '').replace(/&amp;/g, '&'));
    const post = () =>
      app.inject({
        method: 'POST',
        url: forms[form]?.[1] ?? '/push',
        payload: fields.toString(),
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        cookies,
      });
    return { landing, cookies, fields, post };
  };
  const resultOf = async (
    posted: { statusCode: number; headers: Record<string, unknown> },
    cookies: Record<string, string>,
  ) => {
    expect(posted.statusCode).toBe(303);
    return app.inject({ url: String(posted.headers.location), cookies });
  };
  const returnLink = (body: string) =>
    decodeURIComponent((/href="([^"]+\/callback\?[^"]*)"/.exec(body)?.[1] ?? '').replace(/&amp;/g, '&'));

  it('takes the signed form: verifies the JWS with the downloaded key, saves the card, and returns APPROVED|token (MDESRQ p. 41, 51)', async () => {
    const r = receipt(1);
    const v = await visit(
      await signed({
        pushAccountReceipts: [r],
        callbackURL: CALLBACK,
        completeWebsiteActivation: false,
        accountHolderDataSupplied: true,
        locale: 'en_US',
      }),
    );
    expect(v.landing.statusCode).toBe(200);
    expect(v.landing.body).toContain('Save your card at Demo Shop');
    const result = await resultOf(await v.post(), v.cookies);
    expect(result.body).toContain('ending in 4444');
    // The issuer's own query is kept; the result follows it with &.
    expect(returnLink(result.body)).toBe(`${CALLBACK}&results[${r}]=APPROVED|${tur(1)}`);
    expect(redeemed.at(-1)).toEqual({ receipt: r, ipAddress: '127.0.0.1' });
    const home = await app.inject({ url: '/', cookies: { shopper: v.cookies.shopper ?? '' } });
    expect(home.body).toContain('Mastercard ending in 4444 — active');
  });

  it('takes the unsigned form: comma-separated receipts and the URL-encoded callback, one result per receipt', async () => {
    const v = await visit(clear([receipt(2), receipt(98)]));
    expect(v.landing.statusCode).toBe(200);
    const result = await resultOf(await v.post(), v.cookies);
    const back = returnLink(result.body);
    expect(back.startsWith(`${CALLBACK}&`)).toBe(true);
    expect(back).toContain(`results[${receipt(2)}]=APPROVED|${tur(2)}`);
    expect(back).toContain(`results[${receipt(98)}]=DECLINED`);
    expect(result.body).toContain('Card could not be added. Contact your bank.');
  });

  it('posts then redirects: a resubmission or Back shows the result again and redeems nothing twice', async () => {
    const url = clear([receipt(3)]);
    const v = await visit(url);
    await resultOf(await v.post(), v.cookies);
    const before = redeemed.length;
    const again = await resultOf(await v.post(), v.cookies);
    expect(again.body).toContain('ending in 4444');
    const back = await app.inject({ url, cookies: v.cookies });
    expect(back.statusCode).toBe(303);
    expect(back.headers.location).toBe(`/push/result?receipts=${receipt(3)}`);
    expect(redeemed.length).toBe(before);
  });

  it('says the card was already saved when MDES finds the link used (another browser, an old tab)', async () => {
    const v = await visit(clear([receipt(97)]));
    const result = await resultOf(await v.post(), v.cookies);
    expect(result.body).toContain('This card has already been saved from this link.');
    expect(result.body).not.toContain('Contact your bank');
    expect(returnLink(result.body)).toBe(`${CALLBACK}&results[${receipt(97)}]=ERROR`);
  });

  it('answers an expired receipt with a clear page and ERROR for the bank', async () => {
    const v = await visit(clear([receipt(99)]));
    const result = await resultOf(await v.post(), v.cookies);
    expect(result.body).toContain('The link from your bank has expired');
    expect(returnLink(result.body)).toBe(`${CALLBACK}&results[${receipt(99)}]=ERROR`);
  });

  it('sends the cardholder straight back with CANCELLED when they choose not to save', async () => {
    const v = await visit(clear([receipt(4)]), 1);
    const posted = await v.post();
    expect(posted.statusCode).toBe(303);
    expect(decodeURIComponent(String(posted.headers.location))).toBe(
      `${CALLBACK}&results[${receipt(4)}]=CANCELLED`,
    );
    expect(redeemed.map((x) => x.receipt)).not.toContain(receipt(4));
  });

  it.each([
    [
      'a signature by another key under the same kid',
      async () => signed({ pushAccountReceipts: [receipt(5)], callbackURL: CALLBACK }, attacker),
    ],
    [
      'a signed payload altered after signing',
      async () => {
        const jws = (await mdes.sign({ pushAccountReceipts: [receipt(5)], callbackURL: CALLBACK })).split(
          '.',
        );
        const altered = Buffer.from(
          JSON.stringify({ pushAccountReceipts: [receipt(5)], callbackURL: 'https://evil.test/' }),
        ).toString('base64url');
        return `/push?pushAccountData=${jws[0]}.${altered}.${jws[2]}`;
      },
    ],
    ['signed claims that name no receipt', async () => signed({ callbackURL: CALLBACK })],
    ['a callback that is a script', async () => clear([receipt(5)], 'javascript:alert(1)')],
    ['no receipt', async () => '/push?callbackURL=https%3A%2F%2Fbank.test%2F'],
    ['a receipt of no known product', async () => clear(['ABC-1234'])],
  ])('refuses a push link with %s with HTTP 400, offering no way back through it', async (_name, url) => {
    const before = redeemed.length;
    const res = await app.inject({ url: await url() });
    expect(res.statusCode).toBe(400);
    expect(res.body).not.toContain('evil.test');
    expect(res.body).not.toContain('<form');
    expect(redeemed.length).toBe(before);
  });

  it('refuses a confirmation without its CSRF token', async () => {
    const v = await visit(clear([receipt(6)]));
    const forged = await app.inject({
      method: 'POST',
      url: '/push',
      payload: v.fields.toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      cookies: { ...v.cookies, csrf: 'y'.repeat(24) },
    });
    expect(forged.statusCode).toBe(403);
    expect(redeemed.map((x) => x.receipt)).not.toContain(receipt(6));
  });
});

describe("demo merchant hearing MDES's Notify Token Updated", () => {
  const PUBLIC_URL = 'http://merchant.test';
  const mdesKey = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const otherKey = generateKeyPairSync('rsa', { modulusLength: 2048 });
  // The shop's own encryption key, which MDES encrypts the payload to.
  const shopKey = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const toShop = new FieldLevelPayloadEncrypter({ encryptionKey: shopKey.publicKey });
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
      signatures: new PushSignatureKeys(async () => []),
      sealer: sealer(),
      tokens: {
        ...noOtherCalls,
        createToken: async () => ({ tokenUniqueReference: 'unused', lastFour: '0000', token: TOKEN }),
      },
      tokenUpdates: {
        decrypter: new EnvelopeDecrypter([{ privateKey: shopKey.privateKey }]),
        verifier: new OAuthVerifier({
          resolveKey: (key) => (key === MDES_NOTIFICATION_CONSUMER_KEY ? mdesKey.publicKey : undefined),
          nonces: new MemoryNonceStore(),
          clock,
        }),
        publicUrl: PUBLIC_URL,
      },
    });
    await sql`insert into merchant_saved_cards (id, shopper_ref, token_unique_reference, last_four, status)
      values ('msc_1', 'shp_aaaaaaaaaaaaaaaaaaaa', ${tur(1)}, '4444', 'ACTIVE')`.execute(database.db);
  });
  afterAll(async () => database.close());

  const TUR = tur(1);
  /** A Notify Token Updated as the Digital Enablement API writes it: the tokens encrypted to the shop. */
  const ntu = (status: string, statusTimestamp: string, accountPanSuffix = '4444') => ({
    requestId: `ntu-${Math.random().toString(36).slice(2)}`,
    responseHost: 'mdes.pushprov.test',
    encryptedPayload: toShop.encrypt(
      JSON.stringify({
        tokens: [
          {
            tokenUniqueReference: TUR,
            tokenRequestorId: '50182375119',
            status,
            ...(status === 'SUSPENDED' && { suspendedBy: ['ISSUER'] }),
            statusTimestamp,
            tokenInfo: {
              tokenPanSuffix: '9876',
              accountPanPrefix: '555555',
              accountPanSuffix,
              tokenExpiry: '1229',
              dsrpCapable: 'true',
            },
          },
        ],
      }),
    ),
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
    expect(answer.json()).toEqual({ responseHost: 'demo-shop.pushprov', responseId: update.requestId });
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
    // A payload in clear is no Notify Token Updated: the spec's encryptedPayload is required.
    const clear = await send({ responseHost: 'mdes.pushprov.test', requestId: 'y', tokens: [] });
    expect(clear.json()).toMatchObject({ errors: [{ reasonCode: 'INVALID_FIELD_VALUE' }] });
    // Encrypted to another key: one CRYPTOGRAPHY_ERROR, whatever went wrong.
    const wrongKey = new FieldLevelPayloadEncrypter({ encryptionKey: otherKey.publicKey });
    const misdirected = await send({
      ...ntu('DEACTIVATED', '2026-05-01T10:02:30.000Z'),
      encryptedPayload: wrongKey.encrypt('{"tokens":[]}'),
    });
    expect(misdirected.statusCode).toBe(400);
    expect(misdirected.json()).toMatchObject({ errors: [{ reasonCode: 'CRYPTOGRAPHY_ERROR' }] });
    expect(await page()).toContain('ending in 7777 — active');
    expect((await send(ntu('SUSPENDED', '2026-05-01T09:00:00.000Z'))).statusCode).toBe(200);
    expect(await page()).toContain('ending in 7777 — active');
    expect((await send(ntu('DEACTIVATED', '2026-05-01T10:03:00.000Z'))).statusCode).toBe(200);
    expect(await page()).toContain('ending in 4444 — removed');
  });

  it('applies each notification once: a redelivery (same requestId) is answered the same and changes nothing', async () => {
    const removal = ntu('DEACTIVATED', '2026-05-01T11:00:00.000Z', '1111');
    expect((await send(removal)).json()).toMatchObject({ responseId: removal.requestId });
    expect(await page()).toContain('ending in 1111 — removed');
    // Someone changes the card behind MDES's back; the redelivered notice must not undo it.
    await sql`update merchant_saved_cards set last_four = '2222', status = 'ACTIVE', status_updated_at = null where id = 'msc_1'`.execute(
      database.db,
    );
    const again = await send(removal);
    expect(again.statusCode).toBe(200);
    expect(again.json()).toMatchObject({ responseId: removal.requestId });
    expect(await page()).toContain('ending in 2222 — active');
  });
});

describe('the demo shop paying with and removing a saved card', () => {
  const SHOPPER = 'shp_bbbbbbbbbbbbbbbbbbbb';
  let database: Database<unknown>;
  let app: Awaited<ReturnType<typeof createMerchantApp>>;
  const calls: string[] = [];
  let transactNumber = TOKEN.tokenNumber;
  let decision: 'APPROVED' | 'DECLINED' = 'APPROVED';
  let deleteFails = false;

  beforeAll(async () => {
    database = await testDatabase();
    await prepareMerchantStore(database.db);
    app = await createMerchantApp({
      db: database.db,
      logger: createLogger({ level: 'silent' }),
      clock: new ManualClock(),
      signatures: new PushSignatureKeys(async () => []),
      sealer: sealer(),
      tokens: {
        createToken: async () => ({ tokenUniqueReference: tur(7), lastFour: '4444', token: TOKEN }),
        deleteToken: async (reference) => {
          calls.push(`delete ${reference}`);
          if (deleteFails) throw new MdesCallError('MDES_UNAVAILABLE');
          return {
            tokenUniqueReference: reference,
            status: 'DEACTIVATED',
            statusTimestamp: '2026-05-01T12:00:00.000Z',
          };
        },
        transact: async (reference) => {
          calls.push(`transact ${reference}`);
          return {
            accountNumber: transactNumber,
            applicationExpiryDate: '291231',
            de48se43Data: 'AB'.repeat(16),
          };
        },
        authorize: async (payment) => {
          calls.push(`authorize ${payment.accountNumber.slice(-4)}`);
          return decision === 'APPROVED'
            ? { responseId: payment.requestId, decision, accountPanSuffix: '4444' }
            : { responseId: payment.requestId, decision, reasonCode: 'TOKEN_SUSPENDED_BY_ISSUER' };
        },
      },
    });
    // A card saved through the push flow, so its token is sealed as the shop seals it.
    const landing = await app.inject({
      url: pushUrl('/push', { pushAccountReceipts: [receipt(7)], accountHolderDataSupplied: false }),
      cookies: { shopper: SHOPPER },
    });
    const csrf = /name="csrf" value="([^"]+)"/.exec(landing.body)?.[1] ?? '';
    const handover = /name="handover" value="([^"]+)"/.exec(landing.body)?.[1]?.replace(/&amp;/g, '&') ?? '';
    const saved = await app.inject({
      method: 'POST',
      url: '/push',
      payload: new URLSearchParams({ handover, csrf }).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      cookies: { shopper: SHOPPER, csrf },
    });
    expect(saved.statusCode).toBe(303);
  });
  afterAll(async () => database.close());

  /** The home page's form for `action` on the one saved card, posted with its CSRF token. */
  const submit = async (action: 'pay' | 'remove', options: { csrf?: string; shopper?: string } = {}) => {
    const home = await app.inject({ url: '/', cookies: { shopper: SHOPPER } });
    const csrf = home.cookies.find((c) => c.name === 'csrf')?.value ?? '';
    const path = new RegExp(`action="(/cards/msc_[a-z0-9]+/${action})"`).exec(home.body)?.[1] ?? '';
    const posted = await app.inject({
      method: 'POST',
      url: path,
      payload: new URLSearchParams({ csrf: options.csrf ?? csrf }).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      cookies: { shopper: options.shopper ?? SHOPPER, csrf },
    });
    if (posted.statusCode !== 303) return { status: posted.statusCode, page: posted.body };
    const next = await app.inject({ url: String(posted.headers.location), cookies: { shopper: SHOPPER } });
    return { status: next.statusCode, page: next.body };
  };

  it('keeps the token number sealed: no column holds it in clear, hex or base64', async () => {
    const rows = await database.db
      .selectFrom('merchant_saved_cards' as never)
      .selectAll()
      .execute();
    const dump = JSON.stringify(rows, (_k, v: unknown) =>
      v instanceof Uint8Array ? Buffer.from(v).toString('hex') + Buffer.from(v).toString('base64') : v,
    );
    expect(rows).toHaveLength(1);
    for (const form of [
      TOKEN.tokenNumber,
      Buffer.from(TOKEN.tokenNumber).toString('hex'),
      Buffer.from(TOKEN.tokenNumber).toString('base64'),
    ]) {
      expect(dump).not.toContain(form);
    }
  });

  it('pays with the sealed number and the cryptogram, and says why a payment is declined', async () => {
    const paid = await submit('pay');
    expect(paid.page).toContain('You paid €12.50 with the Mastercard ending in 4444');
    expect(calls.splice(0)).toEqual([`transact ${tur(7)}`, 'authorize 0018']);
    decision = 'DECLINED';
    const declined = await submit('pay');
    expect(declined.page).toContain('This card is paused by your bank.');
    decision = 'APPROVED';
    // Transact naming another number than the one the shop holds: nothing is sent to the network.
    transactNumber = '5399990000000026';
    const mismatch = await submit('pay');
    expect(mismatch.page).toContain('data-outcome="failed"');
    expect(mismatch.page).toContain('data-reason="TOKEN_MISMATCH"');
    expect(calls.splice(0).filter((c) => c.startsWith('authorize'))).toEqual(['authorize 0018']);
    transactNumber = TOKEN.tokenNumber;
    const states = await database.db
      .selectFrom('merchant_payments' as never)
      .select(['state' as never, 'reason' as never])
      .orderBy('created_at' as never)
      .execute();
    expect(states).toEqual([
      { state: 'approved', reason: null },
      { state: 'declined', reason: 'TOKEN_SUSPENDED_BY_ISSUER' },
      { state: 'failed', reason: 'TOKEN_MISMATCH' },
    ]);
  });

  it('refuses a form without its CSRF token and another shopper, asking MDES nothing', async () => {
    expect((await submit('pay', { csrf: 'x'.repeat(24) })).status).toBe(403);
    expect((await submit('remove', { shopper: 'shp_cccccccccccccccccccc' })).status).toBe(404);
    expect(calls).toEqual([]);
  });

  it('removes through MDES; when MDES cannot be reached the card stays as it was', async () => {
    deleteFails = true;
    const failed = await submit('remove');
    expect(failed.status).toBe(502);
    expect((await app.inject({ url: '/', cookies: { shopper: SHOPPER } })).body).toContain(
      'ending in 4444 — active',
    );
    deleteFails = false;
    const removed = await submit('remove');
    expect(removed.page).toContain('ending in 4444 — removed');
    expect(removed.page).not.toContain('/pay"');
    expect(calls).toEqual([`delete ${tur(7)}`, `delete ${tur(7)}`]);
  });
});
