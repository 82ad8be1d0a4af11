import { randomBytes } from 'node:crypto';
import type { TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { type Kysely, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DerivedKeySealer } from '../../src/core/derived-key-sealer.js';
import { createLogger } from '../../src/core/logger.js';
import { CUSTOMER_SERVICE_PATHS } from '../../src/mastercard/customer-service/endpoints.js';
import { NETWORK_AUTHORIZATION_PATH } from '../../src/mastercard/digital-enablement/network-authorization.js';
import {
  DIGITAL_ENABLEMENT_PATHS as DE,
  GetTaskStatusResponseSchema,
  GetTokenResponseSchema,
  LifecycleResponseSchema,
  NotifyTokenUpdatedDataSchema,
  NotifyTokenUpdatedRequestSchema,
  SearchTokensResponseSchema,
  TokenDetailDataSchema,
  TransactDataSchema,
  TransactResponseSchema,
} from '../../src/mastercard/digital-enablement/schemas.js';
import { EnvelopeDecrypter } from '../../src/mastercard/encryption/envelope-decrypter.js';
import { MemoryNonceStore } from '../../src/mastercard/oauth/nonce-store.js';
import { OAuthSigner } from '../../src/mastercard/oauth/signer.js';
import { OAuthVerifier } from '../../src/mastercard/oauth/verifier.js';
import { PushSignatureKeys } from '../../src/mastercard/token-connect/push-signature.js';
import type { PushMultipleAccountsResponse } from '../../src/mastercard/token-connect/types.js';
import { createMerchantApp, prepareMerchantStore } from '../../src/merchant/app.js';
import { MdesCallError } from '../../src/merchant/payments.js';
import { MERCHANT_NTU_PATH } from '../../src/merchant/token-updates.js';
import { MDES_NOTIFICATION_CONSUMER_KEY, registerClient } from '../../src/simulator/app.js';
import { NotificationOutbox } from '../../src/simulator/notifications/outbox.js';
import { ISSUER_MESSAGE_TYPES } from '../../src/simulator/notifications/tables.js';
import { DEMO_MERCHANT_TOKEN_REQUESTOR_ID } from '../../src/simulator/token-connect/catalogue.js';
import { TEST_CARDS } from '../../src/simulator/token-connect/test-cards.js';
import { registerTokenManagement } from '../../src/simulator/token-management/register.js';
import { CUSTOMER_SERVICE_PREFIX } from '../../src/simulator/token-management/routes.js';
import type { TokenManagementSchema } from '../../src/simulator/token-management/tables.js';
import { testDatabase } from '../support/database.js';
import { eventually } from '../support/eventually.js';
import {
  account,
  encrypt,
  firstError,
  type Harness,
  KEYS,
  MERCHANT_KEY,
  openForTokenRequestor,
  PATHS,
  pushBody,
  requestId,
  startSimulator,
  tokenizeBody,
} from './token-connect-harness.js';

/**
 * The token requestor's side of the simulated MDES (Digital Enablement API
 * 1.3.3): each operation's request and answer as the spec writes them, the
 * suspender rules, Transact and the network's authorisation, and Notify
 * Token Updated encrypted to the token requestor with bounded retries.
 */

const AUDIT = { UserId: 'A1', UserName: 'Ops', Organization: 'pushprov Bank', Phone: '5555551234' };
const NTU_URL = 'http://merchant.test/mdes/digitization/static/1/0/notifyTokenUpdated';
/** A card in TEST_CARDS.credit's account range (555555555), for a replacement. */
const REPLACEMENT = '5555555551234561';

let h: Harness;
const db = () => h.database.db as Kysely<TokenManagementSchema>;
const mdes = (operation: keyof typeof DE) => `/mdes${DE[operation]}`;

async function newToken(pan: string = TEST_CARDS.credit.pan): Promise<{ reference: string; taskId: string }> {
  const push = await h.call('POST', PATHS.push, pushBody([account(`pa-${requestId()}`, pan)]));
  const receipt =
    (push.json() as PushMultipleAccountsResponse).pushAccountReceipts?.[0]?.pushAccountReceipt ?? '';
  const body = tokenizeBody(receipt);
  const token = await h.call('POST', PATHS.tokenize, body, { as: 'merchant' });
  return {
    reference: (token.json() as { tokenUniqueReference: string }).tokenUniqueReference,
    taskId: String(body.taskId),
  };
}

/** The issuer's own change through Customer Service (suspender I). */
const issuer = (operation: 'suspend' | 'unsuspend' | 'delete', reference: string) => {
  const wrapper = {
    suspend: 'TokenSuspendRequest',
    unsuspend: 'TokenUnsuspendRequest',
    delete: 'TokenDeleteRequest',
  }[operation];
  return h.call('POST', `/mdes${CUSTOMER_SERVICE_PREFIX}${CUSTOMER_SERVICE_PATHS[operation]}`, {
    [wrapper]: { TokenUniqueReference: reference, ReasonCode: 'Z', AuditInfo: AUDIT },
  });
};

const lifecycle = (
  operation: 'suspend' | 'unsuspend' | 'delete',
  references: string[],
  over: Record<string, unknown> = {},
) =>
  h.call(
    'POST',
    mdes(operation),
    {
      requestId: requestId(),
      tokenUniqueReferences: references,
      causedBy: 'TOKEN_REQUESTOR',
      reasonCode: operation === 'unsuspend' ? 'NOT_FRAUD' : 'OTHER',
      ...over,
    },
    { as: 'merchant' },
  );

/** What the issuer is told of a token (Notify Token Updated, STATUS_UPDATE): its status, and who suspended it. */
const issuerEvents = async (reference: string) =>
  (
    await db()
      .selectFrom('mc_notifications')
      .select('body')
      .where('token_unique_reference', '=', reference)
      .where('message_type', '=', ISSUER_MESSAGE_TYPES.notifyTokenUpdated)
      .orderBy('seq')
      .execute()
  ).map((row) => {
    const [token] = (JSON.parse(row.body) as { tokens: { status: string; suspendedBy?: string[] }[] }).tokens;
    return { status: token?.status, ...(token?.suspendedBy && { suspendedBy: token.suspendedBy }) };
  });

beforeAll(async () => {
  h = await startSimulator({ background: false });
  await registerTokenManagement(h.app, { db: h.database.db, clock: h.clock });
  // The issuer takes MDES's notifications (delivery is not driven here: what is written is what is read).
  await sql`update mc_clients set pre_digitization_url = 'https://127.0.0.1:9/issuerServices/1/0'
    where role = 'issuer'`.execute(h.database.db);
});
afterAll(async () => h?.close());

describe('getToken', () => {
  it('answers token_for_getToken with the spec’s types, and the number only when asked, encrypted to the caller', async () => {
    const { reference, taskId: _ } = await newToken();
    const request = { requestId: requestId(), tokenUniqueReference: reference };
    const answer = await h.call('POST', mdes('getToken'), request, { as: 'merchant' });
    expect(answer.statusCode).toBe(200);
    expect(answer.json()).toEqual({
      responseId: request.requestId,
      token: {
        tokenUniqueReference: reference,
        tokenRequestorId: DEMO_MERCHANT_TOKEN_REQUESTOR_ID,
        status: 'ACTIVE',
        statusTimestamp: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/),
        productConfig: expect.objectContaining({ isCoBranded: false, issuerName: expect.any(String) }),
        tokenInfo: {
          tokenPanSuffix: expect.stringMatching(/^\d{4}$/),
          accountPanPrefix: TEST_CARDS.credit.pan.slice(0, 6),
          accountPanSuffix: TEST_CARDS.credit.pan.slice(-4),
          tokenExpiry: expect.stringMatching(/^\d{4}$/),
          accountPanExpiry: '1229',
          dsrpCapable: 'true',
          tokenAssuranceLevel: 1,
          productCategory: 'CREDIT',
        },
      },
    });
    expect(answer.body).not.toContain(TEST_CARDS.credit.pan);

    const withDetail = await h.call(
      'POST',
      mdes('getToken'),
      { ...request, requestId: requestId(), includeTokenDetail: 'true' },
      { as: 'merchant' },
    );
    const { token, tokenDetail } = withDetail.json() as {
      token: { tokenInfo: { tokenPanSuffix: string; tokenExpiry: string } };
      tokenDetail: { tokenUniqueReference: string; encryptedData: string };
    };
    expect(tokenDetail.tokenUniqueReference).toBe(reference);
    const opened = openForTokenRequestor<{ tokenNumber: string; expiryMonth: string; expiryYear: string }>(
      tokenDetail,
    );
    expect(opened.tokenNumber.slice(-4)).toBe(token.tokenInfo.tokenPanSuffix);
    expect(`${opened.expiryMonth}${opened.expiryYear}`).toBe(token.tokenInfo.tokenExpiry);
    expect(withDetail.body).not.toContain(opened.tokenNumber);
  });

  it('refuses another token requestor’s token as unknown, and a boolean where the spec writes a string', async () => {
    const { reference } = await newToken();
    const other = await h.call(
      'POST',
      mdes('getToken'),
      { requestId: requestId(), tokenUniqueReference: reference },
      { as: 'otherMerchant' },
    );
    expect(other.statusCode).toBe(400);
    expect(firstError(other)).toMatchObject({ reasonCode: 'INVALID_TOKEN_UNIQUE_REFERENCE' });
    const typed = await h.call(
      'POST',
      mdes('getToken'),
      { requestId: requestId(), tokenUniqueReference: reference, includeTokenDetail: true },
      { as: 'merchant' },
    );
    expect(firstError(typed)).toMatchObject({ reasonCode: 'INVALID_FIELD_VALUE' });
  });
});

describe('searchTokens and getTaskStatus', () => {
  it('lists the caller’s tokens of one card, by one of its tokens or by the card number encrypted to Mastercard', async () => {
    const first = await newToken(TEST_CARDS.debit.pan);
    const second = await newToken(TEST_CARDS.debit.pan);
    const elsewhere = await newToken(TEST_CARDS.credit2.pan);
    const search = (over: Record<string, unknown>, as: 'merchant' | 'otherMerchant' = 'merchant') =>
      h.call('POST', mdes('searchTokens'), { requestId: requestId(), ...over }, { as });
    const byToken = await search({ fundingAccountInfo: { tokenUniqueReference: first.reference } });
    expect(byToken.statusCode).toBe(200);
    const refs = (r: typeof byToken) =>
      (r.json() as { tokens: { tokenUniqueReference: string }[] }).tokens.map((t) => t.tokenUniqueReference);
    expect(refs(byToken).sort()).toEqual([first.reference, second.reference].sort());
    const byPan = await search({
      fundingAccountInfo: {
        encryptedPayload: encrypt({ cardAccountData: { accountNumber: TEST_CARDS.debit.pan } }),
      },
    });
    expect(refs(byPan).sort()).toEqual([first.reference, second.reference].sort());
    const token = (byPan.json() as { tokens: Record<string, unknown>[] }).tokens[0];
    expect(token).toMatchObject({
      status: 'ACTIVE',
      tokenInfo: { dsrpCapable: 'true', accountPanSuffix: '8210' },
    });
    expect(byPan.body).not.toContain(TEST_CARDS.debit.pan);

    // Deactivated tokens are not returned.
    expect((await lifecycle('delete', [second.reference])).statusCode).toBe(200);
    expect(refs(await search({ fundingAccountInfo: { tokenUniqueReference: first.reference } }))).toEqual([
      first.reference,
    ]);
    expect(refs(await search({}))).toContain(elsewhere.reference);
    expect(refs(await search({}, 'otherMerchant'))).toEqual([]);
    expect(firstError(await search({ tokenRequestorId: '50161234563' }))).toMatchObject({
      reasonCode: 'AUTHORIZATION_FAILED',
    });
  });

  it('tells a tokenize task COMPLETED, a refused one FAILED, and an unknown one apart', async () => {
    const { taskId } = await newToken();
    const status = (id: string, trid = DEMO_MERCHANT_TOKEN_REQUESTOR_ID) =>
      h.call(
        'POST',
        mdes('getTaskStatus'),
        { requestId: requestId(), tokenRequestorId: trid, taskId: id },
        { as: 'merchant' },
      );
    expect((await status(taskId)).json()).toMatchObject({ status: 'COMPLETED' });
    const refused = tokenizeBody('MCC-00000000-0000-0000-0000-000000000000');
    expect((await h.call('POST', PATHS.tokenize, refused, { as: 'merchant' })).statusCode).toBe(400);
    expect((await status(String(refused.taskId))).json()).toMatchObject({ status: 'FAILED' });
    expect(firstError(await status('never-used'))).toMatchObject({ reasonCode: 'INVALID_FIELD_VALUE' });
    expect(firstError(await status(taskId, '50161234563'))).toMatchObject({
      reasonCode: 'AUTHORIZATION_FAILED',
    });
  });
});

describe('suspend, unsuspend and delete by the token requestor', () => {
  it('honours who suspended: the issuer’s suspension stays when the token requestor lifts its own', async () => {
    const { reference } = await newToken();
    expect((await issuer('suspend', reference)).statusCode).toBe(200);
    const suspended = await lifecycle('suspend', [reference]);
    expect(suspended.statusCode).toBe(200);
    expect(suspended.json()).toEqual({
      responseHost: expect.any(String),
      responseId: expect.any(String),
      tokens: [
        {
          tokenUniqueReference: reference,
          status: 'SUSPENDED',
          suspendedBy: ['ISSUER', 'TOKEN_REQUESTOR'],
          statusTimestamp: expect.any(String),
        },
      ],
    });
    const lifted = (await lifecycle('unsuspend', [reference])).json() as {
      tokens: Record<string, unknown>[];
    };
    expect(lifted.tokens[0]).toMatchObject({ status: 'SUSPENDED', suspendedBy: ['ISSUER'] });
    // The token requestor cannot lift the issuer's suspension by asking again, nor as the cardholder.
    await lifecycle('unsuspend', [reference], { causedBy: 'CARDHOLDER', reasonCode: 'OTHER' });
    expect((await lifecycle('unsuspend', [reference])).json()).toMatchObject({
      tokens: [{ status: 'SUSPENDED', suspendedBy: ['ISSUER'] }],
    });
    await issuer('unsuspend', reference);
    const getToken = await h.call(
      'POST',
      mdes('getToken'),
      { requestId: requestId(), tokenUniqueReference: reference },
      { as: 'merchant' },
    );
    expect(getToken.json()).toMatchObject({ token: { status: 'ACTIVE' } });
    expect((getToken.json() as { token: Record<string, unknown> }).token.suspendedBy).toBeUndefined();
    // The issuer hears each change once, with who caused it.
    expect(await issuerEvents(reference)).toEqual([
      { status: 'SUSPENDED', suspendedBy: ['ISSUER'] },
      { status: 'ACTIVE' },
    ]);
  });

  it('announces its own changes to the issuer, deletes for good, and refuses a request all or nothing', async () => {
    const { reference } = await newToken();
    const other = await newToken();
    await lifecycle('suspend', [reference], { causedBy: 'CARDHOLDER' });
    await lifecycle('unsuspend', [reference], { causedBy: 'CARDHOLDER', reasonCode: 'DEVICE_FOUND' });
    // An unknown reference among them: nothing changes.
    const mixed = await lifecycle('delete', [
      other.reference,
      'DWSPMC00000000000000000000000000000000000000000000',
    ]);
    expect(mixed.statusCode).toBe(400);
    expect(firstError(mixed)).toMatchObject({ reasonCode: 'INVALID_TOKEN_UNIQUE_REFERENCE' });
    expect(await issuerEvents(other.reference)).toEqual([]);
    // Eleven is over the spec's ten per request.
    const eleven = await lifecycle(
      'delete',
      Array.from({ length: 11 }, () => reference),
    );
    expect(eleven.statusCode).toBe(400);
    expect(firstError(await lifecycle('suspend', [reference], { causedBy: 'ISSUER' }))).toMatchObject({
      reasonCode: 'INVALID_FIELD_VALUE',
    });

    const deleted = await lifecycle('delete', [reference], { causedBy: 'CARDHOLDER' });
    expect(deleted.json()).toMatchObject({
      tokens: [{ tokenUniqueReference: reference, status: 'DEACTIVATED' }],
    });
    // Deleting again is harmless and announces nothing; suspending a deleted token is refused.
    expect((await lifecycle('delete', [reference])).json()).toMatchObject({
      tokens: [{ status: 'DEACTIVATED' }],
    });
    expect(firstError(await lifecycle('suspend', [reference]))).toMatchObject({
      reasonCode: 'INVALID_TOKEN_STATUS',
    });
    expect(await issuerEvents(reference)).toEqual([
      { status: 'SUSPENDED', suspendedBy: ['CARDHOLDER'] },
      { status: 'ACTIVE' },
      { status: 'DEACTIVATED' },
    ]);
  });
});

describe('Transact and the network’s authorisation', () => {
  const transact = (reference: string) =>
    h.call(
      'POST',
      mdes('transact'),
      {
        requestId: requestId(),
        tokenUniqueReference: reference,
        dsrpType: 'UCAF',
        unpredictableNumber: '0a1b2c3d',
      },
      { as: 'merchant' },
    );
  const authorize = (card: { accountNumber: string; de48se43Data: string }, id = requestId()) =>
    h.call(
      'POST',
      NETWORK_AUTHORIZATION_PATH,
      { requestId: id, amount: '12.50', currency: 'EUR', encryptedPayload: encrypt(card) },
      { as: 'merchant' },
    );
  const pay = async (reference: string) => {
    const answer = await transact(reference);
    expect(answer.statusCode).toBe(200);
    const data = openForTokenRequestor<{ accountNumber: string; de48se43Data: string }>(
      (answer.json() as { encryptedPayload: unknown }).encryptedPayload,
    );
    return (await authorize(data)).json() as Record<string, unknown>;
  };

  it('gives a cryptogram encrypted to the caller, which pays once while the token is active', async () => {
    const { reference } = await newToken();
    const answer = await transact(reference);
    expect(Object.keys(answer.json() as object).sort()).toEqual([
      'encryptedPayload',
      'responseHost',
      'responseId',
    ]);
    const data = openForTokenRequestor<Record<string, string>>(
      (answer.json() as { encryptedPayload: unknown }).encryptedPayload,
    );
    expect(data).toEqual({
      accountNumber: expect.stringMatching(/^5399990\d{9}$/),
      applicationExpiryDate: expect.stringMatching(/^\d{6}$/),
      panSequenceNumber: '00',
      track2Equivalent: expect.stringMatching(/^5399990\d{9}D\d{4}201\d{13}F$/),
      de48se43Data: expect.stringMatching(/^[0-9A-F]{32}$/),
    });
    expect(answer.body).not.toContain(data.accountNumber);
    const card = { accountNumber: data.accountNumber ?? '', de48se43Data: data.de48se43Data ?? '' };
    const id = requestId();
    const approved = (await authorize(card, id)).json();
    expect(approved).toEqual({ responseId: id, decision: 'APPROVED', accountPanSuffix: '4444' });
    // The same request again is the same answer; the cryptogram again, a new request, is declined.
    expect((await authorize(card, id)).json()).toEqual(approved);
    expect((await authorize(card)).json()).toMatchObject({
      decision: 'DECLINED',
      reasonCode: 'INVALID_CRYPTOGRAM',
    });
    // Another number with a valid cryptogram is declined too.
    const fresh = openForTokenRequestor<{ de48se43Data: string }>(
      ((await transact(reference)).json() as { encryptedPayload: unknown }).encryptedPayload,
    );
    expect(
      (await authorize({ accountNumber: '5399990000000000', de48se43Data: fresh.de48se43Data })).json(),
    ).toMatchObject({ decision: 'DECLINED', reasonCode: 'INVALID_ACCOUNT' });
  });

  it('declines a token the bank paused, says who paused it, pays on the new card after a replacement, and refuses a deleted token', async () => {
    const { reference } = await newToken();
    await issuer('suspend', reference);
    expect(await pay(reference)).toMatchObject({
      decision: 'DECLINED',
      reasonCode: 'TOKEN_SUSPENDED_BY_ISSUER',
    });
    await issuer('unsuspend', reference);
    await lifecycle('suspend', [reference]);
    expect(await pay(reference)).toMatchObject({ decision: 'DECLINED', reasonCode: 'TOKEN_SUSPENDED' });
    await lifecycle('unsuspend', [reference]);
    const replaced = await h.call('POST', `/mdes${CUSTOMER_SERVICE_PREFIX}${CUSTOMER_SERVICE_PATHS.update}`, {
      TokenUpdateRequest: { TokenUniqueReference: reference, NewAccountPan: REPLACEMENT, AuditInfo: AUDIT },
    });
    expect(replaced.statusCode).toBe(200);
    expect(await pay(reference)).toMatchObject({
      decision: 'APPROVED',
      accountPanSuffix: REPLACEMENT.slice(-4),
    });
    await lifecycle('delete', [reference]);
    expect(firstError(await transact(reference))).toMatchObject({ reasonCode: 'INVALID_TOKEN_STATUS' });
  });
});

describe('Notify Token Updated to the token requestor', () => {
  const register = (notificationUrl: string | undefined) =>
    registerClient(h.database.db, {
      consumerKey: MERCHANT_KEY,
      role: 'token_requestor',
      tokenRequestorId: DEMO_MERCHANT_TOKEN_REQUESTOR_ID,
      publicKey: KEYS.merchantSigning.publicKey,
      encryptionPublicKey: KEYS.merchantEncryption.publicKey,
      displayName: 'Demo Shop',
      ...(notificationUrl && { notificationUrl }),
    });
  afterAll(async () => register(undefined));

  it('is written encrypted to the token requestor, and retried, the same bytes, a bounded number of times while it fails', async () => {
    await register(NTU_URL);
    const { reference } = await newToken();
    await issuer('suspend', reference);
    const row = await db()
      .selectFrom('mc_notifications')
      .selectAll()
      .where('token_unique_reference', '=', reference)
      .where('message_type', '=', 'NOTIFY_TOKEN_UPDATED')
      .executeTakeFirstOrThrow();
    expect(row.issuer_consumer_key).toBe(MERCHANT_KEY);
    const body = JSON.parse(row.body) as Record<string, unknown>;
    expect(Object.keys(body).sort()).toEqual(['encryptedPayload', 'requestId', 'responseHost']);
    expect(row.body).not.toContain(reference.slice(10));
    const payload = openForTokenRequestor<{ tokens: Record<string, unknown>[] }>(body.encryptedPayload);
    expect(payload.tokens).toEqual([
      expect.objectContaining({
        tokenUniqueReference: reference,
        tokenRequestorId: DEMO_MERCHANT_TOKEN_REQUESTOR_ID,
        status: 'SUSPENDED',
        suspendedBy: ['ISSUER'],
        tokenInfo: expect.objectContaining({ accountPanPrefix: '555555', dsrpCapable: 'true' }),
      }),
    ]);

    // The change's own delivery (right after it committed) found no shop at merchant.test: recorded, kept pending.
    const settledRow = async () =>
      db()
        .selectFrom('mc_notifications')
        .select(['state', 'attempts', 'last_error', 'next_attempt_at'])
        .where('notification_id', '=', row.notification_id)
        .executeTakeFirstOrThrow();
    await eventually(settledRow, (settled) => settled.last_error !== null, { interval: 20 });
    expect(await settledRow()).toMatchObject({ state: 'pending', attempts: 1, last_error: 'NETWORK_ERROR' });

    // A token requestor that is down: the same bytes each time, given up after the third attempt.
    const attempts: { at: number; url: string; body: string }[] = [];
    const outbox = new NotificationOutbox({
      db: h.database.db,
      clock: h.clock,
      sealer: new DerivedKeySealer(randomBytes(32)),
      issuers: { of: async () => undefined },
      signer: new OAuthSigner({
        consumerKey: 'mastercard-mdes',
        signingKey: KEYS.mastercardSigning.privateKey,
        clock: h.clock,
      }),
      fetch: async (url, init) => {
        attempts.push({ at: h.clock.now().getTime(), url: String(url), body: String(init?.body) });
        return new Response('{}', { status: 503 });
      },
      retryBaseMs: 1_000,
      tokenRequestorMaxAttempts: 3,
    });
    const mine = async () => {
      for (let i = 0; i < 10; i++) {
        await outbox.drain();
        h.clock.advance(10_000);
      }
    };
    await mine();
    const toShop = attempts.filter((a) => a.url === NTU_URL);
    expect(toShop).toHaveLength(2);
    expect(toShop.every((a) => a.body === row.body)).toBe(true);
    expect(await settledRow()).toMatchObject({
      state: 'rejected',
      attempts: 3,
      last_error: 'GAVE_UP HTTP_503',
    });
  });

  it('reaches the demo shop, which applies it once: a retry after a lost answer changes nothing', async () => {
    const MERCHANT = 'http://merchant.test';
    await register(`${MERCHANT}${MERCHANT_NTU_PATH}`);
    const shopDb = await testDatabase();
    try {
      await prepareMerchantStore(shopDb.db);
      const unused = async () => {
        throw new MdesCallError('NOT_EXPECTED');
      };
      const shop = await createMerchantApp({
        db: shopDb.db,
        logger: createLogger({ level: 'silent' }),
        clock: h.clock,
        signatures: new PushSignatureKeys(async () => []),
        sealer: new DerivedKeySealer(randomBytes(32)),
        tokens: { createToken: unused, deleteToken: unused, transact: unused, authorize: unused },
        tokenUpdates: {
          verifier: new OAuthVerifier({
            resolveKey: (key) =>
              key === MDES_NOTIFICATION_CONSUMER_KEY ? KEYS.mastercardSigning.publicKey : undefined,
            nonces: new MemoryNonceStore(),
            clock: h.clock,
          }),
          decrypter: new EnvelopeDecrypter([{ privateKey: KEYS.merchantEncryption.privateKey }]),
          publicUrl: MERCHANT,
        },
      });
      const { reference } = await newToken();
      await sql`insert into merchant_saved_cards (id, shopper_ref, token_unique_reference, last_four, status)
        values ('msc_ntu', 'shp_dddddddddddddddddddd', ${reference}, '4444', 'ACTIVE')`.execute(shopDb.db);
      const shopCard = async () =>
        (
          await sql<{
            status: string;
            last_four: string;
          }>`select status, last_four from merchant_saved_cards where id = 'msc_ntu'`.execute(shopDb.db)
        ).rows[0];
      // The first delivery reaches the shop, but its answer is lost; the retry carries the same request.
      const answers: { status: number; body: string }[] = [];
      let lose = true;
      const outbox = new NotificationOutbox({
        db: h.database.db,
        clock: h.clock,
        sealer: new DerivedKeySealer(randomBytes(32)),
        issuers: { of: async () => undefined },
        signer: new OAuthSigner({
          consumerKey: MDES_NOTIFICATION_CONSUMER_KEY,
          signingKey: KEYS.mastercardSigning.privateKey,
          clock: h.clock,
        }),
        fetch: async (url, init) => {
          if (!String(url).startsWith(MERCHANT)) return new Response('{}', { status: 503 });
          const reply = await shop.inject({
            method: 'POST',
            url: new URL(String(url)).pathname,
            payload: String(init?.body),
            headers: Object.fromEntries(new Headers(init?.headers).entries()),
          });
          answers.push({ status: reply.statusCode, body: reply.body });
          if (lose) {
            lose = false;
            throw Object.assign(new Error('the answer was lost'), { name: 'TypeError' });
          }
          return new Response(reply.body, { status: reply.statusCode });
        },
        retryBaseMs: 1_000,
      });
      await issuer('suspend', reference);
      // The change's own delivery (the app's outbox, right after the commit) finds no shop at merchant.test.
      const row = () =>
        db()
          .selectFrom('mc_notifications')
          .select(['state', 'attempts', 'last_error'])
          .where('token_unique_reference', '=', reference)
          .where('message_type', '=', 'NOTIFY_TOKEN_UPDATED')
          .executeTakeFirstOrThrow();
      await eventually(row, (settled) => settled.last_error !== null, { interval: 20 });
      h.clock.advance(60_000);
      await outbox.drain();
      expect(await shopCard()).toEqual({ status: 'SUSPENDED', last_four: '4444' });
      expect(await row()).toMatchObject({ state: 'pending', last_error: 'NETWORK_ERROR' });
      // Meanwhile the card changed at the shop; the redelivered notice must not undo it.
      await sql`update merchant_saved_cards set last_four = '9999' where id = 'msc_ntu'`.execute(shopDb.db);
      h.clock.advance(60_000);
      await outbox.drain();
      expect(answers).toHaveLength(2);
      expect(answers.every((a) => a.status === 200)).toBe(true);
      expect(answers[0]?.body).toBe(answers[1]?.body);
      expect(JSON.parse(answers[0]?.body ?? '{}')).toMatchObject({
        responseHost: expect.any(String),
        responseId: expect.any(String),
      });
      expect(await shopCard()).toEqual({ status: 'SUSPENDED', last_four: '9999' });
      expect(await row()).toMatchObject({ state: 'delivered', attempts: 3 });
      await shop.close();
    } finally {
      await shopDb.close();
    }
  });
});

describe('the wire toward a token requestor', () => {
  it('carries no card number, token number or cardholder data in clear, hex or base64', async () => {
    await registerClient(h.database.db, {
      consumerKey: MERCHANT_KEY,
      role: 'token_requestor',
      tokenRequestorId: DEMO_MERCHANT_TOKEN_REQUESTOR_ID,
      publicKey: KEYS.merchantSigning.publicKey,
      encryptionPublicKey: KEYS.merchantEncryption.publicKey,
      displayName: 'Demo Shop',
      notificationUrl: NTU_URL,
    });
    const sent: string[] = [];
    /** Each answer must also be the spec's shape (the project's schemas, written from Digital Enablement 1.3.3). */
    const asShop = async (path: string, body: Record<string, unknown>, shape?: TSchema) => {
      const answer = await h.call('POST', path, body, { as: 'merchant' });
      expect(answer.statusCode, path).toBe(200);
      sent.push(answer.body);
      const json = answer.json() as Record<string, unknown>;
      if (shape)
        expect(
          [...Value.Errors(shape, json)].map((e) => `${e.path} ${e.message}`),
          path,
        ).toEqual([]);
      return json;
    };
    const shaped = (shape: TSchema, value: unknown) =>
      expect([...Value.Errors(shape, value)].map((e) => `${e.path} ${e.message}`)).toEqual([]);
    const holder = { accountHolderName: 'DOE/JANE', accountHolderEmailAddress: 'jane.doe@example.com' };
    const push = await h.call(
      'POST',
      PATHS.push,
      pushBody([account('pa-wire', TEST_CARDS.credit.pan, { accountHolderData: holder })], {
        signatureData: { accountHolderDataSupplied: true },
      }),
    );
    const receipt =
      (push.json() as PushMultipleAccountsResponse).pushAccountReceipts?.[0]?.pushAccountReceipt ?? '';
    const tokenizeRequest = tokenizeBody(receipt);
    const token = await asShop(PATHS.tokenize, tokenizeRequest);
    const reference = String(token.tokenUniqueReference);
    const detail = openForTokenRequestor<{ tokenNumber: string; accountHolderData: Record<string, string> }>(
      token.tokenDetail,
    );
    // What the shop was meant to receive arrived, inside the ciphertext.
    expect(detail.accountHolderData).toEqual(holder);
    shaped(TokenDetailDataSchema, detail);
    const got = await asShop(
      mdes('getToken'),
      { requestId: requestId(), tokenUniqueReference: reference, includeTokenDetail: 'true' },
      GetTokenResponseSchema,
    );
    shaped(TokenDetailDataSchema, openForTokenRequestor(got.tokenDetail));
    await asShop(mdes('searchTokens'), { requestId: requestId() }, SearchTokensResponseSchema);
    await asShop(
      mdes('getTaskStatus'),
      {
        requestId: requestId(),
        tokenRequestorId: DEMO_MERCHANT_TOKEN_REQUESTOR_ID,
        taskId: String(tokenizeRequest.taskId),
      },
      GetTaskStatusResponseSchema,
    );
    const transact = await asShop(
      mdes('transact'),
      { requestId: requestId(), tokenUniqueReference: reference, dsrpType: 'UCAF' },
      TransactResponseSchema,
    );
    const card = openForTokenRequestor<{ accountNumber: string; de48se43Data: string }>(
      transact.encryptedPayload,
    );
    shaped(TransactDataSchema, card);
    await asShop(NETWORK_AUTHORIZATION_PATH, {
      requestId: requestId(),
      amount: '1.00',
      currency: 'EUR',
      encryptedPayload: encrypt({ accountNumber: card.accountNumber, de48se43Data: card.de48se43Data }),
    });
    await issuer('suspend', reference);
    await asShop(
      mdes('suspend'),
      {
        requestId: requestId(),
        tokenUniqueReferences: [reference],
        causedBy: 'CARDHOLDER',
        reasonCode: 'OTHER',
      },
      LifecycleResponseSchema,
    );
    const update = await h.call('POST', `/mdes${CUSTOMER_SERVICE_PREFIX}${CUSTOMER_SERVICE_PATHS.update}`, {
      TokenUpdateRequest: { TokenUniqueReference: reference, NewAccountPan: REPLACEMENT, AuditInfo: AUDIT },
    });
    expect(update.statusCode).toBe(200);
    // Notify Token Updated, as every attempt would send it.
    const notices = await db()
      .selectFrom('mc_notifications')
      .select('body')
      .where('token_unique_reference', '=', reference)
      .where('message_type', '=', 'NOTIFY_TOKEN_UPDATED')
      .execute();
    expect(notices.length).toBeGreaterThanOrEqual(2);
    sent.push(...notices.map((n) => n.body));
    for (const notice of notices) {
      const request = JSON.parse(notice.body) as { encryptedPayload: unknown };
      shaped(NotifyTokenUpdatedRequestSchema, request);
      shaped(NotifyTokenUpdatedDataSchema, openForTokenRequestor(request.encryptedPayload));
    }

    const secrets = [
      TEST_CARDS.credit.pan,
      REPLACEMENT,
      detail.tokenNumber,
      holder.accountHolderName,
      holder.accountHolderEmailAddress,
      'Jane',
      'jane.doe',
    ];
    const wire = sent.join('\n');
    for (const secret of secrets) {
      for (const form of [
        secret,
        Buffer.from(secret).toString('hex'),
        Buffer.from(secret).toString('base64'),
      ]) {
        expect(wire.includes(form), `a token requestor was sent ${secret} as ${form}`).toBe(false);
        expect(wire.toLowerCase().includes(form.toLowerCase()), `${secret}, any case`).toBe(false);
      }
    }
  });
});
