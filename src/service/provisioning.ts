import { randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import type { Transaction } from 'kysely';
import type { Clock } from '../core/clock.js';
import { ConflictError, NotFoundError, PushprovError, ValidationError } from '../core/errors.js';
import { newId } from '../core/ids.js';
import { accountHolderDataFor, consentPreview, tokenConnectLocale } from '../domain/account-holder.js';
import { accountRangeOf } from '../domain/account-ranges.js';
import { cardEligibility, eligibility } from '../domain/eligibility.js';
import {
  type CardState,
  type DestinationKind,
  nextState,
  type ProvisioningEvent,
  type ProvisioningState,
  reportedOutcome,
  settledBy,
} from '../domain/provisioning.js';
import type { TokenConnectClient } from '../mastercard/token-connect/client.js';
import { TokenConnectError } from '../mastercard/token-connect/errors.js';
import { type Handover, HandoverError, pushUrl, readResults } from '../mastercard/token-connect/handover.js';
import type {
  PushMethodType,
  PushMultipleAccountsResponse,
  TokenRequestor,
} from '../mastercard/token-connect/types.js';
import type { AuditLog } from '../store/audit.js';
import { type IdempotencyStore, requestFingerprint } from '../store/idempotency.js';
import type {
  Provisioning,
  ProvisioningCard,
  ProvisioningRepository,
  PushLinks,
} from '../store/provisionings.js';
import type { IssuerSchema } from '../store/schema.js';
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
  /** The token requestors holding a live token of a card (TokenRepository.liveTokenRequestors); none known without it. */
  savedAt?: (cardId: string) => Promise<readonly string[]>;
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
  cards: { cardId: string; state: CardState; errorCode: string | null; reportedResult: string | null }[];
  /** Where the bank's pages send the cardholder next: the WEB push link, while the receipts are valid. */
  redirectUrl?: string;
  /** Every push method's link, for a bank app to choose by platform (MDESRQ p. 37–38). */
  pushLinks?: { type: PushMethodType; url: string }[];
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

const sameToken = (a: string, b: string) =>
  a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));
// The push payload is valid for 30 minutes, Mastercard's recommendation; it is
// derived from the record so a retry sends the very same request.
const PAYLOAD_VALIDITY_MS = 30 * 60 * 1000;
// How long after its receipts expire a push whose token was approved (or
// reported by the token requestor) waits for MDES's notification of it.
const CONFIRMATION_GRACE_MS = 5 * 60 * 1000;

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
      const saved = await this.#savedAt(card.id);
      out.push({
        ...maskedCard(card),
        eligible: check.eligible && destinations.length > 0,
        refusal: check.eligible ? null : { code: check.code, message: check.message },
        clickToPay: destinations.some((tr) => this.#o.directory.isClickToPay(tr.tokenRequestorId)),
        inClickToPay: saved.some((id) => this.#o.directory.isClickToPay(id)),
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
    const saved = await this.#savedAt(card.id);
    const destinations =
      check.eligible && range
        ? (await this.#o.directory.forAccountRange(range)).map((tr) => ({
            ...this.#destinationView(tr),
            alreadyAdded: saved.includes(tr.tokenRequestorId),
          }))
        : [];
    return {
      card: maskedCard(card),
      eligible: check.eligible,
      refusal: check.eligible ? null : { code: check.code, message: check.message },
      destinations,
    };
  }

  /** What will be shared with a destination, for review before consent: masked, or whole for the bank's own page. */
  async consent(
    cardholderId: string,
    cardId: string,
    tokenRequestorId: string,
    show: 'masked' | 'own' = 'masked',
  ) {
    const card = await this.#ownedCard(cardholderId, cardId);
    const tr = await this.#o.directory.get(tokenRequestorId);
    await this.#assertEligible(card, tr);
    const profile = await this.#o.cards.profile(cardholderId);
    return {
      card: maskedCard(card),
      destination: this.#destinationView(tr),
      shared: consentPreview(profile, this.#sharedElements(tr), show),
    };
  }

  #savedAt(cardId: string): Promise<readonly string[]> {
    return this.#o.savedAt?.(cardId) ?? Promise.resolve([]);
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
      // The key is bound to the provisioning in the transaction that creates it.
      provisioning = await this.#begin(request, claim.claimedAt);
    } catch (error) {
      // Nothing was written (the key is bound only if the provisioning committed,
      // and release leaves a bound key alone): the same key may be used again.
      await this.#o.idempotency.release(cardholderId, idempotencyKey, claim.claimedAt);
      throw error;
    }
    await this.#send(provisioning);
    return { status: 201, view: await this.view(cardholderId, provisioning.id), replayed: false };
  }

  async view(cardholderId: string, id: string): Promise<ProvisioningView> {
    const p = await this.#o.repository.getOwned(cardholderId, id);
    if (!p) throw new NotFoundError('PROVISIONING_NOT_FOUND', 'no such provisioning');
    const open =
      p.state === 'receipt_issued' &&
      (p.receiptsExpireAt?.getTime() ?? 0) > this.#o.clock.now().getTime() &&
      p.cards.every((c) => c.reportedResult === null);
    const links = open ? await this.#o.repository.pushLinks(p.id) : {};
    const pushLinks = PUSH_METHOD_ORDER.flatMap((type) => {
      const url = links[type];
      return url ? [{ type, url }] : [];
    });
    return {
      id: p.id,
      state: p.state,
      destination: p.destination,
      tokenRequestor: { id: p.tokenRequestorId, name: p.tokenRequestorName },
      cards: p.cards.map((c) => ({
        cardId: c.cardId,
        state: c.state,
        errorCode: c.errorCode,
        reportedResult: c.reportedResult,
      })),
      ...(links.WEB && { redirectUrl: links.WEB }),
      ...(pushLinks.length > 0 && { pushLinks }),
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
   * The cardholder is back from the token requestor with one result per
   * receipt (MDESRQ p. 51). The state token proves the callback URL came
   * from this push, the session that it is the same cardholder. A result
   * naming a token is recorded and waits for MDES to confirm the token;
   * any other result ends its card. A malformed result, or one for a
   * receipt of another push, is refused and changes nothing; a late or
   * repeated callback changes nothing either.
   */
  async callback(cardholderId: string, id: string, stateToken: string, query: URLSearchParams) {
    const p = await this.#o.repository.getOwned(cardholderId, id);
    const expected = p && (await this.#o.repository.callbackToken(id));
    if (!p || !expected || !sameToken(stateToken, expected)) {
      throw new NotFoundError('PROVISIONING_NOT_FOUND', 'no such provisioning');
    }
    let results: ReturnType<typeof readResults>;
    try {
      results = readResults(query);
    } catch (error) {
      if (!(error instanceof HandoverError)) throw error;
      throw new ValidationError('CALLBACK_RESULTS_INVALID', error.message);
    }
    const receipts = await this.#o.repository.receipts(id);
    if (results.some((r) => !receipts.has(r.receipt))) {
      throw new ValidationError('CALLBACK_RESULTS_INVALID', 'a result names a receipt of another push');
    }
    if (results.length === 0 || p.state === 'pending') return this.view(cardholderId, id);
    const now = this.#o.clock.now();
    await this.#o.repository.db.transaction().execute(async (tx) => {
      await this.#o.repository.lock(id, tx);
      const current = await this.#o.repository.get(id, tx);
      if (!current) return;
      const cards = new Map(current.cards.map((c) => [c.cardId, c]));
      const recorded: { cardId: string; result: string; mismatch?: true }[] = [];
      for (const result of results) {
        const card = cards.get(receipts.get(result.receipt) ?? '');
        // A repeated callback, or one for a card that already failed, changes nothing.
        if (!card || card.reportedResult !== null || card.state === 'failed') continue;
        const outcome = reportedOutcome(result.result);
        // Only an open card takes the token requestor's failure; MDES's token outranks it.
        const fails = 'failed' in outcome && card.state === 'receipt_issued';
        const next: ProvisioningCard = fails
          ? { ...card, state: 'failed', errorCode: outcome.failed, reportedResult: result.result }
          : { ...card, reportedResult: result.result };
        await this.#o.repository.updateCard(
          id,
          card.cardId,
          {
            state: next.state,
            reported: { result: result.result, tokenUniqueReference: result.tokenUniqueReference },
            ...(fails && { errorCode: outcome.failed }),
          },
          tx,
        );
        cards.set(card.cardId, next);
        const mismatch =
          card.tokenUniqueReference !== null &&
          result.tokenUniqueReference !== undefined &&
          card.tokenUniqueReference !== result.tokenUniqueReference;
        recorded.push({
          cardId: card.cardId,
          result: result.result,
          ...(mismatch && { mismatch: true as const }),
        });
      }
      if (recorded.length === 0) return;
      await this.#o.audit.append(
        {
          actor: cardholderId,
          action: 'provisioning.callback',
          subject: id,
          outcome: current.state,
          details: { results: recorded },
        },
        tx,
      );
      if (current.state === 'receipt_issued') await this.#settleIfDone(current, [...cards.values()], now, tx);
    });
    return this.view(cardholderId, id);
  }

  /**
   * MDES reports a token created from one of our pushes (the push its
   * Authorize Service decision matched). That is the authoritative end of a card's
   * push, whether or not the cardholder came back through the callback; the
   * push completes once every card has an outcome. Returns false when the
   * push is not ours; a repeat changes nothing.
   */
  async tokenCreated(event: {
    provisioningId: string;
    cardId: string;
    tokenRequestorId: string;
    tokenUniqueReference: string;
  }): Promise<boolean> {
    const found = await this.#o.repository.findCard(event.provisioningId, event.cardId);
    if (!found || found.provisioning.tokenRequestorId !== event.tokenRequestorId) return false;
    const { provisioning: p, card } = found;
    if (card.tokenUniqueReference === event.tokenUniqueReference) return true;
    const now = this.#o.clock.now();
    await this.#o.repository.db.transaction().execute(async (tx) => {
      await this.#o.repository.lock(p.id, tx);
      const current = (await this.#o.repository.get(p.id, tx)) ?? p;
      await this.#o.repository.updateCard(
        p.id,
        card.cardId,
        { state: 'completed', tokenUniqueReference: event.tokenUniqueReference, errorCode: null },
        tx,
      );
      const reported = current.cards.find((c) => c.cardId === card.cardId)?.reportedTokenUniqueReference;
      await this.#o.audit.append(
        {
          actor: 'mdes',
          action: 'provisioning.token_created',
          subject: p.id,
          outcome: current.state,
          details: {
            cardId: card.cardId,
            tokenRequestorId: event.tokenRequestorId,
            // The token requestor named another token than the one MDES made: worth a look, never trusted.
            ...(reported && reported !== event.tokenUniqueReference && { reportedTokenMismatch: true }),
          },
        },
        tx,
      );
      const cards = current.cards.map((c) =>
        c.cardId === card.cardId ? { ...c, state: 'completed' as const } : c,
      );
      await this.#settleIfDone(current, cards, now, tx);
    });
    return true;
  }

  /** Moves the push to what its cards add up to, once none is open; audited. */
  async #settleIfDone(
    p: Provisioning,
    cards: readonly { state: CardState; errorCode: string | null }[],
    now: Date,
    tx: Transaction<IssuerSchema>,
  ): Promise<void> {
    const event = settledBy(cards);
    if (!event) return;
    let to: ProvisioningState;
    try {
      to = nextState(p.state, event);
    } catch {
      return; // Already where the cards say (a completed push hearing of its second token).
    }
    const errorCode =
      event.type === 'all_refused' ? (cards.find((c) => c.errorCode)?.errorCode ?? null) : null;
    const moved = await this.#o.repository.transition(
      p.id,
      p.state,
      to,
      now,
      to === 'completed'
        ? { completedAt: now, errorCode: null, errorMessage: null }
        : { errorCode, errorMessage: errorCode && CARD_FAILURES[errorCode] },
      tx,
    );
    if (moved) {
      await this.#o.audit.append(
        {
          actor: 'system',
          action: 'provisioning.settled',
          subject: p.id,
          outcome: to,
          details: { errorCode },
        },
        tx,
      );
    }
  }

  /**
   * Ends pushes whose receipts ran out before every card had an outcome.
   * A receipt cannot be redeemed once expired, so a card nobody reported
   * on will get no token. A card whose tokenization was approved, or that
   * the token requestor says it tokenized, is given a grace period for
   * MDES's notification first; if none came, the token requestor's word is
   * not taken (TOKEN_UNCONFIRMED). The push then completes if MDES made a
   * token for one of its cards, and is `expired` otherwise.
   */
  async expireReceipts(): Promise<number> {
    const now = this.#o.clock.now();
    const graceEnded = now.getTime() - CONFIRMATION_GRACE_MS;
    let ended = 0;
    for (const id of await this.#o.repository.idsWithReceiptsExpiredBy(now)) {
      const p = await this.#o.repository.get(id);
      if (p?.state !== 'receipt_issued') continue;
      const open = p.cards.filter((c) => c.state === 'receipt_issued');
      const awaited =
        open.some((c) => c.reportedResult !== null) ||
        (await this.#o.audit.history([id])).some(
          (e) => e.action === 'tokenization.decided' && e.outcome === 'APPROVED',
        );
      if (awaited && (p.receiptsExpireAt?.getTime() ?? 0) > graceEnded) continue;
      const moved = await this.#o.repository.db.transaction().execute(async (tx) => {
        await this.#o.repository.lock(id, tx);
        const current = await this.#o.repository.get(id, tx);
        if (current?.state !== 'receipt_issued') return false;
        const cards = current.cards.map((c) => {
          if (c.state !== 'receipt_issued') return c;
          const code = c.reportedResult === null ? 'RECEIPT_EXPIRED' : 'TOKEN_UNCONFIRMED';
          return { ...c, state: 'failed' as const, errorCode: code };
        });
        for (const c of cards.filter((c) => open.some((o) => o.cardId === c.cardId))) {
          await this.#o.repository.updateCard(id, c.cardId, { state: c.state, errorCode: c.errorCode }, tx);
        }
        const completed = cards.some((c) => c.state === 'completed');
        const to = nextState(
          current.state,
          completed ? { type: 'tokens_confirmed' } : { type: 'receipt_expired' },
        );
        const code = completed ? null : (cards.find((c) => c.errorCode)?.errorCode ?? 'RECEIPT_EXPIRED');
        await this.#o.repository.transition(
          id,
          current.state,
          to,
          now,
          completed ? { completedAt: now } : { errorCode: code, errorMessage: code && CARD_FAILURES[code] },
          tx,
        );
        await this.#o.audit.append(
          {
            actor: 'system',
            action: 'provisioning.expired',
            subject: id,
            outcome: to,
            details: { errorCode: code },
          },
          tx,
        );
        return true;
      });
      if (moved) ended++;
    }
    return ended;
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

  async #begin(request: PushRequest, claimedAt: Date): Promise<Provisioning> {
    const { cardholderId, cardIds, tokenRequestorId, idempotencyKey } = request;
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
    for (const cardId of cardIds) {
      await this.#assertEligible(await this.#ownedCard(cardholderId, cardId), tr);
      // One Click to Pay profile holds a card once: a second push would only make a duplicate entry.
      if (
        this.#o.directory.isClickToPay(tr.tokenRequestorId) &&
        (await this.#savedAt(cardId)).includes(tr.tokenRequestorId)
      ) {
        throw new ConflictError('ALREADY_ADDED', 'this card is already in Click to Pay');
      }
    }

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
      // Bound here, not after the commit: a crash in between would leave a push
      // that a retry with the same key could not find, and would push again.
      await this.#o.idempotency.complete(
        cardholderId,
        idempotencyKey,
        { status: 201, body: { id } },
        { tx, claimedAt },
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
    // What MDES signs for the token requestor, and what it is told in clear when nothing is signed.
    const handover = {
      callbackURL,
      accountHolderDataSupplied: holder !== undefined,
      ...(locale && { locale }),
    };
    await this.#o.repository.countAttempt(p.id, this.#o.clock.now());
    let response: PushMultipleAccountsResponse;
    try {
      response = await this.#o.client.pushMultipleAccounts({
        requestId: p.requestId,
        tokenRequestorId: p.tokenRequestorId,
        accounts,
        pushAccountReceiptsValidityPeriod: p.receiptValidityMinutes,
        signatureData: handover,
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
    await this.#recordReceipts(p, tr, response, handover);
  }

  async #recordReceipts(
    p: Provisioning,
    tr: TokenRequestor,
    response: PushMultipleAccountsResponse,
    handover: Omit<Handover, 'pushAccountReceipts'>,
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
    const to = nextState(p.state, { type: 'receipts_issued' });
    const pushLinks = handoverLinks(tr, response, { ...handover, pushAccountReceipts: receipts });
    await this.#o.repository.db.transaction().execute(async (tx) => {
      const moved = await this.#o.repository.transition(
        p.id,
        'pending',
        to,
        now,
        { receiptsExpireAt: expiresAt, pushLinks },
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

/** The order a bank app is offered the push links in. */
const PUSH_METHOD_ORDER: readonly PushMethodType[] = ['WEB', 'ANDROID', 'IOS'];

/**
 * Each of the token requestor's push URIs with the handover MDESRQ
 * specifies appended: MDES's signature alone when the token requestor
 * supports it and MDES returned one (the receipts and the callback URL are
 * inside it), the parameters in clear otherwise.
 */
function handoverLinks(
  tr: TokenRequestor,
  response: PushMultipleAccountsResponse,
  handover: Handover,
): PushLinks {
  const signed = response.tokenRequestorSignatureSupport === true && response.signature !== undefined;
  const methods = response.availablePushMethods?.length
    ? response.availablePushMethods
    : (tr.availablePushMethods ?? []);
  const links: PushLinks = {};
  for (const method of methods) {
    links[method.type] ??= pushUrl(method.uri, signed ? { jws: response.signature ?? '' } : handover);
  }
  return links;
}

/** How a card's failure reads in the provisioning's error message (the code is the contract). */
const CARD_FAILURES: Record<string, string> = {
  RECEIPT_EXPIRED: 'the cardholder did not finish at the token requestor before the receipt expired',
  TOKEN_UNCONFIRMED: 'the token requestor reported a token that Mastercard did not confirm',
  ADDITIONAL_AUTHENTICATION_REQUIRED: 'the token requestor reports the card needs more authentication',
  TOKENIZATION_DECLINED: 'the token requestor reports the tokenization was declined',
  CARDHOLDER_CANCELLED: 'the cardholder or the token requestor cancelled',
  TOKEN_DELETED_BY_TOKEN_REQUESTOR: 'the token requestor deleted the token after a failed authentication',
  ALREADY_SAVED: 'the card was already saved there',
  TOKEN_REQUESTOR_ERROR: 'the token requestor reports an error',
};
