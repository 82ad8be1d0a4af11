import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import type { Database } from '../../src/core/db.js';
import { createLogger } from '../../src/core/logger.js';
import { createMdesListener } from '../../src/http/mdes-listener.js';
import { preDigitizationRoutes } from '../../src/http/routes/pre-digitization.js';
import { type DevPki, generateDevPki, loadDevPki } from '../../src/mastercard/keys/dev-pki.js';
import { PreDigitizationPayloads } from '../../src/mastercard/pre-digitization/payload.js';
import type { PushMultipleAccountsInput } from '../../src/mastercard/token-connect/client.js';
import { FieldLevelPayloadEncrypter } from '../../src/mastercard/token-connect/encrypter.js';
import type { TokenRequestor } from '../../src/mastercard/token-connect/types.js';
import { CardService } from '../../src/service/cards/cards.js';
import {
  TokenizationQuestions,
  type UnmatchedPolicy,
  type WalletRiskPolicy,
} from '../../src/service/mdes/authorize.js';
import { MdesNotifications } from '../../src/service/mdes/notifications.js';
import { SuspiciousEvents } from '../../src/service/mdes/suspicious-events.js';
import { ProvisioningService } from '../../src/service/provisioning/index.js';
import { TokenRequestorDirectory } from '../../src/service/token-requestors.js';
import { type ActivationCodeMessage, Activations } from '../../src/service/tokens/activations.js';
import { TokenSync } from '../../src/service/tokens/sync.js';
import { AuditLog } from '../../src/store/audit.js';
import { CardholderCardRepository } from '../../src/store/cards/cardholder-cards.js';
import { IdempotencyStore } from '../../src/store/idempotency.js';
import { ActivationCodeStore } from '../../src/store/mdes/activation-codes.js';
import { MdesNotificationLog } from '../../src/store/mdes/notifications.js';
import { SuspiciousEventLog } from '../../src/store/mdes/suspicious-events.js';
import { ProvisioningJobRepository } from '../../src/store/provisioning-jobs.js';
import { ProvisioningRepository } from '../../src/store/provisionings.js';
import type { IssuerSchema } from '../../src/store/schema.js';
import { prepareIssuerStore } from '../../src/store/store.js';
import { TokenRepository } from '../../src/store/tokens/tokens.js';
import { Keyring } from '../../src/store/vault/keyring.js';
import { Vault } from '../../src/store/vault/vault.js';
import { recipient } from '../fixtures/encryption/keys.js';
import { importCard, importHolder } from '../support/card-import.js';
import { onPostgres, testDatabase } from '../support/database.js';
import { mdesAgent, postAsMdes } from '../support/mdes-tls.js';

/**
 * The issuer's Pre-Digitization web services end to end, as MDES reaches
 * them: over mutual TLS with the development PKI's client certificate, card
 * data encrypted to the issuer's key. A card the bank pushed is approved by
 * what the request carries (the card, the token requestor, the time, the
 * pushed-card source) and Notify Service Activated completes its push; an
 * unmatched tokenization follows the policy; a blocked card is declined; an
 * activation code is delivered and confirms the token through Customer
 * Service; Notify Token Updated moves the token's record; refusals are the
 * spec's ErrorsResponse and change nothing.
 */

const C2P = '50123197928';
const SHOP = '50182375119';
const RANGE = '555555555';
const PAN = '5555555555554444';
const BLOCKED_PAN = '5105105105105100';
const ROOT = '/issuerServices/1/0';

const clock = new ManualClock(new Date('2026-11-25T10:00:00Z'));
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

describe(`the Pre-Digitization web services over mutual TLS on ${onPostgres() ? 'PostgreSQL' : 'PGlite'}`, () => {
  let database: Database<unknown>;
  let db: Kysely<IssuerSchema>;
  let pki: DevPki;
  let listener: FastifyInstance;
  let port: number;
  let provisioning: ProvisioningService;
  let audit: AuditLog;
  let aliceId: string;
  let cardId: string;
  let unmatched: UnmatchedPolicy = 'decline';
  let walletRisk: WalletRiskPolicy = 'follow';
  const sent: ActivationCodeMessage[] = [];
  const customerService: string[] = [];
  /** MDES's side of the payload encryption: to the issuer's certificate, as Mastercard's MDES presets say. */
  const toIssuer = new FieldLevelPayloadEncrypter({ encryptionKey: recipient.certificate });

  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pushprov-pre-digitization-'));
    await generateDevPki(dir);
    pki = await loadDevPki(dir);
    database = await testDatabase();
    db = await prepareIssuerStore(database.db);
    audit = new AuditLog(db, clock);
    const vault = new Vault(Keyring.generate(clock.now()));
    const store = new CardholderCardRepository(db, vault);
    await new CardService({ db, store, audit, clock }).importCards({
      cardholders: [
        importHolder({
          externalRef: 'alice',
          cards: [
            importCard({ externalRef: 'alice-1', pan: PAN }),
            importCard({ externalRef: 'alice-2', pan: BLOCKED_PAN, status: 'blocked' }),
          ],
        }),
      ],
    });
    const card = await store.cards.findByPan(PAN);
    cardId = card!.id;
    aliceId = card!.cardholderId;
    const repository = new ProvisioningRepository(db, vault);
    provisioning = new ProvisioningService({
      repository,
      claims: new ProvisioningJobRepository(db, 60_000),
      audit,
      idempotency: new IdempotencyStore(db, clock),
      cards: store,
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
        pushMultipleAccounts: async (input: PushMultipleAccountsInput) => ({
          responseId: input.requestId ?? 'r',
          pushAccountReceipts: input.accounts.map((a) => ({
            pushAccountId: a.pushAccountId,
            pushAccountReceipt: `MCC-${a.pushAccountId}`,
          })),
        }),
      },
      clock,
      issuerUrl: 'https://bank.test',
      accountRanges: [RANGE],
    });
    const log = new MdesNotificationLog(db);
    const cards = {
      findByPan: (pan: string) => store.cards.findByPan(pan),
      get: (id: string) => store.cards.get(id),
      ownedCard: (holder: string, id: string) => store.ownedCard(holder, id),
      profile: (holder: string) => store.profile(holder),
    };
    const activations = new Activations({
      log,
      codes: new ActivationCodeStore(db, vault),
      cards,
      sender: { send: async (message) => void sent.push(message) },
      mdes: {
        activate: async ({ tokenUniqueReference }) => {
          customerService.push(`activate ${tokenUniqueReference}`);
          return { TokenUniqueReference: tokenUniqueReference };
        },
        delete: async ({ tokenUniqueReference }) => {
          customerService.push(`delete ${tokenUniqueReference}`);
          return { TokenUniqueReference: tokenUniqueReference };
        },
      },
      organization: 'Test Bank',
      audit,
      clock,
    });
    activationsService = activations;
    listener = await createMdesListener({
      db: database.db,
      logger: createLogger({ level: 'silent' }),
      contextRoot: ROOT,
      tls: {
        ca: pki.ca.certificate.toString(),
        cert: pki.server.certificate.toString(),
        key: pki.server.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      },
      plugins: [
        preDigitizationRoutes({
          payloads: new PreDigitizationPayloads({
            decryptionKeys: [{ privateKey: recipient.privateKey, certificate: recipient.certificate }],
            clock,
          }),
          questions: new TokenizationQuestions({
            log,
            pushes: repository,
            cards,
            audit,
            clock,
            get unmatched() {
              return unmatched;
            },
            get walletRisk() {
              return walletRisk;
            },
            issuerApp: 'Test Bank app',
          }),
          notifications: new MdesNotifications({
            log,
            cards,
            clock,
            tokens: new TokenSync({
              provisioning,
              pushes: repository,
              tokens: new TokenRepository(db),
              audit,
              clock,
              clickToPayTokenRequestorId: C2P,
            }),
          }),
          activations,
          suspiciousEvents: new SuspiciousEvents({
            log,
            events: new SuspiciousEventLog(db),
            tokens: new TokenRepository(db),
            audit,
            clock,
          }),
        }),
      ],
    });
    await listener.listen({ port: 0, host: '127.0.0.1' });
    port = (listener.server.address() as { port: number }).port;
    agent = mdesAgent(pki);
  });
  let agent: ReturnType<typeof mdesAgent>;
  let activationsService: Activations;
  afterAll(async () => {
    agent?.destroy();
    await listener?.close();
    await database?.close();
  });

  /** One POST as MDES: the development client certificate, JSON. */
  async function mdes(
    operation: string,
    body: unknown,
  ): Promise<{ status: number; json: Record<string, unknown> }> {
    const payload = typeof body === 'string' ? body : JSON.stringify(body);
    const answer = await postAsMdes(agent, port, `${ROOT}/${operation}`, payload);
    return { status: answer.status, json: JSON.parse(answer.body) };
  }

  const sealed = (data: object) => {
    const envelope = toIssuer.encrypt(JSON.stringify(data));
    return {
      encryptedData: envelope.encryptedData,
      encryptedKey: envelope.encryptedKey,
      publicKeyFingerprint: envelope.publicKeyFingerprint,
      ...(envelope.iv && { iv: envelope.iv }),
      ...(envelope.oaepHashingAlgorithm && { oaepHashingAlgorithm: envelope.oaepHashingAlgorithm }),
    };
  };

  let sequence = 0;
  const next = (prefix: string) => `${prefix}${String(++sequence).padStart(6, '0')}`;
  const tokenReference = () => `DWSPMC${String(++sequence).padStart(42, '0')}`;

  /** An Authorize Service request for `pan`, as MDES sends it. */
  function authorizeService(over: {
    pan?: string;
    tokenRequestorId?: string;
    source?: string;
    tokenUniqueReference?: string;
    expiry?: [string, string];
    tokenType?: string;
    wallet?: Record<string, unknown>;
  }) {
    const [expiryMonth, expiryYear] = over.expiry ?? ['12', '30'];
    return {
      requestId: next('as'),
      services: ['DIGITIZATION'],
      fundingAccountInfo: {
        tokenUniqueReference: over.tokenUniqueReference ?? tokenReference(),
        panUniqueReference: 'FWSPMC000000000159f71f703d2141efaf04dd26803f922b',
        encryptedPayload: sealed({
          cardAccountData: { accountNumber: over.pan ?? PAN, expiryMonth, expiryYear },
          source: over.source ?? 'ACCOUNT_ADDED_VIA_APPLICATION',
          dataValidUntilTimestamp: new Date(clock.now().getTime() + 30 * 60_000).toISOString(),
        }),
      },
      correlationId: next('c'),
      tokenRequestorId: over.tokenRequestorId ?? SHOP,
      tokenType: over.tokenType ?? 'CLOUD',
      consumerFacingEntityName: 'Demo Shop',
      ...(over.wallet && { walletProviderDecisioningInfo: over.wallet }),
    };
  }

  function notifyServiceActivated(tokenUniqueReference: string, tokenRequestorId = SHOP) {
    return {
      requestId: next('nsa'),
      services: ['DIGITIZATION'],
      fundingAccountInfo: {
        tokenUniqueReference,
        encryptedPayload: sealed({
          cardAccountData: { accountNumber: PAN, expiryMonth: '12', expiryYear: '30' },
          tokenData: { token: '5399990000001234', expiryMonth: '11', expiryYear: '29' },
          source: 'ACCOUNT_ADDED_VIA_APPLICATION',
        }),
      },
      correlationId: next('c'),
      tokenRequestorId,
      tokenType: 'CLOUD',
      accountPanSuffix: '4444',
      serviceRequestDateTime: clock.now().toISOString(),
      decision: 'APPROVED',
      decisionMadeBy: 'AUTHORIZATION_REQUEST',
      tokenActivatedDateTime: clock.now().toISOString(),
      consumerFacingEntityName: 'Demo Shop',
    };
  }

  let keys = 0;
  async function pushTo(tokenRequestorId: string) {
    const { view } = await provisioning.push({
      cardholderId: aliceId,
      cardIds: [cardId],
      tokenRequestorId,
      consent: true,
      idempotencyKey: `key-${String(++keys).padStart(8, '0')}`,
    });
    return view.id;
  }

  const decisionsOf = async (subject: string) =>
    (await audit.history([subject])).filter((e) => e.action === 'tokenization.decided');
  const recorded = async () =>
    Number(
      (
        await db
          .selectFrom('mdes_notifications')
          .select((eb) => eb.fn.countAll().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );

  it('approves a card the bank pushed to that token requestor, and Notify Service Activated completes the push', async () => {
    const id = await pushTo(SHOP);
    const tokenUniqueReference = tokenReference();
    const body = authorizeService({ tokenUniqueReference });
    const answer = await mdes('authorizeService', body);
    expect(answer).toEqual({
      status: 200,
      json: { responseId: body.requestId, decision: 'APPROVED', services: ['DIGITIZATION'] },
    });
    const [decided, ...more] = await decisionsOf(id);
    expect(more).toEqual([]);
    expect(decided).toMatchObject({
      actor: 'mdes',
      outcome: 'APPROVED',
      details: {
        reasonCode: 'ISSUER_PUSH',
        tokenRequestorId: SHOP,
        cardId,
        source: 'ACCOUNT_ADDED_VIA_APPLICATION',
      },
    });
    // MDES asking again (its answer lost) hears the same; nothing more is written.
    const before = await recorded();
    expect(await mdes('authorizeService', body)).toEqual(answer);
    expect(await recorded()).toBe(before);

    const activated = notifyServiceActivated(tokenUniqueReference);
    expect(await mdes('notifyServiceActivated', activated)).toEqual({
      status: 200,
      json: { responseId: activated.requestId },
    });
    const view = await provisioning.view(aliceId, id);
    expect(view.state).toBe('completed');
    const token = await new TokenRepository(db).byReference(tokenUniqueReference);
    expect(token).toMatchObject({ cardId, tokenRequestorId: SHOP, status: 'ACTIVE', tokenPanSuffix: '1234' });
    // A repeat of the notification changes nothing.
    expect((await mdes('notifyServiceActivated', activated)).status).toBe(200);
    expect((await audit.history([token!.id])).filter((e) => e.action === 'token.created')).toHaveLength(1);
  });

  it('declines by default what is not its own open push: another source, another token requestor, after the receipts expired', async () => {
    await pushTo(SHOP);
    const cases: [string, Parameters<typeof authorizeService>[0]][] = [
      ['NOT_PUSHED_BY_ISSUER', { source: 'ACCOUNT_ADDED_MANUALLY' }],
      ['PUSH_NOT_FOUND', { tokenRequestorId: '50000000001' }],
      ['CARD_UNKNOWN', { pan: '5555555555551111' }],
      ['CARD_UNKNOWN', { expiry: ['01', '30'] }],
      ['CARD_NOT_ACTIVE', { pan: BLOCKED_PAN }],
    ];
    for (const [reasonCode, over] of cases) {
      const body = authorizeService(over);
      const answer = await mdes('authorizeService', body);
      expect(answer.json, reasonCode).toEqual({ responseId: body.requestId, decision: 'DECLINED' });
      const row = await db
        .selectFrom('mdes_notifications')
        .select(['outcome', 'reason_code'])
        .where('notification_id', '=', body.requestId)
        .executeTakeFirstOrThrow();
      expect(row).toEqual({ outcome: 'DECLINED', reason_code: reasonCode });
    }
    clock.advance(16 * 60_000);
    const late = await mdes('authorizeService', authorizeService({}));
    expect(late.json.decision).toBe('DECLINED');
  });

  it("weighs the token type and the wallet's risk data, even for its own push, as PUSHPROV_WALLET_RISK says", async () => {
    const cases: [string, string, Parameters<typeof authorizeService>[0]][] = [
      [
        'DECLINED',
        'WALLET_RECOMMENDS_DECLINE',
        { wallet: { recommendedDecision: 'DECLINED', deviceScore: '4' } },
      ],
      [
        'REQUIRE_ADDITIONAL_AUTHENTICATION',
        'WALLET_RECOMMENDS_AUTHENTICATION',
        { wallet: { recommendedDecision: 'REQUIRE_ADDITIONAL_AUTHENTICATION' } },
      ],
      [
        'REQUIRE_ADDITIONAL_AUTHENTICATION',
        'WALLET_LOW_SCORE',
        { wallet: { recommendedDecision: 'APPROVED', deviceScore: '5', accountScore: '1' } },
      ],
      // A device wallet's token is not what the push's token requestor asks for (tokenize: "Must be CLOUD").
      ['DECLINED', 'TOKEN_TYPE_NOT_PUSHED', { tokenType: 'EMBEDDED_SE' }],
      ['APPROVED', 'ISSUER_PUSH', { wallet: { recommendedDecision: 'APPROVED', deviceScore: '2' } }],
    ];
    for (const [decision, reasonCode, over] of cases) {
      const id = await pushTo(SHOP);
      const body = authorizeService(over);
      const answer = await mdes('authorizeService', body);
      expect(answer.json.decision, reasonCode).toBe(decision);
      if (decision === 'REQUIRE_ADDITIONAL_AUTHENTICATION') {
        expect((answer.json.activationMethods as { type: string }[])[0]?.type).toBe(
          'CARDHOLDER_TO_USE_MOBILE_APP',
        );
      }
      const row = await db
        .selectFrom('mdes_notifications')
        .select(['outcome', 'reason_code', 'provisioning_id'])
        .where('notification_id', '=', body.requestId)
        .executeTakeFirstOrThrow();
      expect(row.reason_code, reasonCode).toBe(reasonCode);
      expect(row.outcome).toBe(decision);
      // The wallet's data is audited with the decision; it names no person.
      const audited = (
        await audit.history([row.provisioning_id ?? body.fundingAccountInfo.tokenUniqueReference])
      )
        .filter((e) => e.action === 'tokenization.decided')
        .at(-1);
      expect(audited?.details).toMatchObject({
        reasonCode,
        tokenType: body.tokenType,
        ...(over.wallet && { walletProviderDecisioningInfo: over.wallet }),
      });
      if (reasonCode !== 'TOKEN_TYPE_NOT_PUSHED' && reasonCode !== 'WALLET_RECOMMENDS_DECLINE') {
        expect(row.provisioning_id).toBe(id);
      }
      // The push stays open for the next case's receipt redemption: withdraw this one's.
      clock.advance(16 * 60_000);
    }

    walletRisk = 'ignore';
    try {
      await pushTo(SHOP);
      const body = authorizeService({ wallet: { recommendedDecision: 'DECLINED', deviceScore: '1' } });
      const answer = await mdes('authorizeService', body);
      expect(answer.json.decision).toBe('APPROVED');
    } finally {
      walletRisk = 'follow';
    }
  });

  it('asks for more authentication under that policy, and the cardholder confirms with the code MDES had the bank deliver', async () => {
    unmatched = 'additional-authentication';
    try {
      const tokenUniqueReference = tokenReference();
      const body = authorizeService({ source: 'ACCOUNT_ADDED_MANUALLY', tokenUniqueReference });
      const answer = await mdes('authorizeService', body);
      expect(answer.json).toMatchObject({ decision: 'REQUIRE_ADDITIONAL_AUTHENTICATION' });
      const methods = answer.json.activationMethods as { type: string; value: string }[];
      expect(methods.map((m) => m.type)).toEqual([
        'CARDHOLDER_TO_USE_MOBILE_APP',
        'TEXT_TO_CARDHOLDER_NUMBER',
        'EMAIL_TO_CARDHOLDER_ADDRESS',
      ]);
      // Masked: the cardholder's contacts never leave the bank in clear.
      expect(JSON.stringify(methods)).not.toContain('alice@example.com');
      expect(JSON.stringify(methods)).not.toContain('7700900123');

      const ram = await mdes('requestActivationMethods', { ...authorizeService({}), requestId: next('ram') });
      expect(ram.json.activationMethods).toHaveLength(3);

      const pending = await activationsService.pending(aliceId, cardId);
      expect(pending.map((p) => p.tokenUniqueReference)).toContain(tokenUniqueReference);

      const deliver = {
        requestId: next('dac'),
        tokenUniqueReference,
        correlationId: next('c'),
        activationCode: '482913',
        expirationDateTime: new Date(clock.now().getTime() + 30 * 60_000).toISOString(),
        activationMethod: methods[1],
      };
      expect(await mdes('deliverActivationCode', deliver)).toEqual({
        status: 200,
        json: { responseId: deliver.requestId },
      });
      expect(sent).toHaveLength(1);
      expect(sent[0]).toMatchObject({ channel: 'sms', to: '+447700900123', code: '482913' });
      expect(sent[0]!.maskedTo).not.toContain('7700900');
      // Only a keyed fingerprint of the code is kept.
      const stored = JSON.stringify(await db.selectFrom('activation_codes').selectAll().execute());
      expect(stored).not.toContain('482913');

      await expect(
        activationsService.confirm(aliceId, cardId, tokenUniqueReference, { kind: 'code', code: '000000' }),
      ).rejects.toMatchObject({ code: 'ACTIVATION_CODE_INVALID' });
      expect(customerService).toEqual([]);
      await activationsService.confirm(aliceId, cardId, tokenUniqueReference, {
        kind: 'code',
        code: '482913',
      });
      expect(customerService).toEqual([`activate ${tokenUniqueReference}`]);

      // MDES reports it active: the token gets its record and no longer waits.
      await mdes('notifyServiceActivated', notifyServiceActivated(tokenUniqueReference));
      const after = await activationsService.pending(aliceId, cardId);
      expect(after.map((p) => p.tokenUniqueReference)).not.toContain(tokenUniqueReference);
    } finally {
      unmatched = 'decline';
    }
  });

  it('keeps the token current from Notify Token Updated, and records an unknown token with no change', async () => {
    await pushTo(C2P);
    const tokenUniqueReference = tokenReference();
    await mdes('authorizeService', authorizeService({ tokenRequestorId: C2P, tokenUniqueReference }));
    await mdes('notifyServiceActivated', notifyServiceActivated(tokenUniqueReference, C2P));
    const tokens = new TokenRepository(db);
    const update = (reasonCode: string, token: Record<string, unknown>) => ({
      requestId: next('ntu'),
      reasonCode,
      tokens: [{ tokenUniqueReference, ...token }],
    });
    // Notify Service Activated gave the token's expiry with its (encrypted) tokenData.
    expect(await tokens.byReference(tokenUniqueReference)).toMatchObject({ tokenExpiry: '1129' });
    expect((await tokens.byReference(tokenUniqueReference))?.suspendedBy).toBeUndefined();
    const suspended = update('STATUS_UPDATE', { status: 'SUSPENDED', suspendedBy: ['TOKEN_REQUESTOR'] });
    expect((await mdes('notifyTokenUpdated', suspended)).json).toEqual({ responseId: suspended.requestId });
    expect(await tokens.byReference(tokenUniqueReference)).toMatchObject({
      status: 'SUSPENDED',
      suspendedBy: ['TOKEN_REQUESTOR'],
    });
    // Still suspended, now by the issuer too: the news is who holds it.
    await mdes(
      'notifyTokenUpdated',
      update('STATUS_UPDATE', { status: 'SUSPENDED', suspendedBy: ['TOKEN_REQUESTOR', 'ISSUER'] }),
    );
    expect(await tokens.byReference(tokenUniqueReference)).toMatchObject({
      status: 'SUSPENDED',
      suspendedBy: ['TOKEN_REQUESTOR', 'ISSUER'],
    });
    const resumed = update('STATUS_UPDATE', { status: 'ACTIVE' });
    await mdes('notifyTokenUpdated', resumed);
    expect(await tokens.byReference(tokenUniqueReference)).toMatchObject({ status: 'ACTIVE' });
    expect((await tokens.byReference(tokenUniqueReference))?.suspendedBy).toBeUndefined();
    // Redigitized (a token expiry): the new expiry from `tokenExpiry`, the new last four from the encrypted tokenData.
    await mdes(
      'notifyTokenUpdated',
      update('REDIGITIZATION_COMPLETE', {
        tokenExpiry: '0731',
        fundingAccountInfo: {
          encryptedPayload: sealed({
            tokenData: { token: '5399990000005678', expiryMonth: '07', expiryYear: '31' },
          }),
        },
      }),
    );
    expect(await tokens.byReference(tokenUniqueReference)).toMatchObject({
      status: 'ACTIVE',
      tokenExpiry: '0731',
      tokenPanSuffix: '5678',
    });
    // The same request again (a redelivery) changes nothing, even after a later change.
    await mdes('notifyTokenUpdated', update('STATUS_UPDATE', { status: 'DEACTIVATED' }));
    expect((await tokens.byReference(tokenUniqueReference))?.status).toBe('DELETED');
    await mdes('notifyTokenUpdated', resumed);
    expect((await tokens.byReference(tokenUniqueReference))?.status).toBe('DELETED');

    const unknown = {
      requestId: next('ntu'),
      reasonCode: 'STATUS_UPDATE',
      tokens: [{ tokenUniqueReference: tokenReference(), status: 'SUSPENDED', suspendedBy: ['ISSUER'] }],
    };
    expect((await mdes('notifyTokenUpdated', unknown)).status).toBe(200);
    const row = await db
      .selectFrom('mdes_notifications')
      .select('outcome')
      .where('notification_id', '=', unknown.requestId)
      .executeTakeFirstOrThrow();
    expect(row.outcome).toBe('unmatched');
  });

  /** A token MDES keeps inactive (the issuer asked for more authentication) whose code the bank delivered by text. */
  async function tokenAwaitingCode(
    mdesCode?: string,
  ): Promise<{ tokenUniqueReference: string; code: string; text: unknown }> {
    unmatched = 'additional-authentication';
    try {
      const tokenUniqueReference = tokenReference();
      const decided = await mdes(
        'authorizeService',
        authorizeService({ source: 'ACCOUNT_ADDED_MANUALLY', tokenUniqueReference }),
      );
      expect(decided.json.decision).toBe('REQUIRE_ADDITIONAL_AUTHENTICATION');
      const text = (decided.json.activationMethods as { type: string; value: string }[]).find(
        (m) => m.type === 'TEXT_TO_CARDHOLDER_NUMBER',
      );
      const delivered = await mdes('deliverActivationCode', {
        requestId: next('dac'),
        tokenUniqueReference,
        correlationId: next('c'),
        activationMethod: text,
        // Without a code, the issuer makes one ("only present if Mastercard generates the activationCode").
        ...(mdesCode && {
          activationCode: mdesCode,
          expirationDateTime: new Date(clock.now().getTime() + 30 * 60_000).toISOString(),
        }),
      });
      expect(delivered.status).toBe(200);
      return { tokenUniqueReference, code: sent.at(-1)!.code, text };
    } finally {
      unmatched = 'decline';
    }
  }

  const validate = (tokenUniqueReference: string, activationCode: string) => ({
    requestId: next('vac'),
    tokenUniqueReference,
    correlationId: next('c'),
    activationCode,
  });
  const failedAttempts = async (tokenUniqueReference: string) =>
    (
      await db
        .selectFrom('activation_codes')
        .select('failed_attempts')
        .where('token_unique_reference', '=', tokenUniqueReference)
        .executeTakeFirst()
    )?.failed_attempts;
  const wrongCode = (code: string) => (code === '000000' ? '111111' : '000000');

  it('Validate Activation Code: a wrong code is INCORRECT_CODE and counts, the right one is SUCCESS and is spent; a repeat hears the first answer', async () => {
    const { tokenUniqueReference, code } = await tokenAwaitingCode();
    expect(code).toMatch(/^\d{6}$/);

    const wrong = validate(tokenUniqueReference, wrongCode(code));
    expect(await mdes('validateActivationCode', wrong)).toEqual({
      status: 200,
      json: { responseId: wrong.requestId, result: 'INCORRECT_CODE' },
    });
    expect(await failedAttempts(tokenUniqueReference)).toBe(1);
    // MDES asking again (its answer lost): the same answer, no second try counted.
    expect((await mdes('validateActivationCode', wrong)).json.result).toBe('INCORRECT_CODE');
    expect(await failedAttempts(tokenUniqueReference)).toBe(1);

    const right = validate(tokenUniqueReference, code);
    expect(await mdes('validateActivationCode', right)).toEqual({
      status: 200,
      json: { responseId: right.requestId, result: 'SUCCESS' },
    });
    // Spent: MDES activates the token itself; the bank calls no Customer Service for it.
    expect(await failedAttempts(tokenUniqueReference)).toBeUndefined();
    expect(customerService).not.toContain(`activate ${tokenUniqueReference}`);
    expect((await mdes('validateActivationCode', right)).json.result).toBe('SUCCESS');
    const again = validate(tokenUniqueReference, code);
    expect((await mdes('validateActivationCode', again)).json.result).toBe('EXPIRED_CODE');

    const audited = (await audit.history([tokenUniqueReference])).filter(
      (e) => e.action === 'activation_code.validated',
    );
    expect(audited.map((e) => e.outcome)).toEqual(['INCORRECT_CODE', 'SUCCESS', 'EXPIRED_CODE']);
    expect(audited[0]).toMatchObject({ actor: 'mdes', details: { cardId, failedAttempts: 1 } });
    // The code is in no audit entry and no record.
    expect(JSON.stringify(audited)).not.toContain(code);
    const rows = await db
      .selectFrom('mdes_notifications')
      .select(['outcome', 'reason_code', 'card_id'])
      .where('notification_id', 'in', [wrong.requestId, right.requestId])
      .orderBy('received_at')
      .execute();
    expect(rows).toEqual([
      { outcome: 'INCORRECT_CODE', reason_code: 'wrong', card_id: cardId },
      { outcome: 'SUCCESS', reason_code: 'valid', card_id: cardId },
    ]);
  });

  it('Deliver Activation Code without MDES’s code: copies of one request send one code, a new request a new one', async () => {
    const { tokenUniqueReference, text } = await tokenAwaitingCode();
    const deliver = () => ({
      requestId: next('dac'),
      tokenUniqueReference,
      correlationId: next('c'),
      activationMethod: text,
    });
    const request = deliver();
    const before = sent.length;
    const answers = await Promise.all([1, 2, 3].map(() => mdes('deliverActivationCode', request)));
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200]);
    // However many copies got through before the first was recorded, they all carried one code.
    const codes = new Set(sent.slice(before).map((m) => m.code));
    expect(codes.size).toBe(1);
    const [code] = [...codes];
    expect(code).toMatch(/^\d{6}$/);
    await mdes('deliverActivationCode', deliver());
    const fresh = sent.at(-1)!.code;
    expect(fresh).not.toBe(code);
    // The latest request's code is the one that stands.
    const valid = validate(tokenUniqueReference, fresh);
    expect((await mdes('validateActivationCode', valid)).json.result).toBe('SUCCESS');
  });

  // The copies overlap on PostgreSQL (two tries counted before the fix); PGlite's one connection mostly runs them in turn.
  it('Validate Activation Code: copies of one request sent at once try the code once, and all hear the same answer', async () => {
    const { tokenUniqueReference, code } = await tokenAwaitingCode();
    const wrong = validate(tokenUniqueReference, wrongCode(code));
    const answers = await Promise.all(Array.from({ length: 6 }, () => mdes('validateActivationCode', wrong)));
    expect(answers.map((a) => a.json)).toEqual(
      answers.map(() => ({ responseId: wrong.requestId, result: 'INCORRECT_CODE' })),
    );
    expect(await failedAttempts(tokenUniqueReference)).toBe(1);
    const audited = (await audit.history([tokenUniqueReference])).filter(
      (e) => e.action === 'activation_code.validated',
    );
    expect(audited).toHaveLength(1);
  });

  it('Validate Activation Code: the fifth wrong code exceeds the retries, and then even the right one is refused', async () => {
    const { tokenUniqueReference, code } = await tokenAwaitingCode();
    for (let attempt = 1; attempt <= 4; attempt++) {
      const answer = await mdes('validateActivationCode', validate(tokenUniqueReference, wrongCode(code)));
      expect(answer.json.result, `attempt ${attempt}`).toBe('INCORRECT_CODE');
    }
    const fifth = await mdes('validateActivationCode', validate(tokenUniqueReference, wrongCode(code)));
    expect(fifth.json.result).toBe('INCORRECT_CODE_RETRIES_EXCEEDED');
    const right = await mdes('validateActivationCode', validate(tokenUniqueReference, code));
    expect(right.json.result).toBe('INCORRECT_CODE_RETRIES_EXCEEDED');
    expect(await failedAttempts(tokenUniqueReference)).toBe(5);
    // The bank's page shares the count: locked there too.
    await expect(
      activationsService.confirm(aliceId, cardId, tokenUniqueReference, { kind: 'code', code }),
    ).rejects.toMatchObject({ code: 'ACTIVATION_CODE_UNUSABLE' });
  });

  it('Validate Activation Code: a code past its expiry is EXPIRED_CODE, and counts nothing', async () => {
    const { tokenUniqueReference, code } = await tokenAwaitingCode('735102');
    expect(code).toBe('735102');
    clock.advance(31 * 60_000);
    const answer = await mdes('validateActivationCode', validate(tokenUniqueReference, code));
    expect(answer.json.result).toBe('EXPIRED_CODE');
    expect(await failedAttempts(tokenUniqueReference)).toBe(0);
  });

  it('Validate Activation Code: refuses an unknown token and a malformed body with the spec’s errors, changing nothing', async () => {
    const { tokenUniqueReference, code } = await tokenAwaitingCode();
    const before = await recorded();
    const auditBefore = (await audit.history([tokenUniqueReference])).length;
    const valid = validate(tokenUniqueReference, code);
    const { correlationId: _dropped, ...withoutCorrelation } = valid;
    const cases: [string, unknown, Record<string, unknown>][] = [
      [
        'a token the issuer never decided',
        validate(tokenReference(), code),
        { errorCode: 'INVALID_FIELD_VALUE', errorDescription: 'Invalid Field Value - tokenUniqueReference' },
      ],
      ['not JSON', '{"requestId":"x",', { errorCode: 'INVALID_JSON' }],
      [
        'a number for the code',
        { ...valid, activationCode: Number(code) },
        { errorCode: 'INVALID_FIELD_FORMAT', errorDescription: 'Invalid Field Format - activationCode' },
      ],
      [
        'no correlationId',
        withoutCorrelation,
        { errorCode: 'MISSING_REQUIRED_FIELD', errorDescription: 'Missing Required Field - correlationId' },
      ],
      [
        'a code longer than 32',
        { ...valid, activationCode: '1'.repeat(33) },
        { errorCode: 'INVALID_FIELD_LENGTH' },
      ],
      ['an empty code', { ...valid, activationCode: '' }, { errorCode: 'INVALID_FIELD_LENGTH' }],
    ];
    for (const [name, body, error] of cases) {
      const answer = await mdes('validateActivationCode', body);
      expect(answer.status, name).toBe(400);
      expect(answer.json, name).toMatchObject(error);
      expect(JSON.stringify(answer.json), name).not.toContain(code);
    }
    expect(await recorded()).toBe(before);
    expect(await failedAttempts(tokenUniqueReference)).toBe(0);
    expect((await audit.history([tokenUniqueReference])).length).toBe(auditBefore);
    // The code still works afterwards.
    expect((await mdes('validateActivationCode', valid)).json.result).toBe('SUCCESS');
  });

  const suspicious = (tokenUniqueReference: string, over: Record<string, unknown> = {}) => ({
    requestId: next('nse'),
    tokenUniqueReference,
    paymentAppInstanceId: '1b24f24a24ba98e27d43e345b532a245e4723d7a9c4f624e',
    status: 'ACTIVE',
    events: {
      eventName: 'REPLENISH',
      walletAtcStatus: { unusedDiscarded: ['0012'], usedForContactless: ['0013', '0014'] },
      systemAtcStatus: { atcNotFound: ['0014'], atcAlreadyProcessed: [] },
    },
    ...over,
  });
  const suspiciousRows = (tokenUniqueReference: string) =>
    new SuspiciousEventLog(db).ofToken(tokenUniqueReference);

  it('Notify Suspicious Events: records and audits the event for a known token, changing nothing of it; a repeat is acknowledged once', async () => {
    await pushTo(C2P);
    const tokenUniqueReference = tokenReference();
    await mdes('authorizeService', authorizeService({ tokenRequestorId: C2P, tokenUniqueReference }));
    await mdes('notifyServiceActivated', notifyServiceActivated(tokenUniqueReference, C2P));
    const tokens = new TokenRepository(db);
    const token = (await tokens.byReference(tokenUniqueReference))!;
    expect(token.status).toBe('ACTIVE');

    const body = suspicious(tokenUniqueReference);
    expect(await mdes('notifySuspiciousEvents', body)).toEqual({
      status: 200,
      json: { responseId: body.requestId },
    });
    expect(await mdes('notifySuspiciousEvents', body)).toEqual({
      status: 200,
      json: { responseId: body.requestId },
    });
    expect(await suspiciousRows(tokenUniqueReference)).toEqual([
      {
        requestId: body.requestId,
        tokenUniqueReference,
        tokenId: token.id,
        cardId,
        paymentAppInstanceId: body.paymentAppInstanceId,
        tokenStatus: 'ACTIVE',
        eventName: 'REPLENISH',
        walletAtcStatus: body.events.walletAtcStatus,
        systemAtcStatus: body.events.systemAtcStatus,
        receivedAt: clock.now(),
      },
    ]);
    // Informative: the token is as it was.
    expect(await tokens.byReference(tokenUniqueReference)).toEqual(token);
    const audited = (await audit.history([token.id])).filter(
      (e) => e.action === 'token.suspicious_events_reported',
    );
    expect(audited).toHaveLength(1);
    expect(audited[0]).toMatchObject({
      actor: 'mdes',
      outcome: 'matched',
      details: {
        tokenUniqueReference,
        eventName: 'REPLENISH',
        tokenStatus: 'ACTIVE',
        cardId,
        tokenRequestorId: C2P,
        walletAtcStatus: { unusedDiscarded: 1, usedForContactless: 2 },
        systemAtcStatus: { atcNotFound: 1, atcAlreadyProcessed: 0 },
      },
    });
  });

  it('Notify Suspicious Events: records a token the issuer does not know, tied to no card', async () => {
    const tokenUniqueReference = tokenReference();
    const body = suspicious(tokenUniqueReference, { status: 'SUSPENDED', paymentAppInstanceId: undefined });
    expect((await mdes('notifySuspiciousEvents', body)).json).toEqual({ responseId: body.requestId });
    const [row, ...more] = await suspiciousRows(tokenUniqueReference);
    expect(more).toEqual([]);
    expect(row).toMatchObject({ tokenStatus: 'SUSPENDED', eventName: 'REPLENISH' });
    expect(row?.cardId).toBeUndefined();
    expect(row?.tokenId).toBeUndefined();
    const logged = await db
      .selectFrom('mdes_notifications')
      .select(['outcome', 'message_type'])
      .where('notification_id', '=', body.requestId)
      .executeTakeFirstOrThrow();
    expect(logged).toEqual({ outcome: 'unmatched', message_type: 'notifySuspiciousEvents' });
  });

  it('Notify Suspicious Events: refuses a malformed body with the spec’s errors, recording nothing', async () => {
    const tokenUniqueReference = tokenReference();
    const valid = suspicious(tokenUniqueReference);
    const { status: _status, ...withoutStatus } = valid;
    const cases: [string, unknown, Record<string, unknown>][] = [
      [
        'REPLENISH without the system ATC status',
        { ...valid, events: { eventName: 'REPLENISH', walletAtcStatus: {} } },
        { errorCode: 'MISSING_REQUIRED_FIELD', errorDescription: 'Missing Required Field - systemAtcStatus' },
      ],
      [
        'no status',
        withoutStatus,
        { errorCode: 'MISSING_REQUIRED_FIELD', errorDescription: 'Missing Required Field - status' },
      ],
      [
        'events as an array (the spec has one object)',
        { ...valid, events: [valid.events] },
        { errorCode: 'INVALID_FIELD_FORMAT', errorDescription: 'Invalid Field Format - events' },
      ],
      [
        'an ATC as a number',
        { ...valid, events: { ...valid.events, systemAtcStatus: { atcNotFound: [14] } } },
        { errorCode: 'INVALID_FIELD_FORMAT' },
      ],
      [
        'a paymentAppInstanceId over 48',
        { ...valid, paymentAppInstanceId: 'a'.repeat(49) },
        { errorCode: 'INVALID_FIELD_LENGTH' },
      ],
    ];
    const before = await recorded();
    for (const [name, body, error] of cases) {
      const answer = await mdes('notifySuspiciousEvents', body);
      expect(answer.status, name).toBe(400);
      expect(answer.json, name).toMatchObject(error);
    }
    expect(await recorded()).toBe(before);
    expect(await suspiciousRows(tokenUniqueReference)).toEqual([]);
  });

  it('does not serve Get Account Information, a transit operator’s service', async () => {
    const before = await recorded();
    const answer = await mdes('getAccountInformation', {
      requestId: next('gai'),
      fundingAccountInfo: authorizeService({}).fundingAccountInfo,
    });
    expect(answer.status).toBe(404);
    expect(answer.json).toMatchObject({ error: { code: 'NOT_FOUND' } });
    expect(await recorded()).toBe(before);
  });

  it('refuses what is not a valid request with the spec’s ErrorsResponse, recording nothing', async () => {
    const before = await recorded();
    const valid = authorizeService({});
    const { fundingAccountInfo: _dropped, ...withoutFundingAccount } = valid;
    const cases: [string, unknown, string][] = [
      ['not JSON', '{"requestId":', 'INVALID_JSON'],
      ['a required field missing', withoutFundingAccount, 'MISSING_REQUIRED_FIELD'],
      ['a number for a string', { ...valid, tokenType: 7 }, 'INVALID_FIELD_FORMAT'],
      [
        'a payload for another key',
        {
          ...valid,
          fundingAccountInfo: {
            ...valid.fundingAccountInfo,
            encryptedPayload: {
              ...valid.fundingAccountInfo.encryptedPayload,
              encryptedKey: 'ab'.repeat(256),
            },
          },
        },
        'CRYPTOGRAPHY_ERROR',
      ],
    ];
    for (const [name, body, errorCode] of cases) {
      const answer = await mdes('authorizeService', body);
      expect(answer.status, name).toBe(400);
      expect(answer.json, name).toMatchObject({ errorCode });
      expect(JSON.stringify(answer.json), name).not.toContain(PAN);
    }
    expect(await recorded()).toBe(before);
    // A requestId MDES already used for another operation.
    const first = authorizeService({});
    await mdes('authorizeService', first);
    const reused = await mdes('notifyServiceActivated', {
      ...notifyServiceActivated(tokenReference()),
      requestId: first.requestId,
    });
    expect(reused).toEqual({
      status: 400,
      json: {
        responseId: first.requestId,
        errorCode: 'INVALID_FIELD_VALUE',
        errorDescription: 'Invalid Field Value - requestId',
      },
    });
  });
});
