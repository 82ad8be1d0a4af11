import { generateKeyPairSync } from 'node:crypto';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import type { Database } from '../../src/core/db.js';
import { createLogger } from '../../src/core/logger.js';
import type { CardholderProfile } from '../../src/domain/account-holder.js';
import { createIssuerApp } from '../../src/http/app.js';
import { MDES_AUTHORIZATIONS_PATH, MDES_NOTIFICATIONS_PATH, mdesRoutes } from '../../src/http/routes/mdes.js';
import { OAuthSigner } from '../../src/mastercard/oauth/signer.js';
import type { PushMultipleAccountsInput } from '../../src/mastercard/token-connect/client.js';
import type { TokenRequestor } from '../../src/mastercard/token-connect/types.js';
import { TokenizationDecisions, type UnmatchedPolicy } from '../../src/service/mdes/decisioning.js';
import { MdesNotificationService } from '../../src/service/mdes/notifications.js';
import { mdesNotificationVerifier } from '../../src/service/mdes/verifier.js';
import { ProvisioningService } from '../../src/service/provisioning.js';
import { TokenRequestorDirectory } from '../../src/service/token-requestors.js';
import { AuditLog } from '../../src/store/audit.js';
import { IdempotencyStore } from '../../src/store/idempotency.js';
import { MdesNotificationLog } from '../../src/store/mdes/notifications.js';
import { ProvisioningRepository } from '../../src/store/provisionings.js';
import { type IssuerDb, prepareIssuerStore } from '../../src/store/store.js';
import { oneCardSource } from '../support/card-source.js';
import { testDatabase } from '../support/database.js';
import { testSealer } from '../support/sealer.js';

const C2P = '50123197928';
const SHOP = '50182375119';
const RANGE = '555555555';
const MDES = 'mastercard-mdes';
const URL_SIGNED = `http://localhost${MDES_NOTIFICATIONS_PATH}`;
const AUTHORIZATIONS = `http://localhost${MDES_AUTHORIZATIONS_PATH}`;

const rsa = () => generateKeyPairSync('rsa', { modulusLength: 2048 });
const mastercard = rsa();
const impostor = rsa();

const tokenRequestors: TokenRequestor[] = [C2P, SHOP].map((tokenRequestorId) => ({
  tokenRequestorId,
  name: tokenRequestorId === C2P ? 'Mastercard' : 'Demo Shop Ltd',
  consumerFacingEntityName: tokenRequestorId === C2P ? 'Click to Pay' : 'Demo Shop',
  tokenRequestorType: tokenRequestorId === C2P ? 'WALLET' : 'MERCHANT',
  enabledAccountRanges: [RANGE.padEnd(19, '0')],
  supportsMultiplePushedCards: false,
  supportedAccountHolderData: ['EMAIL_ADDRESS'],
  availablePushMethods: [{ type: 'WEB', uri: 'http://merchant.test/push' }],
}));
const profile: CardholderProfile = {
  name: 'Alice Liddell',
  email: 'alice@example.com',
  phone: '+447700900123',
  billingAddress: { line1: '1 Rabbit Hole', city: 'Oxford', postalCode: 'OX1 1AA', country: 'GB' },
  locale: 'en-GB',
};

let database: Database<unknown>;
let db: IssuerDb;
let app: FastifyInstance;
let provisioning: ProvisioningService;
let audit: AuditLog;
const clock = new ManualClock(new Date('2026-11-25T10:00:00Z'));
const pushed: PushMultipleAccountsInput[] = [];
/** What happens at Mastercard while the issuer waits for the push's answer. */
let duringPush: ((input: PushMultipleAccountsInput) => Promise<void>) | undefined;

const signerAs = (consumerKey: string, key = mastercard.privateKey) =>
  new OAuthSigner({ consumerKey, signingKey: key, clock });
const mdes = signerAs(MDES);

/** Alice's one card, as the issuer's card store has it. */
const cards = oneCardSource({
  cardholderId: 'chd_alice',
  cardId: 'crd_gb',
  pan: '5555555555554444',
  profile,
});

async function issuerApp(
  publicUrl?: string,
  unmatched: UnmatchedPolicy = 'decline',
): Promise<FastifyInstance> {
  const issuer = await createIssuerApp({
    db: database.db,
    logger: createLogger({ level: 'silent' }),
    clock,
    publicUrl: 'https://bank.test',
  });
  await issuer.register(
    mdesRoutes({
      decisions: new TokenizationDecisions({
        log: new MdesNotificationLog(db),
        pushes: new ProvisioningRepository(db, testSealer()),
        cards,
        audit,
        clock,
        unmatched,
        issuerAppUrl: 'https://bank.test/app',
      }),
      notifications: new MdesNotificationService({
        log: new MdesNotificationLog(db),
        tokens: provisioning,
        clock,
      }),
      verifier: mdesNotificationVerifier({ db: database.db, clock, keys: { [MDES]: mastercard.publicKey } }),
      ...(publicUrl === undefined ? {} : { publicUrl }),
    }),
  );
  return issuer;
}

beforeAll(async () => {
  database = await testDatabase();
  db = await prepareIssuerStore(database.db);
  audit = new AuditLog(db, clock);
  provisioning = new ProvisioningService({
    repository: new ProvisioningRepository(db, testSealer()),
    audit,
    idempotency: new IdempotencyStore(db, clock),
    cards,
    directory: new TokenRequestorDirectory({
      client: {
        getEligibleTokenRequestors: async () => ({ responseId: 'r', tokenRequestors }),
        getAsset: async () => ({ mediaContents: [] }),
      },
      accountRanges: [RANGE],
      clickToPayTokenRequestorId: C2P,
      clock,
    }),
    client: {
      pushMultipleAccounts: async (input) => {
        pushed.push(input);
        await duringPush?.(input);
        return {
          responseId: input.requestId ?? 'r',
          pushAccountReceipts: input.accounts.map((a) => ({
            pushAccountId: a.pushAccountId,
            pushAccountReceipt: `MCC-${a.pushAccountId}`,
          })),
        };
      },
    },
    clock,
    issuerUrl: 'https://bank.test',
    accountRanges: [RANGE],
  });
  app = await issuerApp();
});
afterAll(async () => {
  await app.close();
  await database.close();
});

let keys = 0;
/** A push of Alice's card to a token requestor; resolves the provisioning id and the pushAccountId MDES will name. */
async function pushTo(tokenRequestorId: string) {
  const { view } = await provisioning.push({
    cardholderId: 'chd_alice',
    cardIds: ['crd_gb'],
    tokenRequestorId,
    consent: true,
    idempotencyKey: `key-${String(++keys).padStart(8, '0')}`,
  });
  return { id: view.id, state: view.state, pushAccountId: pushed.at(-1)!.accounts[0]!.pushAccountId };
}

let notifications = 0;
const tokenizationComplete = (token: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  notificationId: `ntf_test${String(++notifications).padStart(16, '0')}`,
  messageType: 'TOKENIZATION_COMPLETE_NOTIFICATION',
  timestamp: clock.now().toISOString(),
  token: { tokenRequestorId: C2P, tokenPanSuffix: '1234', accountPanSuffix: '4444', ...token },
  ...extra,
});

function send(
  body: unknown,
  options: {
    signer?: OAuthSigner;
    raw?: string;
    authorization?: string;
    to?: FastifyInstance;
    url?: string;
  } = {},
): Promise<LightMyRequestResponse> {
  const url = options.url ?? URL_SIGNED;
  const payload = options.raw ?? JSON.stringify(body);
  const authorization =
    options.authorization ?? (options.signer ?? mdes).authorizationHeader('POST', url, payload);
  return (options.to ?? app).inject({
    method: 'POST',
    url,
    headers: { 'content-type': 'application/json', authorization },
    payload,
  });
}

const tokenCreatedEntries = async (id: string) =>
  (await audit.history([id])).filter((e) => e.action === 'provisioning.token_created');
const recorded = async () =>
  (await sql<{ n: number }>`select count(*) as n from mdes_notifications`.execute(db)).rows[0]!.n;

describe('POST /v1/mdes/notifications', () => {
  it('completes a Click to Pay enrolment on a Tokenization Complete Notification, and records it', async () => {
    const { id, state, pushAccountId } = await pushTo(C2P);
    // Click to Pay is a token requestor like any other: the push waits for the cardholder there.
    expect(state).toBe('receipt_issued');
    const body = tokenizationComplete({ tokenUniqueReference: 'DWSPMC00000000c2p0001', pushAccountId });

    const response = await send(body);
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({
      notificationId: body.notificationId,
      status: 'ACCEPTED',
      duplicate: false,
    });
    const after = await provisioning.view('chd_alice', id);
    expect(after).toMatchObject({ state: 'completed', cards: [{ state: 'completed' }] });
    const card = (await new ProvisioningRepository(db, testSealer()).get(id))!.cards[0]!;
    expect(card.tokenUniqueReference).toBe('DWSPMC00000000c2p0001');
    expect(await tokenCreatedEntries(id)).toHaveLength(1);
    const row = await db
      .selectFrom('mdes_notifications')
      .selectAll()
      .where('notification_id', '=', body.notificationId)
      .executeTakeFirstOrThrow();
    expect(row).toEqual({
      notification_id: body.notificationId,
      message_type: 'TOKENIZATION_COMPLETE_NOTIFICATION',
      token_unique_reference: 'DWSPMC00000000c2p0001',
      token_requestor_id: C2P,
      outcome: 'matched',
      reason_code: null,
      occurred_at: clock.now(),
      received_at: clock.now(),
    });
  });

  it('completes a merchant push the cardholder never came back from', async () => {
    const { id, state, pushAccountId } = await pushTo(SHOP);
    expect(state).toBe('receipt_issued');
    const response = await send(
      tokenizationComplete({
        tokenUniqueReference: 'DWSPMC00000000shop001',
        tokenRequestorId: SHOP,
        pushAccountId,
      }),
    );
    expect(response.statusCode).toBe(200);
    expect((await provisioning.view('chd_alice', id)).state).toBe('completed');
  });

  it('answers a redelivered notificationId with 200 and changes nothing', async () => {
    const { id, pushAccountId } = await pushTo(C2P);
    const body = tokenizationComplete({ tokenUniqueReference: 'DWSPMC00000000c2p0002', pushAccountId });
    expect((await send(body)).json()).toMatchObject({ duplicate: false });
    const before = await provisioning.view('chd_alice', id);
    const count = await recorded();
    clock.advance(60_000);

    // MDES retries with a fresh signature (nonce, timestamp) over the same message.
    const again = await send(body);
    expect(again.statusCode).toBe(200);
    expect(again.json()).toEqual({
      notificationId: body.notificationId,
      status: 'ACCEPTED',
      duplicate: true,
    });
    // Even a different token under the same id is the same message to the issuer.
    const altered = await send({
      ...body,
      token: { ...body.token, tokenUniqueReference: 'DWSPMC00000000other' },
    });
    expect(altered.json()).toMatchObject({ duplicate: true });

    expect(await provisioning.view('chd_alice', id)).toEqual(before);
    expect(await tokenCreatedEntries(id)).toHaveLength(1);
    expect(await recorded()).toBe(count);
  });

  it('acknowledges a token that is not from one of its pushes, recording it as unmatched', async () => {
    const notOurs = tokenizationComplete({
      tokenUniqueReference: 'DWSPMC00000000else01',
      pushAccountId: 'not-ours',
    });
    const elsewhere = tokenizationComplete({ tokenUniqueReference: 'DWSPMC00000000else02' });
    for (const body of [notOurs, elsewhere]) {
      expect((await send(body)).statusCode).toBe(200);
      const row = await db
        .selectFrom('mdes_notifications')
        .select('outcome')
        .where('notification_id', '=', body.notificationId)
        .executeTakeFirstOrThrow();
      expect(row.outcome).toBe('unmatched');
    }
  });

  describe('refuses with 401 what Mastercard did not sign, before reading it', () => {
    const cases: [string, () => Promise<LightMyRequestResponse>, string][] = [
      [
        'no signature',
        () => send(tokenizationComplete({ tokenUniqueReference: 'T1' }), { authorization: '' }),
        'OAUTH_MISSING',
      ],
      [
        'a signature by another key',
        () =>
          send(tokenizationComplete({ tokenUniqueReference: 'T2' }), {
            signer: signerAs(MDES, impostor.privateKey),
          }),
        'OAUTH_BAD_SIGNATURE',
      ],
      [
        'an unknown consumer key',
        () =>
          send(tokenizationComplete({ tokenUniqueReference: 'T3' }), { signer: signerAs('someone-else') }),
        'OAUTH_UNKNOWN_CONSUMER_KEY',
      ],
      [
        'a body changed after signing',
        () => {
          const signed = JSON.stringify(tokenizationComplete({ tokenUniqueReference: 'T4' }));
          const authorization = mdes.authorizationHeader('POST', URL_SIGNED, signed);
          return send(undefined, { raw: signed.replace('T4', 'T5'), authorization });
        },
        'OAUTH_BODY_HASH_MISMATCH',
      ],
      [
        'a malformed body without a signature',
        () => send(undefined, { raw: '{not json', authorization: '' }),
        'OAUTH_MISSING',
      ],
    ];
    for (const [name, request, code] of cases) {
      it(name, async () => {
        const count = await recorded();
        const response = await request();
        expect(response.statusCode).toBe(401);
        expect(response.json()).toMatchObject({ error: { code, requestId: expect.any(String) } });
        expect(await recorded()).toBe(count);
      });
    }
  });

  it('refuses a replayed request (same nonce), also after a restart', async () => {
    const payload = JSON.stringify(tokenizationComplete({ tokenUniqueReference: 'DWSPMC00000000replay' }));
    const authorization = mdes.authorizationHeader('POST', URL_SIGNED, payload);
    expect((await send(undefined, { raw: payload, authorization })).statusCode).toBe(200);
    const replay = await send(undefined, { raw: payload, authorization });
    expect(replay.statusCode).toBe(401);
    expect(replay.json()).toMatchObject({ error: { code: 'OAUTH_NONCE_REPLAYED' } });

    const restarted = await issuerApp();
    try {
      const again = await send(undefined, { raw: payload, authorization, to: restarted });
      expect(again.json()).toMatchObject({ error: { code: 'OAUTH_NONCE_REPLAYED' } });
    } finally {
      await restarted.close();
    }
  });

  describe('refuses with 400 a signed body that is not a notification it knows', () => {
    const valid = () => tokenizationComplete({ tokenUniqueReference: 'DWSPMC00000000bad001' });
    const cases: [string, () => string, string][] = [
      ['not JSON', () => '{"notificationId": ', 'MDES_NOTIFICATION_INVALID'],
      ['no token', () => JSON.stringify({ ...valid(), token: undefined }), 'MDES_NOTIFICATION_INVALID'],
      [
        'a whole card number where last four digits belong',
        () =>
          JSON.stringify({ ...valid(), token: { ...valid().token, accountPanSuffix: '5555555555554444' } }),
        'MDES_NOTIFICATION_INVALID',
      ],
      [
        'a timestamp that is not ISO 8601 UTC',
        () => JSON.stringify({ ...valid(), timestamp: 'yesterday' }),
        'MDES_NOTIFICATION_INVALID',
      ],
      [
        'an unknown message type',
        () => JSON.stringify({ ...valid(), messageType: 'SOMETHING_NEW' }),
        'MDES_NOTIFICATION_UNSUPPORTED',
      ],
      // Signed or not, a number or a boolean is not the text the message defines (no coercion).
      [
        'a number for the token requestor id',
        () => JSON.stringify({ ...valid(), token: { ...valid().token, tokenRequestorId: Number(C2P) } }),
        'MDES_NOTIFICATION_INVALID',
      ],
      [
        'a number for last four digits',
        () => JSON.stringify({ ...valid(), token: { ...valid().token, accountPanSuffix: 4444 } }),
        'MDES_NOTIFICATION_INVALID',
      ],
      [
        'a boolean for the notification id',
        () => JSON.stringify({ ...valid(), notificationId: true }),
        'MDES_NOTIFICATION_INVALID',
      ],
    ];
    for (const [name, body, code] of cases) {
      it(name, async () => {
        const count = await recorded();
        const response = await send(undefined, { raw: body() });
        expect(response.statusCode).toBe(400);
        expect(response.json()).toMatchObject({ error: { code } });
        // The refusal names the place, never the value.
        expect(response.body).not.toContain('5555555555554444');
        expect(await recorded()).toBe(count);
      });
    }
  });

  it('checks the signature against its public URL when one is given (behind a proxy)', async () => {
    const proxied = await issuerApp('https://bank.test/');
    try {
      const payload = JSON.stringify(tokenizationComplete({ tokenUniqueReference: 'DWSPMC00000000proxy1' }));
      const asPublished = mdes.authorizationHeader(
        'POST',
        `https://bank.test${MDES_NOTIFICATIONS_PATH}`,
        payload,
      );
      expect(
        (await send(undefined, { raw: payload, authorization: asPublished, to: proxied })).statusCode,
      ).toBe(200);
      const asReceived = await send(tokenizationComplete({ tokenUniqueReference: 'DWSPMC00000000proxy2' }), {
        to: proxied,
      });
      expect(asReceived.json()).toMatchObject({ error: { code: 'OAUTH_BAD_SIGNATURE' } });
    } finally {
      await proxied.close();
    }
  });

  it('refuses a message id MDES already used for another kind of message with 409, changing nothing', async () => {
    const { pushAccountId } = await pushTo(SHOP);
    const asked = authorizationRequest({ pushAccountId }, { pushAccountReceipt: `MCC-${pushAccountId}` });
    expect((await authorize(asked)).statusCode).toBe(200);
    const count = await recorded();
    const reused = await send(
      tokenizationComplete(
        { tokenUniqueReference: asked.token.tokenUniqueReference, tokenRequestorId: SHOP },
        { notificationId: asked.notificationId },
      ),
    );
    expect(reused.statusCode).toBe(409);
    expect(reused.json()).toMatchObject({ error: { code: 'MDES_MESSAGE_ID_REUSED' } });
    expect(await recorded()).toBe(count);
    // And the other way round.
    const told = tokenizationComplete({ tokenUniqueReference: 'DWSPMC00000000reused01' });
    expect((await send(told)).statusCode).toBe(200);
    const reusedAsk = await authorize({
      ...authorizationRequest({ pushAccountId }),
      notificationId: told.notificationId,
    });
    expect([reusedAsk.statusCode, reusedAsk.json().error?.code]).toEqual([409, 'MDES_MESSAGE_ID_REUSED']);
  });

  it('is documented in the OpenAPI description', async () => {
    const spec = (await app.inject({ method: 'GET', url: '/docs/json' })).json() as {
      paths: Record<string, { post?: { requestBody?: unknown; responses?: Record<string, unknown> } }>;
    };
    const route = spec.paths[MDES_NOTIFICATIONS_PATH]?.post;
    expect(route?.requestBody).toBeDefined();
    expect(Object.keys(route?.responses ?? {})).toEqual(expect.arrayContaining(['200', '400', '401']));
  });
});

let authorizations = 0;
/** MDES asking before it creates a token for Alice's card. */
const authorizationRequest = (
  token: Record<string, unknown>,
  request: Record<string, unknown> = {},
): Record<string, unknown> & {
  notificationId: string;
  token: Record<string, unknown> & { tokenUniqueReference: string };
} => ({
  notificationId: `tar_test${String(++authorizations).padStart(16, '0')}`,
  messageType: 'TOKENIZATION_AUTHORIZATION_REQUEST',
  timestamp: clock.now().toISOString(),
  token: {
    tokenUniqueReference: `DWSPMC00000000auth${String(authorizations).padStart(4, '0')}`,
    tokenRequestorId: SHOP,
    tokenPanSuffix: '9876',
    accountPanSuffix: '4444',
    ...token,
  },
  authorizationRequest: { tokenType: 'CLOUD', source: 'ACCOUNT_PUSHED', accountExpiry: '1229', ...request },
});
const authorize = (body: unknown, options: Parameters<typeof send>[1] = {}) =>
  send(body, { url: AUTHORIZATIONS, ...options });
const decisionsOf = async (subject: string) =>
  (await audit.history([subject])).filter((e) => e.action === 'tokenization.decided');

describe('POST /v1/mdes/tokenization-authorizations', () => {
  it('approves a tokenization of its own push, with no further authentication, audited once however often MDES asks', async () => {
    const { id, pushAccountId } = await pushTo(SHOP);
    const body = authorizationRequest({ pushAccountId }, { pushAccountReceipt: `MCC-${pushAccountId}` });
    const response = await authorize(body);
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({
      notificationId: body.notificationId,
      decision: 'APPROVED',
      reasonCode: 'ISSUER_PUSH',
    });
    const [entry, ...more] = await decisionsOf(id);
    expect(more).toEqual([]);
    expect(entry).toMatchObject({
      actor: 'mdes',
      outcome: 'APPROVED',
      details: {
        reasonCode: 'ISSUER_PUSH',
        tokenRequestorId: SHOP,
        cardId: 'crd_gb',
        source: 'ACCOUNT_PUSHED',
      },
    });
    // MDES asking again (a retry after a lost answer) hears the same, and nothing is written.
    const count = await recorded();
    clock.advance(1_000);
    expect((await authorize(body)).json()).toEqual(response.json());
    expect(await decisionsOf(id)).toHaveLength(1);
    expect(await recorded()).toBe(count);
    // Click to Pay's enrolment asks the same way.
    const c2p = await pushTo(C2P);
    const enrolment = await authorize(
      authorizationRequest({ tokenRequestorId: C2P, pushAccountId: c2p.pushAccountId }),
    );
    expect(enrolment.json()).toMatchObject({ decision: 'APPROVED' });
  });

  it('approves a receipt redeemed before the issuer has recorded the push’s answer (a crash, then reconciliation)', async () => {
    let answer: unknown;
    duringPush = async (input) => {
      const pushAccountId = input.accounts[0]!.pushAccountId;
      answer = (await authorize(authorizationRequest({ tokenRequestorId: C2P, pushAccountId }))).json();
    };
    try {
      const { state } = await pushTo(C2P);
      expect(state).toBe('receipt_issued');
    } finally {
      duringPush = undefined;
    }
    expect(answer).toMatchObject({ decision: 'APPROVED', reasonCode: 'ISSUER_PUSH' });
  });

  it('declines, by default, what it cannot match to an open push of its own', async () => {
    const { pushAccountId } = await pushTo(SHOP);
    const cases: [string, Record<string, unknown>, Record<string, unknown>][] = [
      ['NOT_PUSHED_BY_ISSUER', {}, { source: 'CARD_ADDED_MANUALLY' }],
      ['PUSH_NOT_FOUND', { pushAccountId: 'not-one-of-ours' }, {}],
      ['PUSH_NOT_FOUND', { pushAccountId, tokenRequestorId: C2P }, {}],
      ['CARD_MISMATCH', { pushAccountId, accountPanSuffix: '1111' }, {}],
    ];
    for (const [reasonCode, token, request] of cases) {
      const body = authorizationRequest(token, request);
      const response = await authorize(body);
      expect(response.json(), reasonCode).toEqual({
        notificationId: body.notificationId,
        decision: 'DECLINED',
        reasonCode,
      });
      const row = await db
        .selectFrom('mdes_notifications')
        .select(['outcome', 'reason_code', 'message_type'])
        .where('notification_id', '=', body.notificationId)
        .executeTakeFirstOrThrow();
      expect(row).toEqual({
        outcome: 'DECLINED',
        reason_code: reasonCode,
        message_type: 'TOKENIZATION_AUTHORIZATION_REQUEST',
      });
    }
    // A push whose token already exists is over: a second tokenization of it is not the cardholder's push.
    const done = await pushTo(SHOP);
    await send(
      tokenizationComplete({
        tokenUniqueReference: 'DWSPMC00000000done01',
        tokenRequestorId: SHOP,
        pushAccountId: done.pushAccountId,
      }),
    );
    const late = await authorize(authorizationRequest({ pushAccountId: done.pushAccountId }));
    expect(late.json()).toMatchObject({ decision: 'DECLINED', reasonCode: 'PUSH_NOT_OPEN' });
    // So is one whose receipts expired.
    const expired = await pushTo(SHOP);
    clock.advance(16 * 60_000);
    expect(
      (await authorize(authorizationRequest({ pushAccountId: expired.pushAccountId }))).json(),
    ).toMatchObject({
      decision: 'DECLINED',
      reasonCode: 'PUSH_NOT_OPEN',
    });
  });

  it('asks for additional authentication in the bank’s app instead, under that policy', async () => {
    const strict = await issuerApp(undefined, 'additional-authentication');
    const body = authorizationRequest({}, { source: 'CARD_ADDED_MANUALLY' });
    const response = await authorize(body, { to: strict });
    expect(response.json()).toEqual({
      notificationId: body.notificationId,
      decision: 'REQUIRE_ADDITIONAL_AUTHENTICATION',
      reasonCode: 'NOT_PUSHED_BY_ISSUER',
      activationMethods: [{ type: 'ISSUER_APP', value: 'https://bank.test/app' }],
    });
    expect(await decisionsOf(body.token.tokenUniqueReference)).toMatchObject([
      { outcome: 'REQUIRE_ADDITIONAL_AUTHENTICATION' },
    ]);
    await strict.close();
  });

  it('refuses what Mastercard did not sign (401) and what is not an authorization request (400), recording nothing', async () => {
    const count = await recorded();
    const body = authorizationRequest({});
    const unsigned = await authorize(body, { signer: signerAs(MDES, impostor.privateKey) });
    expect(unsigned.statusCode).toBe(401);
    expect(unsigned.json().error.code).toBe('OAUTH_BAD_SIGNATURE');
    const notification = await authorize(
      tokenizationComplete({ tokenUniqueReference: 'DWSPMC00000000wrong1' }),
    );
    expect(notification.statusCode).toBe(400);
    expect(notification.json().error.code).toBe('MDES_NOTIFICATION_UNSUPPORTED');
    const malformed = await authorize({
      ...body,
      authorizationRequest: { tokenType: 'CLOUD', source: 'GUESSED' },
    });
    expect(malformed.statusCode).toBe(400);
    expect(malformed.json().error).toMatchObject({ code: 'MDES_NOTIFICATION_INVALID' });
    expect(malformed.json().error.message).toContain('/authorizationRequest/source');
    for (const typed of [
      authorizationRequest({}, { accountExpiry: 1230 }),
      authorizationRequest({ tokenRequestorId: Number(SHOP) }),
    ]) {
      const refused = await authorize(typed);
      expect([refused.statusCode, refused.json().error.code]).toEqual([400, 'MDES_NOTIFICATION_INVALID']);
    }
    // An authorization request is not a notification either.
    expect((await send(authorizationRequest({}))).json().error.code).toBe('MDES_NOTIFICATION_UNSUPPORTED');
    expect(await recorded()).toBe(count);
  });
});
