import { sql } from 'kysely';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import type { Database } from '../../src/core/db.js';
import type { CardholderProfile } from '../../src/domain/account-holder.js';
import type { PushMultipleAccountsInput } from '../../src/mastercard/token-connect/client.js';
import { TokenConnectError } from '../../src/mastercard/token-connect/errors.js';
import type {
  PushMultipleAccountsResponse,
  TokenRequestor,
} from '../../src/mastercard/token-connect/types.js';
import type { OwnedCard } from '../../src/service/ports.js';
import { ProvisioningService } from '../../src/service/provisioning.js';
import { TokenRequestorDirectory } from '../../src/service/token-requestors.js';
import { AuditLog } from '../../src/store/audit.js';
import { IdempotencyStore } from '../../src/store/idempotency.js';
import { ProvisioningRepository } from '../../src/store/provisionings.js';
import { type IssuerDb, prepareIssuerStore } from '../../src/store/store.js';
import { testDatabase } from '../support/database.js';
import { testSealer } from '../support/sealer.js';

// Mastercard test numbers only.
const PANS: Record<string, string> = {
  crd_gb: '5555555555554444',
  crd_blocked: '5555555555554444',
  crd_fr: '5105105105105100',
};
const RANGE = '555555555';
const C2P = '50123197928';
const SHOP = '50000000001';

const cards: OwnedCard[] = [
  {
    id: 'crd_gb',
    cardholderId: 'chd_alice',
    lastFour: '4444',
    expiryMonth: 12,
    expiryYear: 2029,
    country: 'GB',
    status: 'active',
    productName: 'World',
  },
  {
    id: 'crd_blocked',
    cardholderId: 'chd_alice',
    lastFour: '4444',
    expiryMonth: 12,
    expiryYear: 2029,
    country: 'GB',
    status: 'blocked',
    productName: 'World',
  },
  {
    id: 'crd_fr',
    cardholderId: 'chd_alice',
    lastFour: '5100',
    expiryMonth: 12,
    expiryYear: 2029,
    country: 'FR',
    status: 'active',
    productName: 'Gold',
  },
];
const profile: CardholderProfile = {
  name: 'Alice Liddell',
  email: 'alice@example.com',
  phone: '+447700900123',
  billingAddress: { line1: '1 Rabbit Hole', city: 'Oxford', postalCode: 'OX1 1AA', country: 'GB' },
  locale: 'en-GB',
};
const tokenRequestors: TokenRequestor[] = [
  {
    tokenRequestorId: SHOP,
    name: 'Demo Shop Ltd',
    consumerFacingEntityName: 'Demo Shop',
    tokenRequestorType: 'MERCHANT',
    enabledAccountRanges: [RANGE.padEnd(19, '0')],
    supportsMultiplePushedCards: false,
    supportedAccountHolderData: ['EMAIL_ADDRESS'],
    availablePushMethods: [{ type: 'WEB', uri: 'http://merchant.test/push' }],
  },
  {
    tokenRequestorId: C2P,
    name: 'Mastercard Click to Pay',
    consumerFacingEntityName: 'Click to Pay',
    tokenRequestorType: 'MERCHANT',
    enabledAccountRanges: [RANGE.padEnd(19, '0')],
    supportsMultiplePushedCards: false,
    supportedAccountHolderData: ['NAME', 'ADDRESS', 'EMAIL_ADDRESS', 'MOBILE_PHONE_NUMBER'],
  },
];

describe('provisioning service', () => {
  let database: Database<unknown>;
  let db: IssuerDb;
  const clock = new ManualClock(new Date('2026-11-25T10:00:00Z'));
  const push = vi.fn<(input: PushMultipleAccountsInput) => Promise<PushMultipleAccountsResponse>>();
  let service: ProvisioningService;
  let audit: AuditLog;
  let key = 0;
  const nextKey = () => `key-${String(++key).padStart(8, '0')}`;

  const receiptsFor = async (input: PushMultipleAccountsInput): Promise<PushMultipleAccountsResponse> => ({
    responseId: input.requestId ?? 'r',
    pushAccountReceipts: input.accounts.map((a) => ({
      pushAccountId: a.pushAccountId,
      pushAccountReceipt: `MCC-${a.pushAccountId}`,
    })),
    signature: 'eyJhbGciOiJSUzI1NiJ9.e30.c2ln',
  });

  beforeAll(async () => {
    database = await testDatabase();
    db = await prepareIssuerStore(database.db);
    audit = new AuditLog(db, clock);
    const directory = new TokenRequestorDirectory({
      client: {
        getEligibleTokenRequestors: async () => ({ responseId: 'r', tokenRequestors: tokenRequestors }),
        getAsset: async () => ({ mediaContents: [] }),
      },
      accountRanges: [RANGE],
      clickToPayTokenRequestorId: C2P,
      clock,
    });
    service = new ProvisioningService({
      repository: new ProvisioningRepository(db, testSealer()),
      audit,
      idempotency: new IdempotencyStore(db, clock),
      cards: {
        ownedCard: async (holder, id) => cards.find((c) => c.id === id && c.cardholderId === holder),
        listCards: async (holder) => cards.filter((c) => c.cardholderId === holder),
        revealCardData: async (id) => ({ pan: PANS[id] ?? '' }),
        profile: async () => profile,
      },
      directory,
      client: { pushMultipleAccounts: push },
      clock,
      issuerUrl: 'https://bank.test',
      accountRanges: [RANGE],
    });
  });
  afterAll(async () => database.close());
  beforeEach(() => {
    push.mockReset();
    push.mockImplementation(receiptsFor);
  });

  const pushTo = (tokenRequestorId: string, cardIds = ['crd_gb'], idempotencyKey = nextKey()) =>
    service.push({ cardholderId: 'chd_alice', cardIds, tokenRequestorId, consent: true, idempotencyKey });

  it("lists the cardholder's cards with eligibility and Click to Pay availability", async () => {
    const list = await service.cards('chd_alice');
    expect(list.map((c) => [c.id, c.eligible, c.clickToPay, c.refusal?.code ?? null])).toEqual([
      ['crd_gb', true, true, null],
      ['crd_blocked', false, false, 'CARD_NOT_ACTIVE'],
      ['crd_fr', false, false, 'CARD_COUNTRY_NOT_SERVED'],
    ]);
    expect(await service.cards('chd_bob')).toEqual([]);
  });

  it('lists Click to Pay first for an eligible card, and explains an ineligible one', async () => {
    const ok = await service.destinations('chd_alice', 'crd_gb');
    expect(ok.eligible).toBe(true);
    expect(ok.destinations.map((d) => [d.kind, d.name])).toEqual([
      ['click_to_pay', 'Click to Pay'],
      ['merchant', 'Demo Shop'],
    ]);
    const fr = await service.destinations('chd_alice', 'crd_fr');
    expect(fr).toMatchObject({
      eligible: false,
      refusal: { code: 'CARD_COUNTRY_NOT_SERVED' },
      destinations: [],
    });
    await expect(service.destinations('chd_bob', 'crd_gb')).rejects.toMatchObject({
      code: 'CARD_NOT_FOUND',
      status: 404,
    });
  });

  it('pushes to a merchant, hands back the redirect, and completes on the signed-in callback', async () => {
    const { status, view } = await pushTo(SHOP);
    expect(status).toBe(201);
    expect(view.state).toBe('receipt_issued');
    const redirect = new URL(view.redirectUrl ?? '');
    expect(redirect.origin + redirect.pathname).toBe('http://merchant.test/push');
    const receipt = redirect.searchParams.get('pushAccountReceipt');
    expect(receipt).toMatch(/^MCC-/);
    expect(redirect.searchParams.get('signature')).toBe('eyJhbGciOiJSUzI1NiJ9.e30.c2ln');
    const callback = new URL(redirect.searchParams.get('callbackURL') ?? '');
    expect(callback.pathname).toBe(`/v1/provisionings/${view.id}/callback`);

    // What went to Token Connect: the PAN (to be encrypted by the client), the email only, the callback.
    const sent = push.mock.calls[0]?.[0];
    expect(sent?.accounts[0]?.fundingAccountData.cardAccountData?.accountNumber).toBe(PANS.crd_gb);
    expect(sent?.accounts[0]?.fundingAccountData.accountHolderData).toEqual({
      accountHolderEmailAddress: 'alice@example.com',
    });
    expect(sent?.signatureData?.callbackURL).toBe(callback.toString());
    expect(sent?.pushAccountReceiptsValidityPeriod).toBe(15);

    const state = callback.searchParams.get('state') ?? '';
    await expect(service.merchantCallback('chd_bob', view.id, state, 'success')).rejects.toMatchObject({
      code: 'PROVISIONING_NOT_FOUND',
    });
    await expect(service.merchantCallback('chd_alice', view.id, 'forged', 'success')).rejects.toMatchObject({
      code: 'PROVISIONING_NOT_FOUND',
    });
    const done = await service.merchantCallback('chd_alice', view.id, state, 'success');
    expect(done.state).toBe('completed');
    expect(done.redirectUrl).toBeUndefined();
    // A repeated callback changes nothing.
    expect((await service.merchantCallback('chd_alice', view.id, state, 'failure')).state).toBe('completed');
    expect((await audit.history([view.id])).map((e) => e.action)).toEqual([
      'provisioning.requested',
      'provisioning.pushed',
      'provisioning.callback',
    ]);
  });

  it('enrols in Click to Pay with the full profile and waits for the enrolment to complete', async () => {
    const { view } = await pushTo(C2P);
    expect(view).toMatchObject({ state: 'enrolling', destination: 'click_to_pay' });
    expect(view.redirectUrl).toBeUndefined();
    expect(push.mock.calls[0]?.[0].accounts[0]?.fundingAccountData.accountHolderData).toMatchObject({
      accountHolderName: 'ALICE LIDDELL',
      accountHolderMobilePhoneNumber: { countryDialInCode: '44', phoneNumber: '7700900123' },
    });
    expect(push.mock.calls[0]?.[0].signatureData).toMatchObject({
      accountHolderDataSupplied: true,
      locale: 'en_GB',
    });
  });

  it('completes a Click to Pay enrolment when MDES reports the token, once, and only for our pushes', async () => {
    const { view } = await pushTo(C2P);
    const pushAccountId = push.mock.calls[0]?.[0].accounts[0]?.pushAccountId ?? '';
    const event = { pushAccountId, tokenRequestorId: C2P, tokenUniqueReference: 'DC2PMC0000000000000001' };
    expect(await service.tokenCreated({ ...event, tokenRequestorId: SHOP })).toBe(false);
    expect(await service.tokenCreated({ ...event, pushAccountId: 'not-ours' })).toBe(false);
    expect(await service.tokenCreated(event)).toBe(true);
    expect(await service.view('chd_alice', view.id)).toMatchObject({
      state: 'completed',
      cards: [{ state: 'completed' }],
    });
    expect(await service.tokenCreated(event)).toBe(true);
    expect(
      (await audit.history([view.id])).filter((e) => e.action === 'provisioning.token_created'),
    ).toHaveLength(1);
  });

  it('answers a retried request with the same provisioning and never pushes twice; refuses another body', async () => {
    const key = nextKey();
    const first = await pushTo(SHOP, ['crd_gb'], key);
    const again = await pushTo(SHOP, ['crd_gb'], key);
    expect(again.replayed).toBe(true);
    expect(again.view.id).toBe(first.view.id);
    expect(push).toHaveBeenCalledTimes(1);
    await expect(pushTo(C2P, ['crd_gb'], key)).rejects.toMatchObject({
      code: 'IDEMPOTENCY_KEY_REUSED',
      status: 422,
    });
  });

  it('refuses ineligible pushes with their own codes and writes nothing', async () => {
    const count = async () =>
      (await sql<{ n: number }>`select count(*) as n from provisionings`.execute(db)).rows[0]?.n;
    const before = await count();
    await expect(pushTo(SHOP, ['crd_blocked'])).rejects.toMatchObject({
      code: 'CARD_NOT_ACTIVE',
      status: 422,
    });
    await expect(pushTo(SHOP, ['crd_fr'])).rejects.toMatchObject({
      code: 'CARD_COUNTRY_NOT_SERVED',
      status: 422,
    });
    await expect(pushTo(SHOP, ['crd_gb', 'crd_fr'])).rejects.toMatchObject({
      code: 'MULTIPLE_CARDS_NOT_SUPPORTED',
    });
    await expect(pushTo('59999999999')).rejects.toMatchObject({ code: 'TOKEN_REQUESTOR_NOT_FOUND' });
    await expect(
      service.push({
        cardholderId: 'chd_alice',
        cardIds: ['crd_gb'],
        tokenRequestorId: SHOP,
        consent: false,
        idempotencyKey: nextKey(),
      }),
    ).rejects.toMatchObject({ code: 'CONSENT_REQUIRED', status: 400 });
    expect(await count()).toBe(before);
    expect(push).not.toHaveBeenCalled();
  });

  it('records a refusal from Mastercard as failed with its reason code', async () => {
    push.mockRejectedValueOnce(
      new TokenConnectError('TOKEN_CONNECT_REJECTED', {
        operation: 'pushMultipleAccounts',
        requestId: 'r',
        attempts: 1,
        recoverable: false,
        httpStatus: 200,
        errors: [{ source: 'MDES', reasonCode: 'ACCOUNT_INELIGIBLE' }],
      }),
    );
    const { view } = await pushTo(SHOP);
    expect(view).toMatchObject({ state: 'failed', error: { code: 'ACCOUNT_INELIGIBLE' } });
  });

  it('keeps an unanswered push pending, then reconciles it with the same requestId', async () => {
    push.mockRejectedValueOnce(
      new TokenConnectError('TOKEN_CONNECT_TIMEOUT', {
        operation: 'pushMultipleAccounts',
        requestId: 'r',
        attempts: 3,
        recoverable: true,
      }),
    );
    const { view } = await pushTo(SHOP);
    expect(view.state).toBe('pending');
    expect(await service.reconcile()).toBe(0); // too recent to touch
    clock.advance(31_000);
    expect(await service.reconcile()).toBe(1);
    expect(push).toHaveBeenCalledTimes(2);
    expect(push.mock.calls[1]?.[0].requestId).toBe(push.mock.calls[0]?.[0].requestId);
    expect(push.mock.calls[1]?.[0]).toEqual(push.mock.calls[0]?.[0]);
    expect((await service.view('chd_alice', view.id)).state).toBe('receipt_issued');
  });

  it('expires merchant pushes whose receipts ran out', async () => {
    const { view } = await pushTo(SHOP);
    clock.advance(14 * 60_000);
    await service.expireReceipts();
    expect((await service.view('chd_alice', view.id)).state).toBe('receipt_issued');
    clock.advance(60_000);
    expect(await service.expireReceipts()).toBeGreaterThanOrEqual(1);
    expect(await service.view('chd_alice', view.id)).toMatchObject({
      state: 'expired',
      error: { code: 'RECEIPT_EXPIRED' },
    });
  });

  it('fails a Click to Pay enrolment never reported once its receipts ran out, unless the issuer approved its token', async () => {
    const lost = (await pushTo(C2P)).view;
    const approved = (await pushTo(C2P)).view;
    // The issuer approved a tokenization of the second push: MDES's notification of its token will come.
    await audit.append({
      actor: 'mdes',
      action: 'tokenization.decided',
      subject: approved.id,
      outcome: 'APPROVED',
    });
    clock.advance(15 * 60_000);
    await service.expireReceipts();
    expect((await service.view('chd_alice', lost.id)).state).toBe('enrolling');
    // A grace period for a token created just in time.
    clock.advance(5 * 60_000);
    expect(await service.expireReceipts()).toBeGreaterThanOrEqual(1);
    expect(await service.view('chd_alice', lost.id)).toMatchObject({
      state: 'failed',
      error: { code: 'ENROLMENT_UNCONFIRMED' },
    });
    expect((await service.view('chd_alice', approved.id)).state).toBe('enrolling');
  });

  it('shows consent data masked, and keeps no card data or receipt in clear in any column', async () => {
    const consent = await service.consent('chd_alice', 'crd_gb', C2P);
    expect(consent.shared.map((s) => s.element)).toEqual([
      'NAME',
      'EMAIL_ADDRESS',
      'MOBILE_PHONE_NUMBER',
      'ADDRESS',
    ]);
    expect(JSON.stringify(consent)).not.toContain('alice@example.com');
    const dump = JSON.stringify(
      await Promise.all(
        ['provisionings', 'provisioning_cards', 'idempotency_keys', 'audit_log'].map(
          async (t) => (await sql.raw(`select * from ${t}`).execute(db)).rows,
        ),
      ),
    );
    expect(dump).not.toContain(PANS.crd_gb);
    expect(dump).not.toContain('MCC-');
    expect(dump).not.toContain('alice@example.com');
  });
});
