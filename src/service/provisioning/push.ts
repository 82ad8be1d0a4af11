import { randomBytes, randomUUID } from 'node:crypto';
import { ConflictError, NotFoundError, PushprovError, ValidationError } from '../../core/errors.js';
import { newId } from '../../core/ids.js';
import { accountHolderDataFor, tokenConnectLocale } from '../../domain/account-holder.js';
import { type DestinationKind, nextState } from '../../domain/provisioning.js';
import { TokenConnectError } from '../../mastercard/token-connect/errors.js';
import { type Handover, pushUrl } from '../../mastercard/token-connect/handover.js';
import type { PushMultipleAccountsResponse, TokenRequestor } from '../../mastercard/token-connect/types.js';
import { requestFingerprint } from '../../store/idempotency.js';
import type { Provisioning, PushLinks } from '../../store/provisionings.js';
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
    const { idempotency } = this.#options;
    const fingerprint = requestFingerprint({
      cardIds: request.cardIds,
      tokenRequestorId: request.tokenRequestorId,
      consent: request.consent,
    });
    const claim = await idempotency.claim(cardholderId, idempotencyKey, fingerprint);
    if (claim.kind === 'replay') {
      const id = (claim.response.body as { id: string }).id;
      return {
        status: claim.response.status,
        view: await this.#queries.view(cardholderId, id),
        replayed: true,
      };
    }
    let provisioning: Provisioning;
    try {
      // The key is bound to the provisioning in the transaction that creates it.
      provisioning = await this.#begin(request, claim.claimedAt);
    } catch (error) {
      // Nothing was written (the key is bound only if the provisioning committed,
      // and release leaves a bound key alone): the same key may be used again.
      await idempotency.release(cardholderId, idempotencyKey, claim.claimedAt);
      throw error;
    }
    await this.send(provisioning);
    return { status: 201, view: await this.#queries.view(cardholderId, provisioning.id), replayed: false };
  }

  /** Sends a `pending` push to Token Connect (again, with its requestId, when reconciling) and records the answer. */
  async send(p: Provisioning): Promise<void> {
    const { directory, cards, repository, client, clock, audit } = this.#options;
    const tr = await directory.get(p.tokenRequestorId);
    const profile = await cards.profile(p.cardholderId);
    const holder = accountHolderDataFor(profile, sharedElements(tr));
    const validUntil = new Date(p.createdAt.getTime() + PAYLOAD_VALIDITY_MS).toISOString();
    const accounts = [];
    for (const c of p.cards) {
      const card = await cards.ownedCard(p.cardholderId, c.cardId);
      if (!card) throw new NotFoundError('CARD_NOT_FOUND', 'no such card');
      const { pan } = await cards.revealCardData(c.cardId);
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
    const callbackToken = await repository.callbackToken(p.id);
    const callbackURL = `${this.#options.issuerUrl}/v1/provisionings/${p.id}/callback?state=${callbackToken}`;
    const locale = tokenConnectLocale(profile.locale);
    // What MDES signs for the token requestor, and what it is told in clear when nothing is signed.
    const handover = {
      callbackURL,
      accountHolderDataSupplied: holder !== undefined,
      ...(locale && { locale }),
    };
    await repository.countAttempt(p.id, clock.now());
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
        return;
      }
      // Unknown outcome: stays pending for reconcile, which asks again with the same requestId.
      await audit.append({
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

  async #begin(request: PushRequest, claimedAt: Date): Promise<Provisioning> {
    const { cardholderId, cardIds, tokenRequestorId, idempotencyKey } = request;
    const { directory, repository, audit, idempotency, clock } = this.#options;
    if (!request.consent) {
      throw new ValidationError(
        'CONSENT_REQUIRED',
        'the cardholder must consent to sharing the card and details',
      );
    }
    if (cardIds.length === 0 || cardIds.length > 5 || new Set(cardIds).size !== cardIds.length) {
      throw new ValidationError('CARDS_INVALID', 'push between 1 and 5 distinct cards');
    }
    const tr = await directory.get(tokenRequestorId);
    if (cardIds.length > 1 && tr.supportsMultiplePushedCards !== true) {
      throw new ValidationError(
        'MULTIPLE_CARDS_NOT_SUPPORTED',
        `${tr.consumerFacingEntityName} accepts one card per push`,
      );
    }
    for (const cardId of cardIds) {
      await this.#checks.assertEligible(await this.#checks.ownedCard(cardholderId, cardId), tr);
      // One Click to Pay profile holds a card once: a second push would only make a duplicate entry.
      if (
        directory.isClickToPay(tr.tokenRequestorId) &&
        (await this.#checks.savedAt(cardId)).includes(tr.tokenRequestorId)
      ) {
        throw new ConflictError('ALREADY_ADDED', 'this card is already in Click to Pay');
      }
    }

    const now = clock.now();
    const id = newId('prv');
    const destination: DestinationKind = directory.isClickToPay(tr.tokenRequestorId)
      ? 'click_to_pay'
      : 'merchant';
    await repository.transaction(async (tx) => {
      await repository.create(
        {
          id,
          cardholderId,
          destination,
          tokenRequestorId: tr.tokenRequestorId,
          tokenRequestorName: tr.consumerFacingEntityName,
          requestId: randomUUID(),
          receiptValidityMinutes: this.#options.receiptValidityMinutes ?? 15,
          callbackToken: randomBytes(24).toString('base64url'),
          cards: cardIds.map((cardId) => ({ cardId, pushAccountId: randomUUID() })),
          now,
        },
        tx,
      );
      await audit.append(
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
      await idempotency.complete(
        cardholderId,
        idempotencyKey,
        { status: 201, body: { id } },
        { tx, claimedAt },
      );
    });
    const created = await repository.get(id);
    if (!created) throw new PushprovError('PROVISIONING_LOST', 'the provisioning record disappeared');
    return created;
  }

  async #recordReceipts(
    p: Provisioning,
    tr: TokenRequestor,
    response: PushMultipleAccountsResponse,
    handover: Omit<Handover, 'pushAccountReceipts'>,
  ) {
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
      return;
    }
    const now = clock.now();
    const expiresAt = new Date(now.getTime() + p.receiptValidityMinutes * 60_000);
    const to = nextState(p.state, { type: 'receipts_issued' });
    const pushLinks = handoverLinks(tr, response, { ...handover, pushAccountReceipts: receipts });
    await repository.transaction(async (tx) => {
      const moved = await repository.transition(
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
        await repository.updateCard(
          p.id,
          c.cardId,
          result?.pushAccountReceipt
            ? { state: 'receipt_issued', receipt: result.pushAccountReceipt }
            : { state: 'failed', errorCode: result?.errors?.[0]?.reasonCode ?? 'NO_RECEIPT' },
          tx,
        );
      }
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
    });
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
