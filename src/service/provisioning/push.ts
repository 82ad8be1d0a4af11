import { randomBytes, randomUUID } from 'node:crypto';
import { ConflictError, NotFoundError, PushprovError, ValidationError } from '../../core/errors.js';
import { newId } from '../../core/ids.js';
import { labelStatementScope } from '../../core/statements.js';
import {
  accountHolderDataFor,
  type CardholderProfile,
  tokenConnectLocale,
} from '../../domain/account-holder.js';
import { type DestinationKind, nextState } from '../../domain/provisioning.js';
import { TokenConnectError } from '../../mastercard/token-connect/errors.js';
import { type Handover, pushUrl } from '../../mastercard/token-connect/handover.js';
import type { PushMultipleAccountsResponse, TokenRequestor } from '../../mastercard/token-connect/types.js';
import { requestFingerprint } from '../../store/idempotency.js';
import type { CardOutcome, Provisioning, PushLinks } from '../../store/provisionings.js';
import type { OwnedCard } from '../ports.js';
import { type CardChecks, sharedElements } from './card-checks.js';
import type { ProvisioningServiceOptions } from './options.js';
import type { ProvisioningQueries, ProvisioningView } from './queries.js';
import type { Settlement } from './settlement.js';

export interface PushRequest {
  cardholderId: string;
  cardIds: string[];
  tokenRequestorId: string;
  consent: boolean;
  idempotencyKey: string;
}

// The push payload is valid for 30 minutes, Mastercard's recommendation; it is
// derived from the record so a retry sends the very same request.
const PAYLOAD_VALIDITY_MS = 30 * 60 * 1000;

/**
 * The push itself. Every push follows the same discipline: check everything
 * first (ownership, eligibility, consent), write the record as `pending` with
 * Mastercard's requestId fixed, call Token Connect, then write what came
 * back. A crash or a lost answer between those steps leaves a `pending`
 * record that reconciliation finishes by sending it again with the same
 * requestId — never by pushing anew.
 */
export class PushCommand {
  readonly #options: ProvisioningServiceOptions;
  readonly #checks: CardChecks;
  readonly #queries: ProvisioningQueries;
  readonly #settlement: Settlement;

  constructor(
    options: ProvisioningServiceOptions,
    parts: { checks: CardChecks; queries: ProvisioningQueries; settlement: Settlement },
  ) {
    this.#options = options;
    this.#checks = parts.checks;
    this.#queries = parts.queries;
    this.#settlement = parts.settlement;
  }

  async push(request: PushRequest): Promise<{ status: number; view: ProvisioningView; replayed: boolean }> {
    const { cardholderId, idempotencyKey } = request;
    const { idempotency, directory, repository, audit } = this.#options;
    labelStatementScope(
      directory.isClickToPay(request.tokenRequestorId) ? 'push.click_to_pay' : 'push.merchant',
    );
    const fingerprint = requestFingerprint({
      cardIds: request.cardIds,
      tokenRequestorId: request.tokenRequestorId,
      consent: request.consent,
    });
    // Read before the transaction, judged only inside it once the key is ours:
    // a replay answers as before even if the card has changed since.
    const read = await this.#read(request).then(
      (value) => ({ value }),
      (error: unknown) => ({ error }),
    );
    const id = newId('prv');
    for (let attempt = 0; ; attempt++) {
      const created = await repository.transaction(async (tx) => {
        // The key is bound in the transaction that creates the provisioning: both or neither.
        const bound = await idempotency.bind(
          cardholderId,
          idempotencyKey,
          fingerprint,
          { status: 201, body: { id } },
          tx,
        );
        if (!bound) return undefined;
        if ('error' in read) throw read.error;
        const { record, details } = this.#newRecord(request, id, read.value);
        const p = await repository.create(record, tx);
        await audit.append(
          {
            actor: cardholderId,
            action: 'provisioning.requested',
            subject: id,
            outcome: 'pending',
            details,
          },
          tx,
        );
        return { p, callbackToken: record.callbackToken };
      });
      if (created) {
        const { p, callbackToken } = created;
        if ('error' in read) throw read.error;
        const sent = await this.#send(p, { ...read.value, callbackToken });
        return {
          status: 201,
          view: sent
            ? this.#queries.viewOf(sent.p, sent.links)
            : await this.#queries.view(cardholderId, p.id),
          replayed: false,
        };
      }
      // Taken: answered before (replay), refused (another body, or a run still going), or
      // freed meanwhile by a run that rolled back; then `claim` has just claimed it for us.
      const claim = await idempotency.claim(cardholderId, idempotencyKey, fingerprint);
      if (claim.kind === 'replay') {
        const replayed = (claim.response.body as { id: string }).id;
        return {
          status: claim.response.status,
          view: await this.#queries.view(cardholderId, replayed),
          replayed: true,
        };
      }
      await idempotency.release(cardholderId, idempotencyKey, claim.claimedAt);
      if (attempt > 0) {
        throw new ConflictError(
          'IDEMPOTENCY_IN_PROGRESS',
          'a request with this Idempotency-Key is still being processed; retry shortly',
        );
      }
    }
  }

  /** Sends a `pending` push to Token Connect (again, with its requestId, when reconciling) and records the answer. */
  async send(p: Provisioning): Promise<void> {
    const { directory, cards, repository, clock } = this.#options;
    const tr = await directory.get(p.tokenRequestorId);
    const { cards: owned, profile } = await cards.forPush(
      p.cardholderId,
      p.cards.map((c) => c.cardId),
    );
    const callbackToken = await repository.callbackToken(p.id);
    if (!profile || callbackToken === undefined) throw new NotFoundError('CARD_NOT_FOUND', 'no such card');
    await repository.countAttempt(p.id, clock.now());
    await this.#send(p, { tr, cards: owned, profile, callbackToken });
  }

  /** Everything the push reads, before any of it is judged. */
  async #read(request: PushRequest): Promise<PushReads> {
    const { directory, cards } = this.#options;
    const tr = await directory.get(request.tokenRequestorId);
    const { cards: owned, profile } = await cards.forPush(request.cardholderId, request.cardIds);
    const saved = directory.isClickToPay(tr.tokenRequestorId)
      ? await Promise.all(owned.map(async (c) => ({ cardId: c.id, at: await this.#checks.savedAt(c.id) })))
      : [];
    return { tr, cards: owned, profile, saved };
  }

  /** The new record, once every check passed; throws the first that fails. */
  #newRecord(request: PushRequest, id: string, read: PushReads) {
    const { cardholderId, cardIds } = request;
    const { directory, clock } = this.#options;
    const { tr } = read;
    if (!request.consent) {
      throw new ValidationError(
        'CONSENT_REQUIRED',
        'the cardholder must consent to sharing the card and details',
      );
    }
    if (cardIds.length === 0 || cardIds.length > 5 || new Set(cardIds).size !== cardIds.length) {
      throw new ValidationError('CARDS_INVALID', 'push between 1 and 5 distinct cards');
    }
    if (cardIds.length > 1 && tr.supportsMultiplePushedCards !== true) {
      throw new ValidationError(
        'MULTIPLE_CARDS_NOT_SUPPORTED',
        `${tr.consumerFacingEntityName} accepts one card per push`,
      );
    }
    const clickToPay = directory.isClickToPay(tr.tokenRequestorId);
    for (const cardId of cardIds) {
      const card = read.cards.find((c) => c.id === cardId);
      if (!card) throw new NotFoundError('CARD_NOT_FOUND', 'no such card');
      this.#checks.assertEligibleWith(card, card.pan, tr);
      // One Click to Pay profile holds a card once: a second push would only make a duplicate entry.
      if (clickToPay && read.saved.find((s) => s.cardId === cardId)?.at.includes(tr.tokenRequestorId)) {
        throw new ConflictError('ALREADY_ADDED', 'this card is already in Click to Pay');
      }
    }
    const destination: DestinationKind = clickToPay ? 'click_to_pay' : 'merchant';
    const record = {
      id,
      cardholderId,
      destination,
      tokenRequestorId: tr.tokenRequestorId,
      tokenRequestorName: tr.consumerFacingEntityName,
      requestId: randomUUID(),
      receiptValidityMinutes: this.#options.receiptValidityMinutes ?? 15,
      callbackToken: randomBytes(24).toString('base64url'),
      cards: cardIds.map((cardId) => ({ cardId, pushAccountId: randomUUID() })),
      now: clock.now(),
      // Counted now, in the transaction that writes it: the first send follows at once.
      attempts: 1,
    };
    return {
      record,
      details: { destination, tokenRequestorId: tr.tokenRequestorId, cardIds, consent: true },
    };
  }

  /**
   * Calls Token Connect for a push whose attempt is already counted, and
   * records the answer. Returns the push as recorded with its links when
   * receipts came back, undefined otherwise (failed, or left for reconcile).
   */
  async #send(p: Provisioning, parts: SendParts): Promise<{ p: Provisioning; links: PushLinks } | undefined> {
    const { client, audit } = this.#options;
    const { tr, profile } = parts;
    if (!profile) throw new NotFoundError('CARD_NOT_FOUND', 'no such card');
    const holder = accountHolderDataFor(profile, sharedElements(tr));
    const validUntil = new Date(p.createdAt.getTime() + PAYLOAD_VALIDITY_MS).toISOString();
    const accounts = [];
    for (const c of p.cards) {
      const card = parts.cards.find((owned) => owned.id === c.cardId);
      if (!card) throw new NotFoundError('CARD_NOT_FOUND', 'no such card');
      accounts.push({
        pushAccountId: c.pushAccountId,
        fundingAccountData: {
          dataValidUntilTimestamp: validUntil,
          cardAccountData: {
            accountNumber: card.pan,
            expiryMonth: String(card.expiryMonth).padStart(2, '0'),
            expiryYear: String(card.expiryYear % 100).padStart(2, '0'),
          },
          ...(holder && { accountHolderData: holder }),
        },
      });
    }
    const callbackURL = `${this.#options.issuerUrl}/v1/provisionings/${p.id}/callback?state=${parts.callbackToken}`;
    const locale = tokenConnectLocale(profile.locale);
    // What MDES signs for the token requestor, and what it is told in clear when nothing is signed.
    const handover = {
      callbackURL,
      accountHolderDataSupplied: holder !== undefined,
      ...(locale && { locale }),
    };
    let response: PushMultipleAccountsResponse;
    try {
      response = await client.pushMultipleAccounts({
        requestId: p.requestId,
        tokenRequestorId: p.tokenRequestorId,
        accounts,
        pushAccountReceiptsValidityPeriod: p.receiptValidityMinutes,
        signatureData: handover,
      });
    } catch (error) {
      if (error instanceof TokenConnectError && !error.recoverable && !outcomeUnknown(error)) {
        await this.#settlement.fail(
          p,
          { type: 'push_refused' },
          error.reasonCode ?? error.code,
          pushFailureMessage(error),
        );
        return undefined;
      }
      // Unknown outcome, or not sent at all (the signing HSM gone, HSM_UNAVAILABLE rethrown for the
      // caller's 503): stays pending for reconcile, which sends again with the same requestId.
      await audit.append({
        actor: 'system',
        action: 'provisioning.push_uncertain',
        subject: p.id,
        outcome: 'pending',
        details: { code: error instanceof PushprovError ? error.code : 'UNEXPECTED' },
      });
      if (!(error instanceof TokenConnectError)) throw error;
      return undefined;
    }
    return this.#recordReceipts(p, tr, response, handover);
  }

  async #recordReceipts(
    p: Provisioning,
    tr: TokenRequestor,
    response: PushMultipleAccountsResponse,
    handover: Omit<Handover, 'pushAccountReceipts'>,
  ): Promise<{ p: Provisioning; links: PushLinks } | undefined> {
    const { repository, audit, clock } = this.#options;
    const results = new Map((response.pushAccountReceipts ?? []).map((r) => [r.pushAccountId, r]));
    const receipts = p.cards.flatMap((c) => {
      const receipt = results.get(c.pushAccountId)?.pushAccountReceipt;
      return receipt ? [receipt] : [];
    });
    if (receipts.length === 0) {
      const first = (response.pushAccountReceipts ?? []).flatMap((r) => r.errors ?? [])[0];
      await this.#settlement.fail(
        p,
        { type: 'push_refused' },
        first?.reasonCode ?? 'NO_RECEIPT',
        'Mastercard returned no receipt',
      );
      return undefined;
    }
    const now = clock.now();
    const expiresAt = new Date(now.getTime() + p.receiptValidityMinutes * 60_000);
    const to = nextState(p.state, { type: 'receipts_issued' });
    const pushLinks = handoverLinks(tr, response, { ...handover, pushAccountReceipts: receipts });
    const outcomes: CardOutcome[] = p.cards.map((c) => {
      const result = results.get(c.pushAccountId);
      return result?.pushAccountReceipt
        ? { cardId: c.cardId, state: 'receipt_issued', receipt: result.pushAccountReceipt }
        : { cardId: c.cardId, state: 'failed', errorCode: result?.errors?.[0]?.reasonCode ?? 'NO_RECEIPT' };
    });
    const moved = await repository.transaction(async (tx) => {
      const moved = await repository.settleCards(
        p.id,
        'pending',
        to,
        now,
        { receiptsExpireAt: expiresAt, pushLinks },
        outcomes,
        tx,
      );
      if (!moved) return false;
      await audit.append(
        {
          actor: 'system',
          action: 'provisioning.pushed',
          subject: p.id,
          outcome: to,
          details: { receipts: receipts.length, cards: p.cards.length, expiresAt: expiresAt.toISOString() },
        },
        tx,
      );
      return true;
    });
    // Moved by someone else meanwhile (reconcile, a callback): what they wrote is read back instead.
    if (!moved) return undefined;
    const cards = p.cards.map((c) => {
      const outcome = outcomes.find((o) => o.cardId === c.cardId);
      return outcome?.state === 'failed'
        ? { ...c, state: outcome.state, errorCode: outcome.errorCode }
        : { ...c, state: outcome?.state ?? c.state };
    });
    return { p: { ...p, state: to, receiptsExpireAt: expiresAt, updatedAt: now, cards }, links: pushLinks };
  }
}

/** What a push reads before it is judged: the destination, the cards with their PANs, the profile. */
interface PushReads {
  tr: TokenRequestor;
  cards: (OwnedCard & { pan: string })[];
  profile: CardholderProfile | undefined;
  /** Per card, the token requestors holding a live token of it (read for Click to Pay only). */
  saved: { cardId: string; at: readonly string[] }[];
}

interface SendParts {
  tr: TokenRequestor;
  cards: (OwnedCard & { pan: string })[];
  profile: CardholderProfile | undefined;
  callbackToken: string;
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
