import { randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import type { Clock } from '../core/clock.js';
import { NotFoundError, PushprovError, ValidationError } from '../core/errors.js';
import { newId } from '../core/ids.js';
import { accountHolderDataFor, consentPreview, tokenConnectLocale } from '../domain/account-holder.js';
import { accountRangeOf } from '../domain/account-ranges.js';
import { cardEligibility, eligibility } from '../domain/eligibility.js';
import { type DestinationKind, nextState, type ProvisioningEvent } from '../domain/provisioning.js';
import type { TokenConnectClient } from '../mastercard/token-connect/client.js';
import { TokenConnectError } from '../mastercard/token-connect/errors.js';
import type { PushMultipleAccountsResponse, TokenRequestor } from '../mastercard/token-connect/types.js';
import type { AuditLog } from '../store/audit.js';
import { type IdempotencyStore, requestFingerprint } from '../store/idempotency.js';
import type { Provisioning, ProvisioningRepository } from '../store/provisionings.js';
import { maskedCard } from './cards/cards.js';
import type { CardSource, OwnedCard } from './ports.js';
import type { TokenRequestorDirectory } from './token-requestors.js';

/**
 * The two push-provisioning use cases. Every push follows the same
 * discipline: check everything first (ownership, eligibility, consent), write
 * the record as `pending` with Mastercard's requestId fixed, call Token
 * Connect, then write what came back. A crash or a lost answer between those
 * steps leaves a `pending` record that `reconcile` finishes by asking again
 * with the same requestId — never by pushing anew.
 */
export interface ProvisioningServiceOptions {
  repository: ProvisioningRepository;
  audit: AuditLog;
  idempotency: IdempotencyStore;
  cards: CardSource;
  directory: TokenRequestorDirectory;
  client: Pick<TokenConnectClient, 'pushMultipleAccounts'>;
  clock: Clock;
  /** The issuer's public base URL; callback URLs are built on it. */
  issuerUrl: string;
  /** The issuer's MDES account ranges (prefixes). */
  accountRanges: readonly string[];
  receiptValidityMinutes?: number;
  /** How many times reconciliation asks again before declaring a push failed. */
  maxPushAttempts?: number;
}

export interface PushRequest {
  cardholderId: string;
  cardIds: string[];
  tokenRequestorId: string;
  consent: boolean;
  idempotencyKey: string;
}

export interface ProvisioningView {
  id: string;
  state: Provisioning['state'];
  destination: DestinationKind;
  tokenRequestor: { id: string; name: string };
  cards: { cardId: string; state: string; errorCode: string | null }[];
  /** Secure Card on File: where to send the cardholder next (while the receipts are valid). */
  redirectUrl?: string;
  receiptsExpireAt: string | null;
  error: { code: string; message: string } | null;
  createdAt: string;
  updatedAt: string;
}

export interface DestinationView {
  tokenRequestorId: string;
  name: string;
  kind: DestinationKind;
  logoAssetId: string | null;
  supportsMultipleCards: boolean;
  sharedData: string[];
}

export type MerchantOutcome = 'success' | 'failure' | 'cancelled';

const sameToken = (a: string, b: string) =>
  a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));
// The push payload is valid for 30 minutes, Mastercard's recommendation; it is
// derived from the record so a retry sends the very same request.
const PAYLOAD_VALIDITY_MS = 30 * 60 * 1000;
// How long after its receipts expire a Click to Pay enrolment may still be
// reported: MDES's notification of a token created just in time.
const ENROLMENT_GRACE_MS = 5 * 60 * 1000;

export class ProvisioningService {
  readonly #o: ProvisioningServiceOptions;

  constructor(options: ProvisioningServiceOptions) {
    this.#o = options;
  }

  /**
   * The cardholder's cards, each with whether it can be pushed now and
   * whether Click to Pay is among its destinations (for the banner and the
   * "Add to Click to Pay" button at parity with other wallets).
   */
  async cards(cardholderId: string) {
    const out = [];
    for (const card of await this.#o.cards.listCards(cardholderId)) {
      const range = await this.#accountRange(card.id);
      const check = cardEligibility({ ...card, accountRange: range }, this.#o.clock.now());
      const destinations = check.eligible && range ? await this.#o.directory.forAccountRange(range) : [];
      out.push({
        ...maskedCard(card),
        eligible: check.eligible && destinations.length > 0,
        refusal: check.eligible ? null : { code: check.code, message: check.message },
        clickToPay: destinations.some((tr) => this.#o.directory.isClickToPay(tr.tokenRequestorId)),
      });
    }
    return out;
  }

  /** One of the cardholder's cards, masked; CARD_NOT_FOUND for any other. */
  async card(cardholderId: string, cardId: string) {
    return maskedCard(await this.#ownedCard(cardholderId, cardId));
  }

  /** Where this card can go: Click to Pay first, then merchants, or why it cannot go anywhere. */
  async destinations(cardholderId: string, cardId: string) {
    const card = await this.#ownedCard(cardholderId, cardId);
    const range = await this.#accountRange(card.id);
    const check = cardEligibility({ ...card, accountRange: range }, this.#o.clock.now());
    const destinations =
      check.eligible && range
        ? (await this.#o.directory.forAccountRange(range)).map((tr) => this.#destinationView(tr))
        : [];
    return {
      card: maskedCard(card),
      eligible: check.eligible,
      refusal: check.eligible ? null : { code: check.code, message: check.message },
      destinations,
    };
  }

  /** What will be shared with a destination, masked for review before consent. */
  async consent(cardholderId: string, cardId: string, tokenRequestorId: string) {
    const card = await this.#ownedCard(cardholderId, cardId);
    const tr = await this.#o.directory.get(tokenRequestorId);
    await this.#assertEligible(card, tr);
    const profile = await this.#o.cards.profile(cardholderId);
    return {
      card: maskedCard(card),
      destination: this.#destinationView(tr),
      shared: consentPreview(profile, this.#sharedElements(tr)),
    };
  }

  async push(request: PushRequest): Promise<{ status: number; view: ProvisioningView; replayed: boolean }> {
    const { cardholderId, idempotencyKey } = request;
    const fingerprint = requestFingerprint({
      cardIds: request.cardIds,
      tokenRequestorId: request.tokenRequestorId,
      consent: request.consent,
    });
    const claim = await this.#o.idempotency.claim(cardholderId, idempotencyKey, fingerprint);
    if (claim.kind === 'replay') {
      const id = (claim.response.body as { id: string }).id;
      return { status: claim.response.status, view: await this.view(cardholderId, id), replayed: true };
    }
    let provisioning: Provisioning;
    try {
      provisioning = await this.#begin(request);
    } catch (error) {
      // Nothing was written: the same key may be used again once the problem is fixed.
      await this.#o.idempotency.release(cardholderId, idempotencyKey);
      throw error;
    }
    await this.#o.idempotency.complete(cardholderId, idempotencyKey, {
      status: 201,
      body: { id: provisioning.id },
    });
    await this.#send(provisioning);
    return { status: 201, view: await this.view(cardholderId, provisioning.id), replayed: false };
  }

  async view(cardholderId: string, id: string): Promise<ProvisioningView> {
    const p = await this.#o.repository.getOwned(cardholderId, id);
    if (!p) throw new NotFoundError('PROVISIONING_NOT_FOUND', 'no such provisioning');
    const redirectUrl =
      p.state === 'receipt_issued' && p.destination === 'merchant'
        ? await this.#o.repository.redirectUrl(p.id)
        : undefined;
    return {
      id: p.id,
      state: p.state,
      destination: p.destination,
      tokenRequestor: { id: p.tokenRequestorId, name: p.tokenRequestorName },
      cards: p.cards.map((c) => ({ cardId: c.cardId, state: c.state, errorCode: c.errorCode })),
      ...(redirectUrl && { redirectUrl }),
      receiptsExpireAt: p.receiptsExpireAt?.toISOString() ?? null,
      error: p.errorCode ? { code: p.errorCode, message: p.errorMessage ?? p.errorCode } : null,
      createdAt: p.createdAt.toISOString(),
      updatedAt: p.updatedAt.toISOString(),
    };
  }

  async list(cardholderId: string): Promise<ProvisioningView[]> {
    const records = await this.#o.repository.listByCardholder(cardholderId);
    return Promise.all(records.map((p) => this.view(cardholderId, p.id)));
  }

  /**
   * The cardholder is back from the merchant. The state token proves the
   * callback URL came from this push; the session proves it is the same
   * cardholder. A late or repeated callback changes nothing.
   */
  async merchantCallback(
    cardholderId: string,
    id: string,
    stateToken: string,
    outcome: MerchantOutcome,
    reason?: string,
  ) {
    const p = await this.#o.repository.getOwned(cardholderId, id);
    const expected = p && (await this.#o.repository.callbackToken(id));
    if (!p || !expected || !sameToken(stateToken, expected)) {
      throw new NotFoundError('PROVISIONING_NOT_FOUND', 'no such provisioning');
    }
    if (p.state !== 'receipt_issued') return this.view(cardholderId, id);
    const now = this.#o.clock.now();
    const to = nextState(
      p.state,
      outcome === 'success' ? { type: 'merchant_confirmed' } : { type: 'merchant_declined' },
    );
    const errorCode =
      outcome === 'success' ? null : outcome === 'cancelled' ? 'CARDHOLDER_CANCELLED' : 'MERCHANT_DECLINED';
    await this.#o.repository.db.transaction().execute(async (tx) => {
      const moved = await this.#o.repository.transition(
        id,
        p.state,
        to,
        now,
        {
          errorCode,
          errorMessage: errorCode && (reason ? `the merchant reported: ${reason.slice(0, 100)}` : errorCode),
          ...(to === 'completed' && { completedAt: now }),
        },
        tx,
      );
      if (!moved) return;
      for (const c of p.cards.filter((c) => c.state === 'receipt_issued')) {
        await this.#o.repository.updateCard(id, c.cardId, { state: to, errorCode }, tx);
      }
      await this.#o.audit.append(
        {
          actor: cardholderId,
          action: 'provisioning.callback',
          subject: id,
          outcome: to,
          details: { outcome, errorCode },
        },
        tx,
      );
    });
    return this.view(cardholderId, id);
  }

  /**
   * MDES reports a token created from one of our pushes (identified by the
   * pushAccountId we chose). That is the authoritative end of both use
   * cases: Click to Pay enrolment completes here, and a merchant push
   * completes even if the cardholder never comes back through the callback.
   * Returns false when the push is not ours; a repeat changes nothing.
   */
  async tokenCreated(event: {
    pushAccountId: string;
    tokenRequestorId: string;
    tokenUniqueReference: string;
  }): Promise<boolean> {
    const found = await this.#o.repository.findByPushAccountId(event.pushAccountId);
    if (!found || found.provisioning.tokenRequestorId !== event.tokenRequestorId) return false;
    const { provisioning: p, card } = found;
    if (card.tokenUniqueReference === event.tokenUniqueReference) return true;
    const now = this.#o.clock.now();
    await this.#o.repository.db.transaction().execute(async (tx) => {
      await this.#o.repository.lock(p.id, tx);
      await this.#o.repository.updateCard(
        p.id,
        card.cardId,
        { state: 'completed', tokenUniqueReference: event.tokenUniqueReference, errorCode: null },
        tx,
      );
      const open = p.state === 'enrolling' || p.state === 'receipt_issued';
      const event_: ProvisioningEvent =
        p.state === 'enrolling' ? { type: 'enrolment_confirmed' } : { type: 'merchant_confirmed' };
      if (open)
        await this.#o.repository.transition(
          p.id,
          p.state,
          nextState(p.state, event_),
          now,
          { completedAt: now },
          tx,
        );
      await this.#o.audit.append(
        {
          actor: 'mdes',
          action: 'provisioning.token_created',
          subject: p.id,
          outcome: open ? 'completed' : p.state,
          details: { cardId: card.cardId, tokenRequestorId: event.tokenRequestorId },
        },
        tx,
      );
    });
    return true;
  }

  /**
   * Ends pushes whose receipts ran out: a merchant push the cardholder did
   * not come back from (`expired`), and a Click to Pay enrolment that never
   * happened (`failed`, ENROLMENT_UNCONFIRMED). Mastercard sends no message
   * when Click to Pay cannot enrol a card, but a receipt cannot be redeemed
   * once expired: if the issuer approved no tokenization of the push by then
   * (and MDES's notification had a grace period to arrive), there will be no
   * token. An approved one is left to MDES's notification, which will come.
   */
  async expireReceipts(): Promise<number> {
    const now = this.#o.clock.now();
    let ended = 0;
    for (const id of await this.#o.repository.idsWithReceiptsExpiredBy('receipt_issued', now)) {
      const moved = await this.#end(id, 'receipt_issued', { type: 'receipt_expired' }, now, {
        code: 'RECEIPT_EXPIRED',
        message: 'the cardholder did not complete the merchant step before the receipt expired',
        action: 'provisioning.expired',
      });
      if (moved) ended++;
    }
    const graceEnded = new Date(now.getTime() - ENROLMENT_GRACE_MS);
    for (const id of await this.#o.repository.idsWithReceiptsExpiredBy('enrolling', graceEnded)) {
      const approved = (await this.#o.audit.history([id])).some(
        (e) => e.action === 'tokenization.decided' && e.outcome === 'APPROVED',
      );
      if (approved) continue;
      const moved = await this.#end(id, 'enrolling', { type: 'enrolment_declined' }, now, {
        code: 'ENROLMENT_UNCONFIRMED',
        message: 'Click to Pay did not enrol the card before its receipt expired',
        action: 'provisioning.failed',
      });
      if (moved) ended++;
    }
    return ended;
  }

  async #end(
    id: string,
    from: 'receipt_issued' | 'enrolling',
    event: ProvisioningEvent,
    now: Date,
    why: { code: string; message: string; action: string },
  ): Promise<boolean> {
    return this.#o.repository.db.transaction().execute(async (tx) => {
      const to = nextState(from, event);
      const ok = await this.#o.repository.transition(
        id,
        from,
        to,
        now,
        { errorCode: why.code, errorMessage: why.message },
        tx,
      );
      if (ok) {
        await this.#o.audit.append(
          { actor: 'system', action: why.action, subject: id, outcome: to, details: { errorCode: why.code } },
          tx,
        );
      }
      return ok;
    });
  }

  /**
   * Finishes pushes left `pending` by a crash or a lost answer: asks Token
   * Connect again with the same requestId (MDES answers a known requestId
   * with the same receipts), and gives up explicitly after maxPushAttempts.
   */
  async reconcile(olderThanMs = 30_000): Promise<number> {
    const cutoff = new Date(this.#o.clock.now().getTime() - olderThanMs);
    let settled = 0;
    for (const id of await this.#o.repository.idsInState('pending', cutoff)) {
      const p = await this.#o.repository.get(id);
      if (p?.state !== 'pending') continue;
      if (p.attempts >= (this.#o.maxPushAttempts ?? 5)) {
        await this.#settle(
          p,
          { type: 'push_refused' },
          'PUSH_UNCONFIRMED',
          'Mastercard did not confirm the push after several attempts',
        );
        settled++;
        continue;
      }
      await this.#send(p);
      const after = await this.#o.repository.get(id);
      if (after && after.state !== 'pending') settled++;
    }
    return settled;
  }

  async #begin(request: PushRequest): Promise<Provisioning> {
    const { cardholderId, cardIds, tokenRequestorId } = request;
    if (!request.consent) {
      throw new ValidationError(
        'CONSENT_REQUIRED',
        'the cardholder must consent to sharing the card and details',
      );
    }
    if (cardIds.length === 0 || cardIds.length > 5 || new Set(cardIds).size !== cardIds.length) {
      throw new ValidationError('CARDS_INVALID', 'push between 1 and 5 distinct cards');
    }
    const tr = await this.#o.directory.get(tokenRequestorId);
    if (cardIds.length > 1 && tr.supportsMultiplePushedCards !== true) {
      throw new ValidationError(
        'MULTIPLE_CARDS_NOT_SUPPORTED',
        `${tr.consumerFacingEntityName} accepts one card per push`,
      );
    }
    for (const cardId of cardIds) await this.#assertEligible(await this.#ownedCard(cardholderId, cardId), tr);

    const now = this.#o.clock.now();
    const id = newId('prv');
    const destination: DestinationKind = this.#o.directory.isClickToPay(tr.tokenRequestorId)
      ? 'click_to_pay'
      : 'merchant';
    await this.#o.repository.db.transaction().execute(async (tx) => {
      await this.#o.repository.create(
        {
          id,
          cardholderId,
          destination,
          tokenRequestorId: tr.tokenRequestorId,
          tokenRequestorName: tr.consumerFacingEntityName,
          requestId: randomUUID(),
          receiptValidityMinutes: this.#o.receiptValidityMinutes ?? 15,
          callbackToken: randomBytes(24).toString('base64url'),
          cards: cardIds.map((cardId) => ({ cardId, pushAccountId: randomUUID() })),
          now,
        },
        tx,
      );
      await this.#o.audit.append(
        {
          actor: cardholderId,
          action: 'provisioning.requested',
          subject: id,
          outcome: 'pending',
          details: { destination, tokenRequestorId: tr.tokenRequestorId, cardIds, consent: true },
        },
        tx,
      );
    });
    const created = await this.#o.repository.get(id);
    if (!created) throw new PushprovError('PROVISIONING_LOST', 'the provisioning record disappeared');
    return created;
  }

  async #send(p: Provisioning): Promise<void> {
    const tr = await this.#o.directory.get(p.tokenRequestorId);
    const profile = await this.#o.cards.profile(p.cardholderId);
    const holder = accountHolderDataFor(profile, this.#sharedElements(tr));
    const validUntil = new Date(p.createdAt.getTime() + PAYLOAD_VALIDITY_MS).toISOString();
    const accounts = [];
    for (const c of p.cards) {
      const card = await this.#o.cards.ownedCard(p.cardholderId, c.cardId);
      if (!card) throw new NotFoundError('CARD_NOT_FOUND', 'no such card');
      const { pan } = await this.#o.cards.revealCardData(c.cardId);
      accounts.push({
        pushAccountId: c.pushAccountId,
        fundingAccountData: {
          dataValidUntilTimestamp: validUntil,
          cardAccountData: {
            accountNumber: pan,
            expiryMonth: String(card.expiryMonth).padStart(2, '0'),
            expiryYear: String(card.expiryYear % 100).padStart(2, '0'),
          },
          ...(holder && { accountHolderData: holder }),
        },
      });
    }
    const callbackToken = await this.#o.repository.callbackToken(p.id);
    const callbackURL = `${this.#o.issuerUrl}/v1/provisionings/${p.id}/callback?state=${callbackToken}`;
    const locale = tokenConnectLocale(profile.locale);
    await this.#o.repository.countAttempt(p.id, this.#o.clock.now());
    let response: PushMultipleAccountsResponse;
    try {
      response = await this.#o.client.pushMultipleAccounts({
        requestId: p.requestId,
        tokenRequestorId: p.tokenRequestorId,
        accounts,
        pushAccountReceiptsValidityPeriod: p.receiptValidityMinutes,
        signatureData: {
          callbackURL,
          accountHolderDataSupplied: holder !== undefined,
          ...(locale && { locale }),
        },
      });
    } catch (error) {
      if (error instanceof TokenConnectError && !error.recoverable && !outcomeUnknown(error)) {
        await this.#settle(
          p,
          { type: 'push_refused' },
          error.reasonCode ?? error.code,
          pushFailureMessage(error),
        );
        return;
      }
      // Unknown outcome: stays pending for reconcile, which asks again with the same requestId.
      await this.#o.audit.append({
        actor: 'system',
        action: 'provisioning.push_uncertain',
        subject: p.id,
        outcome: 'pending',
        details: { code: error instanceof PushprovError ? error.code : 'UNEXPECTED' },
      });
      if (!(error instanceof TokenConnectError)) throw error;
      return;
    }
    await this.#recordReceipts(p, tr, response, callbackURL);
  }

  async #recordReceipts(
    p: Provisioning,
    tr: TokenRequestor,
    response: PushMultipleAccountsResponse,
    callbackURL: string,
  ) {
    const results = new Map((response.pushAccountReceipts ?? []).map((r) => [r.pushAccountId, r]));
    const receipts = p.cards.flatMap((c) => {
      const receipt = results.get(c.pushAccountId)?.pushAccountReceipt;
      return receipt ? [receipt] : [];
    });
    if (receipts.length === 0) {
      const first = (response.pushAccountReceipts ?? []).flatMap((r) => r.errors ?? [])[0];
      await this.#settle(
        p,
        { type: 'push_refused' },
        first?.reasonCode ?? 'NO_RECEIPT',
        'Mastercard returned no receipt',
      );
      return;
    }
    const now = this.#o.clock.now();
    const expiresAt = new Date(now.getTime() + p.receiptValidityMinutes * 60_000);
    const to = nextState(p.state, { type: 'receipts_issued', destination: p.destination });
    const redirectUrl =
      p.destination === 'merchant' ? merchantRedirect(tr, response, receipts, callbackURL) : undefined;
    await this.#o.repository.db.transaction().execute(async (tx) => {
      const moved = await this.#o.repository.transition(
        p.id,
        'pending',
        to,
        now,
        { receiptsExpireAt: expiresAt, ...(redirectUrl && { redirectUrl }) },
        tx,
      );
      if (!moved) return;
      for (const c of p.cards) {
        const result = results.get(c.pushAccountId);
        await this.#o.repository.updateCard(
          p.id,
          c.cardId,
          result?.pushAccountReceipt
            ? { state: 'receipt_issued', receipt: result.pushAccountReceipt }
            : { state: 'failed', errorCode: result?.errors?.[0]?.reasonCode ?? 'NO_RECEIPT' },
          tx,
        );
      }
      await this.#o.audit.append(
        {
          actor: 'system',
          action: 'provisioning.pushed',
          subject: p.id,
          outcome: to,
          details: { receipts: receipts.length, cards: p.cards.length, expiresAt: expiresAt.toISOString() },
        },
        tx,
      );
    });
  }

  async #settle(p: Provisioning, event: ProvisioningEvent, code: string, message: string): Promise<void> {
    const now = this.#o.clock.now();
    const to = nextState(p.state, event);
    await this.#o.repository.db.transaction().execute(async (tx) => {
      const moved = await this.#o.repository.transition(
        p.id,
        p.state,
        to,
        now,
        { errorCode: code, errorMessage: message },
        tx,
      );
      if (!moved) return;
      for (const c of p.cards)
        await this.#o.repository.updateCard(p.id, c.cardId, { state: 'failed', errorCode: code }, tx);
      await this.#o.audit.append(
        {
          actor: 'system',
          action: 'provisioning.push_failed',
          subject: p.id,
          outcome: to,
          details: { code },
        },
        tx,
      );
    });
  }

  async #ownedCard(cardholderId: string, cardId: string): Promise<OwnedCard> {
    const card = await this.#o.cards.ownedCard(cardholderId, cardId);
    if (!card) throw new NotFoundError('CARD_NOT_FOUND', 'no such card');
    return card;
  }

  async #accountRange(cardId: string): Promise<string | undefined> {
    const { pan } = await this.#o.cards.revealCardData(cardId);
    return accountRangeOf(pan, this.#o.accountRanges);
  }

  async #assertEligible(card: OwnedCard, tr: TokenRequestor): Promise<void> {
    const accountRange = await this.#accountRange(card.id);
    const result = eligibility({ ...card, accountRange }, tr, this.#o.clock.now());
    if (!result.eligible) {
      throw new PushprovError(result.code, result.message, { status: 422, details: { cardId: card.id } });
    }
  }

  #sharedElements(tr: TokenRequestor): string[] {
    return tr.supportedAccountHolderData ?? [];
  }

  #destinationView(tr: TokenRequestor): DestinationView {
    return {
      tokenRequestorId: tr.tokenRequestorId,
      name: tr.consumerFacingEntityName,
      kind: this.#o.directory.isClickToPay(tr.tokenRequestorId) ? 'click_to_pay' : 'merchant',
      logoAssetId: tr.imageAssetId ?? null,
      supportsMultipleCards: tr.supportsMultiplePushedCards === true,
      sharedData: this.#sharedElements(tr),
    };
  }
}

/** MDES accepted the push (2xx) but its answer could not be read: the receipts may exist. */
const outcomeUnknown = (error: TokenConnectError): boolean =>
  error.code === 'TOKEN_CONNECT_UNEXPECTED_RESPONSE' &&
  error.httpStatus !== undefined &&
  error.httpStatus >= 200 &&
  error.httpStatus < 300;

function pushFailureMessage(error: TokenConnectError): string {
  return error.reasonCode === 'ACCOUNT_INELIGIBLE'
    ? 'Mastercard reports this card is not eligible for this destination'
    : `Mastercard refused the push (${error.reasonCode ?? error.code})`;
}

/**
 * The token requestor's WEB push URI with the receipts, the callback URL and
 * MDES's signature appended, as the Secure Card on File flow describes.
 */
function merchantRedirect(
  tr: TokenRequestor,
  response: PushMultipleAccountsResponse,
  receipts: string[],
  callbackURL: string,
): string | undefined {
  const web = [...(response.availablePushMethods ?? []), ...(tr.availablePushMethods ?? [])].find(
    (m) => m.type === 'WEB',
  );
  if (!web) return undefined;
  const url = new URL(web.uri);
  for (const receipt of receipts) url.searchParams.append('pushAccountReceipt', receipt);
  url.searchParams.set('callbackURL', callbackURL);
  if (response.signature) url.searchParams.set('signature', response.signature);
  return url.toString();
}
