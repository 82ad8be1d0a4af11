import { sql } from 'kysely';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import type { Database } from '../../src/core/db.js';
import type { PushMultipleAccountsInput } from '../../src/mastercard/token-connect/client.js';
import { callbackWithResults, type ReceiptResult } from '../../src/mastercard/token-connect/handover.js';
import type {
  PushMultipleAccountsResponse,
  TokenRequestor,
} from '../../src/mastercard/token-connect/types.js';
import type { OwnedCard } from '../../src/service/ports.js';
import { ProvisioningService, type ProvisioningView } from '../../src/service/provisioning/index.js';
import { TokenRequestorDirectory } from '../../src/service/token-requestors.js';
import { AuditLog } from '../../src/store/audit.js';
import { IdempotencyStore } from '../../src/store/idempotency.js';
import { ProvisioningJobRepository } from '../../src/store/provisioning-jobs.js';
import { ProvisioningRepository } from '../../src/store/provisionings.js';
import { type IssuerDb, prepareIssuerStore } from '../../src/store/store.js';
import { fakeCardSource } from '../support/card-source.js';
import { testDatabase } from '../support/database.js';
import { ALICE_CARD, ALICE_PROFILE, demoShop } from '../support/provisioning-fixtures.js';
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
  ALICE_CARD,
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
const profile = ALICE_PROFILE;
const tokenRequestors: TokenRequestor[] = [
  demoShop(SHOP, RANGE),
  {
    tokenRequestorId: C2P,
    name: 'Mastercard Click to Pay',
    consumerFacingEntityName: 'Click to Pay',
    tokenRequestorType: 'MERCHANT',
    enabledAccountRanges: [RANGE.padEnd(19, '0')],
    supportsMultiplePushedCards: false,
    supportedAccountHolderData: ['NAME', 'ADDRESS', 'EMAIL_ADDRESS', 'MOBILE_PHONE_NUMBER'],
    availablePushMethods: [
      { type: 'WEB', uri: 'https://src.test/provision' },
      { type: 'ANDROID', uri: 'https://src.test/provision/android' },
    ],
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
      claims: new ProvisioningJobRepository(db, 60_000),
      audit,
      idempotency: new IdempotencyStore(db, clock),
      cards: fakeCardSource({
        ownedCard: async (holder, id) => cards.find((c) => c.id === id && c.cardholderId === holder),
        listCards: async (holder) => cards.filter((c) => c.cardholderId === holder),
        revealCardData: async (id) => ({ pan: PANS[id] ?? '' }),
        profile: async () => profile,
      }),
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

  /** The bank's callback URL of a push as the token requestor got it, with its results appended. */
  const callbackOf = (view: ProvisioningView) => {
    const link = new URL(view.redirectUrl ?? '');
    return new URL(link.searchParams.get('callbackURL') ?? '');
  };
  const returnWith = (
    cardholderId: string,
    view: ProvisioningView,
    results: ReceiptResult[],
    state?: string,
  ) => {
    const url = new URL(callbackWithResults(callbackOf(view).toString(), results));
    return service.callback(
      cardholderId,
      view.id,
      state ?? url.searchParams.get('state') ?? '',
      url.searchParams,
    );
  };
  const TUR = `DWSPMC00000000${'ab'.repeat(17)}`;

  it('hands the receipt, the callback URL and the flags over in clear when nothing is signed (MDESRQ p. 47–50)', async () => {
    const { status, view } = await pushTo(SHOP);
    expect(status).toBe(201);
    expect(view.state).toBe('receipt_issued');
    const redirect = new URL(view.redirectUrl ?? '');
    expect(redirect.origin + redirect.pathname).toBe('http://merchant.test/push');
    const receipt = redirect.searchParams.get('pushAccountReceipts');
    expect(receipt).toMatch(/^MCC-[^,]+$/);
    expect(redirect.searchParams.get('accountHolderDataSupplied')).toBe('true');
    expect(redirect.searchParams.get('locale')).toBe('en_GB');
    expect(redirect.searchParams.has('pushAccountData')).toBe(false);
    // The callback URL is URL-encoded in the query, as MDESRQ's example writes it.
    expect(redirect.search).toContain('callbackURL=https%3A%2F%2Fbank.test%2Fv1%2Fprovisionings%2F');
    expect(callbackOf(view).pathname).toBe(`/v1/provisionings/${view.id}/callback`);
    expect(view.pushLinks).toEqual([{ type: 'WEB', url: view.redirectUrl }]);

    // What went to Token Connect: the PAN (to be encrypted by the client), the email only, the callback.
    const sent = push.mock.calls[0]?.[0];
    expect(sent?.accounts[0]?.fundingAccountData.cardAccountData?.accountNumber).toBe(PANS.crd_gb);
    expect(sent?.accounts[0]?.fundingAccountData.accountHolderData).toEqual({
      accountHolderEmailAddress: 'alice@example.com',
    });
    expect(sent?.signatureData?.callbackURL).toBe(callbackOf(view).toString());
    expect(sent?.pushAccountReceiptsValidityPeriod).toBe(15);
  });

  it("sends the cardholder with MDES's JWS alone when the token requestor supports signatures (MDESRQ p. 41)", async () => {
    push.mockImplementation(async (input) => ({
      ...(await receiptsFor(input)),
      tokenRequestorSignatureSupport: true,
    }));
    const { view } = await pushTo(C2P);
    const link = new URL(view.redirectUrl ?? '');
    expect(link.origin + link.pathname).toBe('https://src.test/provision');
    expect([...link.searchParams]).toEqual([['pushAccountData', 'eyJhbGciOiJSUzI1NiJ9.e30.c2ln']]);
    // Every push method gets the same handover, for a bank app to choose by platform.
    expect(view.pushLinks?.map((l) => [l.type, new URL(l.url).pathname])).toEqual([
      ['WEB', '/provision'],
      ['ANDROID', '/provision/android'],
    ]);
  });

  it('checks the callback: the state token and the cardholder, well-formed results for this push only, and changes nothing otherwise', async () => {
    const { view } = await pushTo(SHOP);
    const receipt = new URL(view.redirectUrl ?? '').searchParams.get('pushAccountReceipts') ?? '';
    const approved = [{ receipt, result: 'APPROVED' as const, tokenUniqueReference: TUR }];
    await expect(returnWith('chd_bob', view, approved)).rejects.toMatchObject({
      code: 'PROVISIONING_NOT_FOUND',
    });
    await expect(returnWith('chd_alice', view, approved, 'forged')).rejects.toMatchObject({
      code: 'PROVISIONING_NOT_FOUND',
    });
    const state = callbackOf(view).searchParams.get('state') ?? '';
    const malformed = new URLSearchParams({ state, [`results[${receipt}]`]: 'MAYBE' });
    await expect(service.callback('chd_alice', view.id, state, malformed)).rejects.toMatchObject({
      code: 'CALLBACK_RESULTS_INVALID',
      status: 400,
    });
    const noToken = new URLSearchParams({ state, [`results[${receipt}]`]: 'APPROVED' });
    await expect(service.callback('chd_alice', view.id, state, noToken)).rejects.toMatchObject({
      code: 'CALLBACK_RESULTS_INVALID',
    });
    await expect(
      returnWith('chd_alice', view, [
        { receipt: 'MCC-11111111-2222-3333-4444-555555555555', result: 'CANCELLED' },
      ]),
    ).rejects.toMatchObject({ code: 'CALLBACK_RESULTS_INVALID' });
    // A callback without results (the token requestor had none to give) changes nothing either.
    expect((await returnWith('chd_alice', view, [])).state).toBe('receipt_issued');
    expect((await audit.history([view.id])).map((e) => e.action)).toEqual([
      'provisioning.requested',
      'provisioning.pushed',
    ]);
  });

  it("takes APPROVED as reported and completes only on MDES's notification of the token; a repeat changes nothing", async () => {
    const { view } = await pushTo(SHOP);
    const receipt = new URL(view.redirectUrl ?? '').searchParams.get('pushAccountReceipts') ?? '';
    const back = await returnWith('chd_alice', view, [
      { receipt, result: 'APPROVED', tokenUniqueReference: TUR },
    ]);
    expect(back).toMatchObject({
      state: 'receipt_issued',
      cards: [{ state: 'receipt_issued', reportedResult: 'APPROVED' }],
    });
    // Back at the bank: the page no longer offers the way to the token requestor.
    expect(back.redirectUrl).toBeUndefined();
    expect(
      await service.tokenCreated({
        provisioningId: view.id,
        cardId: 'crd_gb',
        tokenRequestorId: SHOP,
        tokenUniqueReference: TUR,
      }),
    ).toBe(true);
    const done = await service.view('chd_alice', view.id);
    expect(done).toMatchObject({ state: 'completed', cards: [{ state: 'completed', errorCode: null }] });
    expect((await returnWith('chd_alice', view, [{ receipt, result: 'CANCELLED' }])).state).toBe('completed');
    expect((await audit.history([view.id])).map((e) => e.action)).toEqual([
      'provisioning.requested',
      'provisioning.pushed',
      'provisioning.callback',
      'provisioning.token_created',
      'provisioning.settled',
    ]);
  });

  it.each([
    ['CANCELLED', 'CARDHOLDER_CANCELLED'],
    ['DECLINED', 'TOKENIZATION_DECLINED'],
    ['ERROR', 'TOKEN_REQUESTOR_ERROR'],
    ['DUPLICATE_REQUEST', 'ALREADY_SAVED'],
  ] as const)('ends the push on %s with %s', async (result, code) => {
    const { view } = await pushTo(SHOP);
    const receipt = new URL(view.redirectUrl ?? '').searchParams.get('pushAccountReceipts') ?? '';
    const back = await returnWith('chd_alice', view, [{ receipt, result }]);
    expect(back).toMatchObject({
      state: 'failed',
      error: { code },
      cards: [{ state: 'failed', errorCode: code }],
    });
  });

  it('ends REQUIRE_ADDITIONAL_AUTHENTICATION and DELETED with their codes, keeping the token named', async () => {
    for (const [result, code] of [
      ['REQUIRE_ADDITIONAL_AUTHENTICATION', 'ADDITIONAL_AUTHENTICATION_REQUIRED'],
      ['DELETED', 'TOKEN_DELETED_BY_TOKEN_REQUESTOR'],
    ] as const) {
      const { view } = await pushTo(SHOP);
      const receipt = new URL(view.redirectUrl ?? '').searchParams.get('pushAccountReceipts') ?? '';
      const back = await returnWith('chd_alice', view, [{ receipt, result, tokenUniqueReference: TUR }]);
      expect(back).toMatchObject({ state: 'failed', cards: [{ errorCode: code, reportedResult: result }] });
    }
  });

  it("does not take the token requestor's word alone: an APPROVED MDES never confirms ends TOKEN_UNCONFIRMED after a grace period", async () => {
    const { view } = await pushTo(SHOP);
    const receipt = new URL(view.redirectUrl ?? '').searchParams.get('pushAccountReceipts') ?? '';
    await returnWith('chd_alice', view, [{ receipt, result: 'APPROVED', tokenUniqueReference: TUR }]);
    clock.advance(15 * 60_000);
    await service.expireReceipts();
    expect((await service.view('chd_alice', view.id)).state).toBe('receipt_issued');
    clock.advance(5 * 60_000);
    expect(await service.expireReceipts()).toBeGreaterThanOrEqual(1);
    expect(await service.view('chd_alice', view.id)).toMatchObject({
      state: 'expired',
      error: { code: 'TOKEN_UNCONFIRMED' },
      cards: [{ state: 'failed', errorCode: 'TOKEN_UNCONFIRMED' }],
    });
    // MDES's notification arriving after all still completes it: the token exists.
    await service.tokenCreated({
      provisioningId: view.id,
      cardId: 'crd_gb',
      tokenRequestorId: SHOP,
      tokenUniqueReference: TUR,
    });
    expect((await service.view('chd_alice', view.id)).state).toBe('completed');
  });

  it('pushes to Click to Pay with the full profile, and expires a push nobody came back from', async () => {
    const { view } = await pushTo(C2P);
    expect(view).toMatchObject({ state: 'receipt_issued', destination: 'click_to_pay' });
    expect(push.mock.calls[0]?.[0].accounts[0]?.fundingAccountData.accountHolderData).toMatchObject({
      accountHolderName: 'ALICE LIDDELL',
      accountHolderMobilePhoneNumber: { countryDialInCode: '44', phoneNumber: '7700900123' },
    });
    expect(push.mock.calls[0]?.[0].signatureData).toMatchObject({
      accountHolderDataSupplied: true,
      locale: 'en_GB',
    });
    clock.advance(15 * 60_000);
    expect(await service.expireReceipts()).toBeGreaterThanOrEqual(1);
    expect(await service.view('chd_alice', view.id)).toMatchObject({
      state: 'expired',
      error: { code: 'RECEIPT_EXPIRED' },
    });
  });

  it("waits past the receipts for MDES's notification when the issuer approved a tokenization of the push", async () => {
    const approved = (await pushTo(C2P)).view;
    await audit.append({
      actor: 'mdes',
      action: 'tokenization.decided',
      subject: approved.id,
      outcome: 'APPROVED',
    });
    clock.advance(15 * 60_000);
    await service.expireReceipts();
    expect((await service.view('chd_alice', approved.id)).state).toBe('receipt_issued');
    const ids = { provisioningId: approved.id, cardId: 'crd_gb' };
    expect(await service.tokenCreated({ ...ids, tokenRequestorId: SHOP, tokenUniqueReference: TUR })).toBe(
      false,
    );
    expect(
      await service.tokenCreated({
        provisioningId: 'prv_notours00',
        cardId: 'crd_gb',
        tokenRequestorId: C2P,
        tokenUniqueReference: TUR,
      }),
    ).toBe(false);
    expect(await service.tokenCreated({ ...ids, tokenRequestorId: C2P, tokenUniqueReference: TUR })).toBe(
      true,
    );
    expect((await service.view('chd_alice', approved.id)).state).toBe('completed');
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
