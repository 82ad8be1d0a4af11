import type { Kysely } from 'kysely';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { CUSTOMER_SERVICE_PATHS } from '../../src/mastercard/customer-service/endpoints.js';
import { certificateFingerprint } from '../../src/mastercard/keys/fingerprint.js';
import type { PushMultipleAccountsResponse } from '../../src/mastercard/token-connect/types.js';
import {
  FaultInjector,
  mastercardEncrypter,
  registerClient,
  simulatorWorkers,
} from '../../src/simulator/app.js';
import type { PreDigitizationSchema } from '../../src/simulator/pre-digitization/tables.js';
import { DEMO_MERCHANT_TOKEN_REQUESTOR_ID } from '../../src/simulator/token-connect/catalogue.js';
import { TEST_CARDS } from '../../src/simulator/token-connect/test-cards.js';
import { registerTokenManagement } from '../../src/simulator/token-management/register.js';
import { CUSTOMER_SERVICE_PREFIX } from '../../src/simulator/token-management/routes.js';
import {
  defaultAnswer,
  type FakeIssuer,
  holdForActivation,
  ISSUER_ENCRYPTION,
  startFakeIssuer,
} from './fake-issuer.js';
import {
  account,
  type Harness,
  ISSUER_KEY,
  KEYS,
  PATHS,
  pushBody,
  requestId,
  SIMULATOR_KEYS,
  startSimulator,
  tokenizeBody,
} from './token-connect-harness.js';

/**
 * The simulated MDES calling an issuer's Pre-Digitization web services over
 * real mutual TLS (a fake issuer with the development PKI): Authorize
 * Service before a token, stand-in when the issuer fails, a token kept
 * INACTIVE after REQUIRE_ADDITIONAL_AUTHENTICATION with its activation
 * methods, an activation code handed over with Deliver Activation Code,
 * Notify Service Activated and Notify Token Updated through the outbox.
 */

const AUDIT = { UserId: 'A1435477', UserName: 'John Smith', Organization: 'Any Bank' };
const cs = (operation: keyof typeof CUSTOMER_SERVICE_PATHS) =>
  `/mdes${CUSTOMER_SERVICE_PREFIX}${CUSTOMER_SERVICE_PATHS[operation]}`;

let h: Harness;
let issuer: FakeIssuer;
const faults = new FaultInjector();
const db = () => h.database.db as Kysely<PreDigitizationSchema>;
const outbox = () => {
  const workers = simulatorWorkers(h.app);
  if (!workers) throw new Error('no workers');
  return workers.notifications;
};
let pushes = 0;

/** Pushes `pan` to the demo merchant and redeems the receipt: the tokenize answer. */
async function pushAndTokenize(pan: string, accountHolderData?: Record<string, unknown>) {
  const push = await h.call(
    'POST',
    PATHS.push,
    pushBody([account(`pa-${++pushes}`, pan, accountHolderData ? { accountHolderData } : {})]),
  );
  const receipt =
    (push.json() as PushMultipleAccountsResponse).pushAccountReceipts?.[0]?.pushAccountReceipt ?? '';
  const answer = await h.call('POST', PATHS.tokenize, tokenizeBody(receipt), { as: 'merchant' });
  return { receipt, answer: answer.json() as Record<string, unknown> };
}

/** A card the shopper typed in at the demo merchant, with the merchant's risk data. */
async function typedIn(pan: string) {
  const answer = await h.call(
    'POST',
    PATHS.tokenize,
    {
      requestId: requestId(),
      tokenType: 'CLOUD',
      tokenRequestorId: DEMO_MERCHANT_TOKEN_REQUESTOR_ID,
      taskId: `task-typed-${++pushes}`,
      fundingAccountInfo: {
        encryptedPayload: mastercardEncrypter(SIMULATOR_KEYS).encrypt(
          JSON.stringify({ cardAccountData: { accountNumber: pan, expiryMonth: '12', expiryYear: '29' } }),
        ),
      },
      decisioningData: {
        recommendation: 'APPROVED',
        deviceScore: '4',
        accountScore: '5',
        deviceIpAddress: '192.0.2.10',
      },
    },
    { as: 'merchant' },
  );
  return answer.json() as Record<string, unknown>;
}

const decisionOf = (tokenUniqueReference: string) =>
  db()
    .selectFrom('mc_tokenization_decisions')
    .selectAll()
    .where('token_unique_reference', '=', tokenUniqueReference)
    .executeTakeFirstOrThrow();
const decisionOfReceipt = (receipt: string) =>
  db()
    .selectFrom('mc_tokenization_decisions')
    .selectAll()
    .where('receipt', '=', receipt)
    .executeTakeFirstOrThrow();
const callsTo = (operation: string) => issuer.received.filter((r) => r.operation === operation);
/**
 * Customer Service starts a delivery as soon as a change commits; this
 * drives the outbox too and waits until `check` holds, so the test reads
 * what both made of it.
 */
const eventually = (check: () => Promise<void>) =>
  vi.waitFor(
    async () => {
      await outbox().drain();
      await check();
    },
    { timeout: 5_000, interval: 50 },
  );

/** A simulator whose issuer takes the Pre-Digitization calls at the fake issuer, MDES presenting its client certificate. */
async function withIssuer(overrides: Parameters<typeof startSimulator>[0] = {}): Promise<Harness> {
  const harness = await startSimulator({
    background: false,
    faults,
    mdesTls: issuer.mdesTls,
    preDigitizationTimeoutMs: 1_000,
    ...overrides,
  });
  await registerTokenManagement(harness.app, { db: harness.database.db, clock: harness.clock });
  await registerClient(harness.database.db, issuerRegistration());
  return harness;
}

const issuerRegistration = () => ({
  consumerKey: ISSUER_KEY,
  role: 'issuer' as const,
  publicKey: KEYS.issuerSigning.publicKey,
  displayName: 'pushprov Bank',
  preDigitizationUrl: issuer.baseUrl,
  encryptionPublicKey: ISSUER_ENCRYPTION.certificate,
});

beforeAll(async () => {
  // The issuer checks payload validity on the simulator's (manual) clock.
  issuer = await startFakeIssuer({ now: () => h.clock.now() });
  h = await withIssuer();
});

afterAll(async () => {
  await h?.close();
  await issuer?.close();
});

beforeEach(async () => {
  // What an earlier test left in the outbox is delivered before this one looks.
  await outbox().drain();
  issuer.answer = defaultAnswer;
  issuer.received.length = 0;
  faults.clear();
});

describe('Authorize Service before every token', () => {
  it('a pushed card: the card and holder encrypted to the issuer’s certificate, the push’s source, no pushAccountId; APPROVED makes an ACTIVE token and Notify Service Activated', async () => {
    const { answer } = await pushAndTokenize(TEST_CARDS.credit.pan, { accountHolderName: 'ADA LOVELACE' });
    expect(answer.decision).toBe('APPROVED');
    const tur = answer.tokenUniqueReference as string;
    const [as] = callsTo('authorizeService');
    expect(as?.clientAuthorized).toBe(true);
    expect(as?.body).toMatchObject({
      services: ['DIGITIZATION'],
      tokenType: 'CLOUD',
      tokenRequestorId: DEMO_MERCHANT_TOKEN_REQUESTOR_ID,
      consumerFacingEntityName: 'Demo Shop',
      activeTokenCount: '0',
      fundingAccountInfo: { tokenUniqueReference: tur, panUniqueReference: answer.panUniqueReference },
    });
    expect(String(as?.body.correlationId).length).toBeLessThanOrEqual(14);
    const raw = JSON.stringify(as?.body);
    expect(raw).not.toContain(TEST_CARDS.credit.pan);
    expect(raw).not.toContain('pushAccountId');
    expect(raw).not.toContain('pa-');
    expect(
      (as?.body.fundingAccountInfo as { encryptedPayload?: { publicKeyFingerprint: string } } | undefined)
        ?.encryptedPayload?.publicKeyFingerprint,
    ).toBe(certificateFingerprint(ISSUER_ENCRYPTION.certificate));
    expect(as?.opened[0]).toMatchObject({
      source: 'ACCOUNT_ADDED_VIA_APPLICATION',
      cardAccountData: { accountNumber: TEST_CARDS.credit.pan, expiryMonth: '12', expiryYear: '29' },
      accountHolderData: { accountHolderName: 'ADA LOVELACE' },
      dataValidUntilTimestamp: new Date(h.clock.now().getTime() + 30 * 60_000).toISOString(),
    });
    expect(await decisionOf(tur)).toMatchObject({
      decision: 'APPROVED',
      decided_by: 'ISSUER',
      source: 'ACCOUNT_ADDED_VIA_APPLICATION',
      correlation_id: as?.body.correlationId,
      activation_methods: null,
    });

    // Notify Service Activated, from the outbox: the token's number only inside the encryption.
    expect(await outbox().drain()).toBe(1);
    const [nsa] = callsTo('notifyServiceActivated');
    expect(nsa?.body).toMatchObject({
      services: ['DIGITIZATION'],
      correlationId: as?.body.correlationId,
      tokenRequestorId: DEMO_MERCHANT_TOKEN_REQUESTOR_ID,
      tokenType: 'CLOUD',
      accountPanSuffix: '4444',
      decision: 'APPROVED',
      decisionMadeBy: 'AUTHORIZATION_REQUEST',
      consumerFacingEntityName: 'Demo Shop',
      tokenActivatedDateTime: h.clock.now().toISOString(),
      serviceRequestDateTime: h.clock.now().toISOString(),
      fundingAccountInfo: { tokenUniqueReference: tur, panUniqueReference: answer.panUniqueReference },
    });
    const token = await db()
      .selectFrom('mc_tokens')
      .selectAll()
      .where('token_unique_reference', '=', tur)
      .executeTakeFirstOrThrow();
    expect(token.status).toBe('ACTIVE');
    expect(nsa?.opened[0]).toMatchObject({
      source: 'ACCOUNT_ADDED_VIA_APPLICATION',
      cardAccountData: { accountNumber: TEST_CARDS.credit.pan },
      tokenData: {
        token: expect.stringMatching(new RegExp(`^5399990\\d{5}${token.token_last_four}$`)),
        expiryMonth: token.token_expiry.slice(0, 2),
      },
    });
    const row = await db()
      .selectFrom('mc_notifications')
      .selectAll()
      .where('token_unique_reference', '=', tur)
      .executeTakeFirstOrThrow();
    expect(row).toMatchObject({ state: 'delivered', message_type: 'NOTIFY_SERVICE_ACTIVATED' });
    expect(JSON.stringify(row)).not.toContain(TEST_CARDS.credit.pan);

    // A second token of the same card: the issuer hears of the first.
    await pushAndTokenize(TEST_CARDS.credit.pan);
    expect(callsTo('authorizeService').at(-1)?.body.activeTokenCount).toBe('1');
  });

  it('the question is on record before the issuer hears it (PENDING), the answer once it is in', async () => {
    const seen: Promise<unknown>[] = [];
    issuer.answer = (operation, body) => {
      if (operation === 'authorizeService') {
        const tur = (body.fundingAccountInfo as { tokenUniqueReference: string }).tokenUniqueReference;
        // Read while the issuer holds the answer: the simulator has already written the question.
        seen.push(
          db()
            .selectFrom('mc_tokenization_decisions')
            .select(['decision', 'decided_by'])
            .where('token_unique_reference', '=', tur)
            .executeTakeFirst(),
        );
      }
      return { ...defaultAnswer(operation, body), delayMs: 200 };
    };
    const { answer } = await pushAndTokenize(TEST_CARDS.credit2.pan);
    expect(await Promise.all(seen)).toEqual([{ decision: 'PENDING', decided_by: null }]);
    expect(await decisionOf(answer.tokenUniqueReference as string)).toMatchObject({
      decision: 'APPROVED',
      decided_by: 'ISSUER',
    });
  });

  it('a card typed in: ACCOUNT_ADDED_MANUALLY, the merchant’s risk data as walletProviderDecisioningInfo; DECLINED makes no token', async () => {
    issuer.answer = (operation, body) =>
      operation === 'authorizeService'
        ? { status: 200, body: { responseId: body.requestId, decision: 'DECLINED' } }
        : defaultAnswer(operation, body);
    const answer = await typedIn(TEST_CARDS.debit.pan);
    expect(answer).toEqual({ responseId: expect.any(String), decision: 'DECLINED' });
    const [as] = callsTo('authorizeService');
    expect(as?.body.walletProviderDecisioningInfo).toEqual({
      recommendedDecision: 'APPROVED',
      deviceScore: '4',
      accountScore: '5',
    });
    expect(as?.opened[0]).toMatchObject({
      source: 'ACCOUNT_ADDED_MANUALLY',
      cardAccountData: { accountNumber: TEST_CARDS.debit.pan },
      accountHolderData: { sourceIp: '192.0.2.10' },
    });
    const tur = String(
      (as?.body.fundingAccountInfo as { tokenUniqueReference?: string } | undefined)?.tokenUniqueReference,
    );
    expect(await decisionOf(tur)).toMatchObject({
      decision: 'DECLINED',
      decided_by: 'ISSUER',
      source: 'ACCOUNT_ADDED_MANUALLY',
    });
    expect(
      await db()
        .selectFrom('mc_tokens')
        .select('status')
        .where('token_unique_reference', '=', tur)
        .executeTakeFirst(),
    ).toBeUndefined();
    expect(await outbox().drain()).toBe(0);
  });
});

describe('stand-in when the issuer does not answer', () => {
  const cases: [string, () => void, string][] = [
    [
      'an injected timeout',
      () => faults.configure({ rules: [{ operation: 'authorizeService', fault: 'timeout' }] }),
      'ISSUER_TIMEOUT',
    ],
    [
      'an issuer slower than the timeout',
      () => {
        issuer.answer = (operation, body) => ({ ...defaultAnswer(operation, body), delayMs: 1_500 });
      },
      'ISSUER_TIMEOUT',
    ],
    [
      'an unreachable issuer (injected)',
      () => faults.configure({ rules: [{ operation: 'authorizeService', fault: 'reset' }] }),
      'ISSUER_NOT_REACHABLE',
    ],
    [
      'an ErrorsResponse',
      () => {
        issuer.answer = (_operation, body) => ({
          status: 400,
          body: {
            responseId: body.requestId,
            errorCode: 'INVALID_FIELD_VALUE',
            errorDescription: 'Invalid Field Value - x',
          },
        });
      },
      'ISSUER_HTTP_400',
    ],
    [
      'an answer to another request',
      () => {
        issuer.answer = () => ({ status: 200, body: { responseId: 'someone-else', decision: 'APPROVED' } });
      },
      'ISSUER_ANSWER_INVALID',
    ],
  ];
  for (const [name, arrange, reason] of cases) {
    it(`${name}: MDES declines for the issuer (the default stand-in), and keeps the receipt unspent`, async () => {
      arrange();
      const { answer, receipt } = await pushAndTokenize(TEST_CARDS.credit2.pan);
      expect(answer.decision).toBe('DECLINED');
      expect(await decisionOfReceipt(receipt)).toMatchObject({
        decided_by: 'STAND_IN',
        decision: 'DECLINED',
        reason_code: reason,
        receipt,
      });
      const spent = await db()
        .selectFrom('mc_receipts')
        .select('redeemed_at')
        .where('receipt', '=', receipt)
        .executeTakeFirstOrThrow();
      expect(spent.redeemed_at).toBeNull();
    });
  }

  it('with stand-in APPROVED, a token is made and its Notify Service Activated says RULES decided', async () => {
    const main = h;
    h = await withIssuer({ authorizationStandIn: 'APPROVED' });
    try {
      faults.configure({ rules: [{ operation: 'authorizeService', fault: 'timeout', times: 1 }] });
      const { answer } = await pushAndTokenize(TEST_CARDS.credit.pan);
      expect(answer.decision).toBe('APPROVED');
      expect(await decisionOf(answer.tokenUniqueReference as string)).toMatchObject({
        decided_by: 'STAND_IN',
        reason_code: 'ISSUER_TIMEOUT',
      });
      expect(callsTo('authorizeService')).toEqual([]);
      expect(await outbox().drain()).toBe(1);
      expect(callsTo('notifyServiceActivated')[0]?.body).toMatchObject({
        decision: 'APPROVED',
        decisionMadeBy: 'RULES',
      });
    } finally {
      await h.close();
      h = main;
    }
  });

  it('an issuer that registered no Pre-Digitization services: MDES approves on its behalf and sends it nothing', async () => {
    await registerClient(h.database.db, {
      consumerKey: ISSUER_KEY,
      role: 'issuer',
      publicKey: KEYS.issuerSigning.publicKey,
      displayName: 'pushprov Bank',
    });
    try {
      const { answer } = await pushAndTokenize(TEST_CARDS.maestro.pan);
      expect(answer.decision).toBe('APPROVED');
      expect(await decisionOf(answer.tokenUniqueReference as string)).toMatchObject({
        decided_by: 'MDES',
        reason_code: 'ON_BEHALF_OF_ISSUER',
      });
      expect(await outbox().drain()).toBe(0);
      expect(issuer.received).toEqual([]);
    } finally {
      await registerClient(h.database.db, {
        consumerKey: ISSUER_KEY,
        role: 'issuer',
        publicKey: KEYS.issuerSigning.publicKey,
        displayName: 'pushprov Bank',
        preDigitizationUrl: issuer.baseUrl,
        encryptionPublicKey: ISSUER_ENCRYPTION.certificate,
      });
    }
  });
});

describe('REQUIRE_ADDITIONAL_AUTHENTICATION: a token kept INACTIVE until activated', () => {
  const SMS = { type: 'TEXT_TO_CARDHOLDER_NUMBER', value: '12X-XXX-XX32' };
  const APP = { type: 'CARDHOLDER_TO_USE_MOBILE_APP', value: 'com.pushprov.bank' };
  const change = (operation: 'activate' | 'suspend', tur: string, reason: string) =>
    h.call('POST', cs(operation), {
      [operation === 'activate' ? 'TokenActivateRequest' : 'TokenSuspendRequest']: {
        TokenUniqueReference: tur,
        ReasonCode: reason,
        AuditInfo: AUDIT,
      },
    });

  it('no methods in the answer: MDES asks Request Activation Methods, keeps them, and answers the token requestor with the token', async () => {
    issuer.answer = (operation, body) => {
      if (operation === 'authorizeService') {
        return {
          status: 200,
          body: { responseId: body.requestId, decision: 'REQUIRE_ADDITIONAL_AUTHENTICATION' },
        };
      }
      if (operation === 'requestActivationMethods') {
        return { status: 200, body: { responseId: body.requestId, activationMethods: [SMS, APP] } };
      }
      return defaultAnswer(operation, body);
    };
    const { answer, receipt } = await pushAndTokenize(TEST_CARDS.debit.pan);
    expect(answer).toEqual({
      responseId: expect.any(String),
      decision: 'REQUIRE_ADDITIONAL_AUTHENTICATION',
      tokenUniqueReference: expect.stringMatching(/^DWSPMC/),
      panUniqueReference: expect.stringMatching(/^FWSPMC/),
    });
    const tur = answer.tokenUniqueReference as string;
    const [as] = callsTo('authorizeService');
    const [ram] = callsTo('requestActivationMethods');
    expect(ram?.body).toMatchObject({
      correlationId: as?.body.correlationId,
      fundingAccountInfo: { tokenUniqueReference: tur },
      tokenRequestorId: DEMO_MERCHANT_TOKEN_REQUESTOR_ID,
    });
    expect(ram?.opened[0]).toMatchObject({ cardAccountData: { accountNumber: TEST_CARDS.debit.pan } });
    const token = await db()
      .selectFrom('mc_tokens')
      .selectAll()
      .where('token_unique_reference', '=', tur)
      .executeTakeFirstOrThrow();
    expect(token).toMatchObject({ status: 'INACTIVE', receipt, decided_by: 'ISSUER' });
    expect(JSON.parse(token.activation_methods ?? '')).toEqual([SMS, APP]);
    expect(await decisionOf(tur)).toMatchObject({
      decision: 'REQUIRE_ADDITIONAL_AUTHENTICATION',
      decided_by: 'ISSUER',
    });
    // Not active: no Notify Service Activated yet.
    expect(await outbox().drain()).toBe(0);

    // Customer Service lists the kept methods in its own codes.
    const methods = await h.call('POST', cs('activationMethods'), {
      TokenActivationMethodsRequest: { TokenUniqueReference: tur, AuditInfo: AUDIT },
    });
    expect(methods.json()).toEqual({
      TokenActivationMethodsResponse: {
        ActivationMethods: {
          ActivationMethod: [
            {
              ActivationMethodId: '1',
              ActivationMethodType: 'SMS',
              ActivationMethodValue: SMS.value,
              ResendIndicator: 'TRUE',
            },
            {
              ActivationMethodId: '2',
              ActivationMethodType: 'BAP',
              ActivationMethodValue: APP.value,
              ResendIndicator: 'FALSE',
            },
          ],
        },
      },
    });

    // A code cannot go through the app; by text, MDES makes one and hands it to the issuer to send.
    const resend = (id: string) =>
      h.call('POST', cs('resendActivationCode'), {
        TokenResendActivationCodeRequest: {
          TokenUniqueReference: tur,
          ActivationMethodId: id,
          AuditInfo: AUDIT,
        },
      });
    const byApp = await resend('2');
    expect(byApp.statusCode).toBe(400);
    expect(byApp.json()).toMatchObject({
      Errors: {
        Error: [
          {
            ReasonCode: 'INVALID_FIELD_VALUE',
            Source: 'TokenResendActivationCodeRequest.ActivationMethodId',
          },
        ],
      },
    });
    expect(callsTo('deliverActivationCode')).toEqual([]);
    const bySms = await resend('1');
    expect(bySms.json()).toEqual({
      TokenResendActivationCodeResponse: { Token: { TokenUniqueReference: tur } },
    });
    const [dac] = callsTo('deliverActivationCode');
    expect(dac?.body).toEqual({
      requestId: expect.any(String),
      tokenUniqueReference: tur,
      correlationId: as?.body.correlationId,
      activationMethod: SMS,
      activationCode: expect.stringMatching(/^\d{6}$/),
      expirationDateTime: new Date(h.clock.now().getTime() + 30 * 60_000).toISOString(),
      consumerFacingEntityName: 'Demo Shop',
    });
    const code = String(dac?.body.activationCode);
    const kept = await db()
      .selectFrom('mc_tokens')
      .selectAll()
      .where('token_unique_reference', '=', tur)
      .executeTakeFirstOrThrow();
    const { createHash } = await import('node:crypto');
    expect(kept.activation_code_hash).toBe(createHash('sha256').update(`${tur}:${code}`).digest('hex'));
    expect(kept.activation_code_expires_at).toEqual(new Date(h.clock.now().getTime() + 30 * 60_000));

    // Waiting for activation, it can be activated or deleted, not suspended.
    expect((await change('suspend', tur, 'Z')).statusCode).toBe(400);
    const activated = await change('activate', tur, 'C');
    expect(activated.json()).toEqual({ TokenActivateResponse: { Token: { TokenUniqueReference: tur } } });
    expect(
      (
        await db()
          .selectFrom('mc_tokens')
          .select('status')
          .where('token_unique_reference', '=', tur)
          .executeTakeFirstOrThrow()
      ).status,
    ).toBe('ACTIVE');
    await eventually(async () => {
      expect(callsTo('notifyServiceActivated')[0]?.body).toMatchObject({
        decision: 'REQUIRE_ADDITIONAL_AUTHENTICATION',
        decisionMadeBy: 'AUTHORIZATION_REQUEST',
        fundingAccountInfo: { tokenUniqueReference: tur },
      });
    });
    expect(callsTo('notifyTokenUpdated')).toEqual([]);
  });

  it('methods in the answer are kept as they are: no Request Activation Methods', async () => {
    issuer.answer = (operation, body) =>
      operation === 'authorizeService' ? holdForActivation(body, [APP]) : defaultAnswer(operation, body);
    const { answer } = await pushAndTokenize(TEST_CARDS.debit.pan);
    expect(answer.decision).toBe('REQUIRE_ADDITIONAL_AUTHENTICATION');
    expect(callsTo('requestActivationMethods')).toEqual([]);
    expect((await decisionOf(answer.tokenUniqueReference as string)).activation_methods).toBe(
      JSON.stringify([APP]),
    );
  });
});

describe('notifications to the issuer through the outbox', () => {
  const suspend = (tur: string, operation: 'suspend' | 'unsuspend') =>
    h.call('POST', cs(operation), {
      [operation === 'suspend' ? 'TokenSuspendRequest' : 'TokenUnsuspendRequest']: {
        TokenUniqueReference: tur,
        ReasonCode: 'Z',
        AuditInfo: AUDIT,
      },
    });
  const rows = (tur: string) =>
    db()
      .selectFrom('mc_notifications')
      .select(['state', 'attempts', 'last_error', 'message_type'])
      .where('token_unique_reference', '=', tur)
      .where('message_type', '=', 'ISSUER_NOTIFY_TOKEN_UPDATED')
      .orderBy('seq')
      .execute();

  it('a 503 or an unreachable issuer is tried again after the backoff; a later change of the token waits; then both arrive in order', async () => {
    const { answer } = await pushAndTokenize(TEST_CARDS.credit.pan);
    const tur = answer.tokenUniqueReference as string;
    await outbox().drain();
    issuer.received.length = 0;
    let failures = 1;
    issuer.answer = (operation, body) =>
      operation === 'notifyTokenUpdated' && failures-- > 0
        ? { status: 503, body: 'busy' }
        : defaultAnswer(operation, body);
    faults.configure({ rules: [{ operation: 'notifyTokenUpdated', fault: 'reset', times: 1 }] });

    expect((await suspend(tur, 'suspend')).statusCode).toBe(200);
    await suspend(tur, 'unsuspend');
    await eventually(async () => {
      expect(await rows(tur)).toMatchObject([
        { state: 'pending', attempts: 1, last_error: 'NETWORK_ERROR ECONNREFUSED' },
        { state: 'pending', attempts: 0 },
      ]);
    });
    h.clock.advance(5_000);
    await eventually(async () => {
      expect(await rows(tur)).toMatchObject([
        { state: 'pending', attempts: 2, last_error: 'HTTP_503' },
        { attempts: 0 },
      ]);
    });
    h.clock.advance(10_000);
    await eventually(async () => {
      expect((await rows(tur)).map((r) => r.state)).toEqual(['delivered', 'delivered']);
    });
    // The refused attempt reached the issuer too: the same request again, then the next.
    const sent = callsTo('notifyTokenUpdated');
    expect(sent.map((r) => r.body.tokens)).toEqual([
      [{ tokenUniqueReference: tur, status: 'SUSPENDED', suspendedBy: ['ISSUER'] }],
      [{ tokenUniqueReference: tur, status: 'SUSPENDED', suspendedBy: ['ISSUER'] }],
      [{ tokenUniqueReference: tur, status: 'ACTIVE' }],
    ]);
    expect(sent[1]?.body.requestId).toBe(sent[0]?.body.requestId);
    expect(callsTo('notifyTokenUpdated').every((r) => r.body.reasonCode === 'STATUS_UPDATE')).toBe(true);
  });

  it('an ErrorsResponse is final: rejected, and the next message of the token goes', async () => {
    const { answer } = await pushAndTokenize(TEST_CARDS.credit.pan);
    const tur = answer.tokenUniqueReference as string;
    await outbox().drain();
    let refuse = true;
    issuer.answer = (operation, body) => {
      if (operation === 'notifyTokenUpdated' && refuse) {
        refuse = false;
        return {
          status: 400,
          body: {
            responseId: body.requestId,
            errorCode: 'INVALID_FIELD_VALUE',
            errorDescription: 'Invalid Field Value - tokens',
          },
        };
      }
      return defaultAnswer(operation, body);
    };
    await suspend(tur, 'suspend');
    await suspend(tur, 'unsuspend');
    await eventually(async () => {
      expect(await rows(tur)).toMatchObject([
        { state: 'rejected', last_error: 'HTTP_400 INVALID_FIELD_VALUE' },
        { state: 'delivered' },
      ]);
    });
  });

  it('a replaced card: Notify Token Updated FUNDING_ACCOUNT_UPDATE with the new card’s number and expiry, and the token’s, encrypted', async () => {
    const { answer } = await pushAndTokenize(TEST_CARDS.credit.pan);
    const tur = answer.tokenUniqueReference as string;
    await outbox().drain();
    const replacement = '5555555551234561';
    const updated = await h.call('POST', cs('update'), {
      TokenUpdateRequest: {
        TokenUniqueReference: tur,
        NewAccountPan: replacement,
        ExpirationDate: '0931',
        AuditInfo: AUDIT,
      },
    });
    expect(updated.statusCode).toBe(200);
    await eventually(async () => {
      expect(callsTo('notifyTokenUpdated')).toHaveLength(1);
    });
    const [ntu] = callsTo('notifyTokenUpdated');
    expect(ntu?.body.reasonCode).toBe('FUNDING_ACCOUNT_UPDATE');
    expect(JSON.stringify(ntu?.body)).not.toContain(replacement);
    expect(ntu?.opened[0]).toMatchObject({
      cardAccountData: { accountNumber: replacement, expiryMonth: '09', expiryYear: '31' },
      tokenData: { token: expect.stringMatching(/^5399990\d{9}$/) },
    });
  });

  it('a token active but never announced (a crash in between) is announced at start-up', async () => {
    const { answer } = await pushAndTokenize(TEST_CARDS.credit.pan);
    const tur = answer.tokenUniqueReference as string;
    await db().deleteFrom('mc_notifications').where('token_unique_reference', '=', tur).execute();
    issuer.received.length = 0;
    await h.restart();
    await registerTokenManagement(h.app, { db: h.database.db, clock: h.clock });
    await h.app.ready();
    await outbox().drain();
    // (Tokens made earlier while the issuer had no services are announced too: active, never announced.)
    const announced = callsTo('notifyServiceActivated').map(
      (r) => (r.body.fundingAccountInfo as { tokenUniqueReference: string }).tokenUniqueReference,
    );
    expect(announced.filter((t) => t === tur)).toEqual([tur]);
    // Once: a second start announces nothing again.
    issuer.received.length = 0;
    await h.restart();
    await registerTokenManagement(h.app, { db: h.database.db, clock: h.clock });
    await h.app.ready();
    await outbox().drain();
    expect(callsTo('notifyServiceActivated')).toEqual([]);
  });
});

describe('a code typed in the wallet, and suspicious events: the drills at /_ops', () => {
  const SMS = { type: 'TEXT_TO_CARDHOLDER_NUMBER', value: '+44••••••123' };
  /** The simulator again, serving `/_ops`, with codes made by `codesBy`. */
  const restartWith = async (codesBy: 'mdes' | 'issuer') => {
    await h.restart();
    await registerTokenManagement(h.app, {
      db: h.database.db,
      clock: h.clock,
      activationCodesBy: codesBy,
      ops: true,
    });
    await h.app.ready();
  };
  const ops = async (path: string, body: unknown) => {
    const answer = await h.app.inject({ method: 'POST', url: `/_ops${path}`, payload: body as object });
    return { status: answer.statusCode, json: answer.json() as Record<string, unknown> };
  };
  const statusOf = async (tur: string) =>
    (
      await db()
        .selectFrom('mc_tokens')
        .select('status')
        .where('token_unique_reference', '=', tur)
        .executeTakeFirstOrThrow()
    ).status;
  /** A token held for activation whose code went out by text (Customer Service resend). */
  async function heldWithCode(): Promise<string> {
    issuer.answer = (operation, body) =>
      operation === 'authorizeService'
        ? holdForActivation(body, [SMS])
        : operation === 'validateActivationCode'
          ? {
              status: 200,
              body: {
                responseId: body.requestId,
                result: body.activationCode === '246810' ? 'SUCCESS' : 'INCORRECT_CODE',
              },
            }
          : defaultAnswer(operation, body);
    const { answer } = await pushAndTokenize(TEST_CARDS.debit.pan);
    const tur = answer.tokenUniqueReference as string;
    const resent = await h.call('POST', cs('resendActivationCode'), {
      TokenResendActivationCodeRequest: {
        TokenUniqueReference: tur,
        ActivationMethodId: '1',
        AuditInfo: AUDIT,
      },
    });
    expect(resent.statusCode).toBe(200);
    return tur;
  }

  afterAll(async () => {
    await restartWith('mdes');
  });

  it('an issuer-made code: Deliver Activation Code carries none, the typed code goes to Validate Activation Code; SUCCESS activates the token', async () => {
    await restartWith('issuer');
    const tur = await heldWithCode();
    const [dac] = callsTo('deliverActivationCode');
    expect(dac?.body).not.toHaveProperty('activationCode');
    expect(dac?.body).not.toHaveProperty('expirationDateTime');

    expect(await ops(`/tokens/${tur}/activation-code`, { activationCode: '135790' })).toEqual({
      status: 200,
      json: { result: 'INCORRECT_CODE', checkedBy: 'ISSUER' },
    });
    expect(await statusOf(tur)).toBe('INACTIVE');
    expect(await ops(`/tokens/${tur}/activation-code`, { activationCode: '246810' })).toEqual({
      status: 200,
      json: { result: 'SUCCESS', checkedBy: 'ISSUER' },
    });
    const vac = callsTo('validateActivationCode');
    expect(vac.map((r) => r.body)).toEqual([
      {
        requestId: expect.stringMatching(/^vac/),
        tokenUniqueReference: tur,
        correlationId: dac?.body.correlationId,
        activationCode: '135790',
      },
      expect.objectContaining({ activationCode: '246810' }),
    ]);
    expect(vac.every((r) => r.clientAuthorized)).toBe(true);
    expect(await statusOf(tur)).toBe('ACTIVE');
    await eventually(async () => {
      expect(callsTo('notifyServiceActivated')[0]?.body).toMatchObject({
        decision: 'REQUIRE_ADDITIONAL_AUTHENTICATION',
        fundingAccountInfo: { tokenUniqueReference: tur },
      });
    });
    // Active now: nothing waits for a code.
    expect((await ops(`/tokens/${tur}/activation-code`, { activationCode: '246810' })).json).toMatchObject({
      error: { code: 'SIMULATED_TOKEN_NOT_INACTIVE' },
    });
  });

  it('faults reach Validate Activation Code: an issuer that does not answer activates nothing', async () => {
    await restartWith('issuer');
    const tur = await heldWithCode();
    faults.configure({ rules: [{ operation: 'validateActivationCode', fault: 'timeout', times: 1 }] });
    const timedOut = await ops(`/tokens/${tur}/activation-code`, { activationCode: '246810' });
    expect(timedOut.status).toBe(502);
    expect(timedOut.json).toMatchObject({ error: { code: 'ACTIVATION_CODE_VALIDATION_UNAVAILABLE' } });
    expect(callsTo('validateActivationCode')).toEqual([]);
    expect(await statusOf(tur)).toBe('INACTIVE');
    // The fault spent, the issuer is asked.
    expect((await ops(`/tokens/${tur}/activation-code`, { activationCode: '246810' })).json.result).toBe(
      'SUCCESS',
    );
  });

  it('an MDES-made code is checked by MDES, the issuer not asked', async () => {
    await restartWith('mdes');
    const tur = await heldWithCode();
    const code = String(callsTo('deliverActivationCode')[0]?.body.activationCode);
    const wrong = code === '000000' ? '111111' : '000000';
    expect((await ops(`/tokens/${tur}/activation-code`, { activationCode: wrong })).json).toEqual({
      result: 'INCORRECT_CODE',
      checkedBy: 'MDES',
    });
    expect((await ops(`/tokens/${tur}/activation-code`, { activationCode: code })).json).toEqual({
      result: 'SUCCESS',
      checkedBy: 'MDES',
    });
    expect(callsTo('validateActivationCode')).toEqual([]);
    expect(await statusOf(tur)).toBe('ACTIVE');
    // A strict body: a number is not a code.
    const other = await heldWithCode();
    const numeric = await ops(`/tokens/${other}/activation-code`, { activationCode: 123456 });
    expect(numeric.status).toBe(400);
    expect(await statusOf(other)).toBe('INACTIVE');
  });

  it('suspicious events go to the issuer through the outbox, tried again after a 503, with the token’s status', async () => {
    await restartWith('mdes');
    const { answer } = await pushAndTokenize(TEST_CARDS.credit.pan);
    const tur = answer.tokenUniqueReference as string;
    await outbox().drain();
    issuer.received.length = 0;
    faults.configure({ rules: [{ operation: 'notifySuspiciousEvents', fault: 'error', times: 1 }] });
    const events = {
      eventName: 'REPLENISH',
      walletAtcStatus: { unusedActive: ['0021'] },
      systemAtcStatus: { atcNotFound: ['0021'] },
    };
    const reported = await ops(`/tokens/${tur}/suspicious-events`, {
      events,
      paymentAppInstanceId: 'pai-0001',
    });
    expect(reported.status).toBe(202);
    const attempt = () =>
      db()
        .selectFrom('mc_notifications')
        .select(['state', 'attempts', 'last_error'])
        .where('notification_id', '=', String(reported.json.requestId))
        .executeTakeFirst();
    await eventually(async () => {
      expect(await attempt()).toEqual({ state: 'pending', attempts: 1, last_error: 'HTTP_503' });
    });
    h.clock.advance(5_000);
    await eventually(async () => {
      expect(callsTo('notifySuspiciousEvents').map((r) => r.body)).toEqual([
        {
          requestId: reported.json.requestId,
          tokenUniqueReference: tur,
          paymentAppInstanceId: 'pai-0001',
          status: 'ACTIVE',
          events,
        },
      ]);
    });
    expect(await attempt()).toMatchObject({ state: 'delivered', attempts: 2 });

    // What the spec would not let MDES send is refused, and nothing is written.
    const incomplete = await ops(`/tokens/${tur}/suspicious-events`, {
      events: { eventName: 'REPLENISH', walletAtcStatus: {} },
    });
    expect(incomplete.status).toBe(400);
    expect(incomplete.json).toMatchObject({ error: { code: 'SUSPICIOUS_EVENT_INVALID' } });
    const unknown = await ops('/tokens/DWSPMC000000000000000000000000000000000000000000/suspicious-events', {
      events,
    });
    expect(unknown.status).toBe(404);
    expect(await outbox().drain()).toBe(0);
  });
});
