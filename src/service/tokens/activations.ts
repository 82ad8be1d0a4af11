import type { Clock } from '../../core/clock.js';
import { ConflictError, NotFoundError, PushprovError, ValidationError } from '../../core/errors.js';
import { maskEmail, maskPhone } from '../../domain/account-holder.js';
import type { CustomerServiceClient } from '../../mastercard/customer-service/client.js';
import { PreDigitizationError } from '../../mastercard/pre-digitization/errors.js';
import type { OpenedRequests } from '../../mastercard/pre-digitization/requests.js';
import type {
  DeliverActivationCodeResponse,
  ValidateActivationCodeResponse,
  ValidationResult,
} from '../../mastercard/pre-digitization/schemas.js';
import type { AuditLog } from '../../store/audit.js';
import type { ActivationCodeStore, CodeCheck } from '../../store/mdes/activation-codes.js';
import type { MdesNotificationLog } from '../../store/mdes/notifications.js';
import { AUTHORIZE_SERVICE } from '../mdes/authorize.js';
import type { CardSource } from '../ports.js';
import { auditInfoOf } from './audit-info.js';
import { customerServiceCall } from './management.js';

/** How an activation code reaches the cardholder: a text to their phone, or an e-mail. */
export interface ActivationCodeMessage {
  channel: 'sms' | 'email';
  /** The full number or address, for the sender only: never logged or stored. */
  to: string;
  /** The same, masked, for logs and pages. */
  maskedTo: string;
  code: string;
  /** Who asked to save the card, for the message's wording. */
  tokenRequestorName: string | undefined;
  expiresAt: Date;
}

/** The bank's messaging (SMS gateway, e-mail); development: the terminal. */
export interface ActivationCodeSender {
  send(message: ActivationCodeMessage): Promise<void>;
}

/** A request to save one of the cardholder's cards that waits for them to confirm it was them. */
export interface PendingActivation {
  tokenUniqueReference: string;
  cardId: string;
  tokenRequestorId: string;
  requestedAt: Date;
  /** Where an activation code went, masked, when MDES asked the bank to send one. */
  codeSentTo: string | undefined;
}

export interface ActivationsOptions {
  log: Pick<MdesNotificationLog, 'seen' | 'record' | 'decisionFor' | 'awaitingActivation' | 'transaction'>;
  codes: Pick<ActivationCodeStore, 'record' | 'delivered' | 'check' | 'attempt' | 'forget' | 'issuerCode'>;
  cards: Pick<CardSource, 'ownedCard' | 'profile'> & {
    get(cardId: string): Promise<{ id: string; cardholderId: string } | undefined>;
  };
  sender: ActivationCodeSender;
  /** MDES Customer Service: activating or deleting a token; without it, confirmations are refused. */
  mdes: Pick<CustomerServiceClient, 'activate' | 'delete'> | undefined;
  organization: string;
  audit: Pick<AuditLog, 'append' | 'history'>;
  clock: Clock;
  /** Wrong codes before a code is refused for good, in the bank's pages and through MDES alike; default 5. */
  maxCodeFailures?: number;
}

const DELIVER_ACTIVATION_CODE = 'deliverActivationCode';
const VALIDATE_ACTIVATION_CODE = 'validateActivationCode';
/**
 * Validate Activation Code's `result` for what checking the code found. A
 * code locked by earlier wrong tries is refused even when right, as retries
 * exceeded; no code on record (never delivered, already used, or dropped when
 * the cardholder answered in the bank's pages) is one "invalidated".
 */
const RESULTS: Readonly<Record<Exclude<CodeCheck, 'wrong'>, ValidationResult>> = {
  valid: 'SUCCESS',
  locked: 'INCORRECT_CODE_RETRIES_EXCEEDED',
  expired: 'EXPIRED_CODE',
  none: 'EXPIRED_CODE',
};
const REJECTED = 'token.rejected_by_cardholder';
/** Thrown to roll back a try whose request a concurrent copy recorded first. */
const REPEATED = new Error('validateActivationCode: request recorded by a concurrent copy');
/** How long a token waits for its cardholder: MDES resends codes up to 30 days after creation (Customer Service API, /token/resendactivationcode). */
const ACTIVATION_WINDOW_MS = 30 * 86_400_000;
/** A code the issuer makes itself (when MDES sends none) lasts as long as pushprov's other one-time codes. */
const ISSUER_CODE_TTL_MS = 30 * 60_000;

/**
 * Tokens MDES made but keeps inactive until the cardholder confirms it was
 * them (the issuer answered Authorize Service with
 * REQUIRE_ADDITIONAL_AUTHENTICATION). Two ways to confirm, both ending in
 * MDES Customer Service's activate ("the cardholder will complete the
 * authentication process using … an issuer-supplied mobile application, and
 * only then should the issuer use this API to activate the token"): in the
 * bank's pages after a strong authentication, or by typing the activation
 * code MDES asked the bank to deliver (Deliver Activation Code). "It wasn't
 * me" deletes the token. The token's record is made when MDES reports it
 * active (Notify Service Activated), never on the bank's own word.
 */
export class Activations {
  readonly #options: ActivationsOptions;

  constructor(options: ActivationsOptions) {
    this.#options = options;
  }

  /** MDES asks the issuer to send the cardholder an activation code (Deliver Activation Code). */
  async deliverActivationCode({
    request,
  }: OpenedRequests['deliverActivationCode']): Promise<DeliverActivationCodeResponse> {
    const { log, codes, cards, sender, audit, clock } = this.#options;
    const { requestId, tokenUniqueReference, activationMethod } = request;
    if (await log.seen(requestId, DELIVER_ACTIVATION_CODE)) return { responseId: requestId };
    const decision = await log.decisionFor(tokenUniqueReference, AUTHORIZE_SERVICE);
    const card = decision?.cardId ? await cards.get(decision.cardId) : undefined;
    if (!decision || !card) {
      throw new PreDigitizationError('INVALID_FIELD_VALUE', {
        field: 'tokenUniqueReference',
        path: '/tokenUniqueReference',
      });
    }
    const profile = await cards.profile(card.cardholderId);
    const channel =
      activationMethod.type === 'TEXT_TO_CARDHOLDER_NUMBER'
        ? ({ channel: 'sms', to: profile.phone, maskedTo: maskPhone(profile.phone) } as const)
        : activationMethod.type === 'EMAIL_TO_CARDHOLDER_ADDRESS'
          ? ({ channel: 'email', to: profile.email, maskedTo: maskEmail(profile.email) } as const)
          : undefined;
    if (!channel?.to) {
      throw new PreDigitizationError('INVALID_FIELD_VALUE', {
        field: 'type',
        path: '/activationMethod/type',
      });
    }
    const now = clock.now();
    // "activationCode … only present if Mastercard generates the activationCode": else the issuer makes one,
    // the same for every copy of this request (the code is sent before the request is recorded).
    const code = request.activationCode ?? codes.issuerCode(requestId);
    const expiresAt = request.expirationDateTime
      ? new Date(request.expirationDateTime)
      : new Date(now.getTime() + ISSUER_CODE_TTL_MS);
    await codes.record(
      code,
      {
        tokenUniqueReference,
        cardId: card.id,
        methodType: activationMethod.type,
        sentTo: channel.maskedTo,
        expiresAt,
      },
      now,
    );
    await sender.send({ ...channel, code, tokenRequestorName: request.consumerFacingEntityName, expiresAt });
    await log.record({
      notificationId: requestId,
      messageType: DELIVER_ACTIVATION_CODE,
      tokenUniqueReference,
      tokenRequestorId: decision.tokenRequestorId,
      outcome: 'sent',
      cardId: card.id,
      occurredAt: now,
      receivedAt: now,
    });
    await audit.append({
      actor: 'mdes',
      action: 'activation_code.sent',
      subject: tokenUniqueReference,
      outcome: 'sent',
      details: { cardId: card.id, method: activationMethod.type, sentTo: channel.maskedTo },
    });
    return { responseId: requestId };
  }

  /**
   * MDES asks whether the code the cardholder entered at the token requestor
   * is the one the issuer delivered (Validate Activation Code). Each wrong
   * code counts against the same limit as in the bank's pages; on SUCCESS,
   * MDES activates the token itself and reports it with Notify Service
   * Activated. Answered once per requestId: a repeat hears the first result.
   */
  async validateActivationCode({
    request,
  }: OpenedRequests['validateActivationCode']): Promise<ValidateActivationCodeResponse> {
    const { log, codes, audit, clock } = this.#options;
    const { requestId, tokenUniqueReference } = request;
    const seen = await log.seen(requestId, VALIDATE_ACTIVATION_CODE);
    if (seen) return { responseId: requestId, result: seen.outcome as ValidationResult };
    const decision = await log.decisionFor(tokenUniqueReference, AUTHORIZE_SERVICE);
    if (!decision?.cardId) {
      throw new PreDigitizationError('INVALID_FIELD_VALUE', {
        field: 'tokenUniqueReference',
        path: '/tokenUniqueReference',
      });
    }
    const now = clock.now();
    const maxFailures = this.#options.maxCodeFailures ?? 5;
    // The try, its record and its audit entry commit together. A concurrent copy of this request
    // waits on the code's row lock, then finds its requestId taken and rolls its own try back: a
    // request is tried once, however often MDES sends it.
    const result = await log
      .transaction(async (tx) => {
        const { check, failedAttempts } = await codes.attempt(
          tokenUniqueReference,
          request.activationCode,
          now,
          maxFailures,
          tx,
        );
        const result: ValidationResult =
          check === 'wrong'
            ? failedAttempts >= maxFailures
              ? 'INCORRECT_CODE_RETRIES_EXCEEDED'
              : 'INCORRECT_CODE'
            : RESULTS[check];
        const recorded = await log.record(
          {
            notificationId: requestId,
            messageType: VALIDATE_ACTIVATION_CODE,
            tokenUniqueReference,
            tokenRequestorId: decision.tokenRequestorId,
            outcome: result,
            reasonCode: check,
            cardId: decision.cardId,
            occurredAt: now,
            receivedAt: now,
          },
          tx,
        );
        if (!recorded) throw REPEATED;
        await audit.append(
          {
            actor: 'mdes',
            action: 'activation_code.validated',
            subject: tokenUniqueReference,
            outcome: result,
            details: {
              cardId: decision.cardId,
              tokenRequestorId: decision.tokenRequestorId,
              correlationId: request.correlationId,
              failedAttempts,
            },
          },
          tx,
        );
        return result;
      })
      .catch((error: unknown) => {
        if (error === REPEATED) return undefined;
        throw error;
      });
    // Recorded first by a concurrent copy: answer as it was answered.
    if (result === undefined) return this.validateActivationCode({ request });
    return { responseId: requestId, result };
  }

  /** The cardholder's card's tokens waiting for them, newest first. */
  async pending(cardholderId: string, cardId: string): Promise<PendingActivation[]> {
    const { log, codes, cards, clock } = this.#options;
    if (!(await cards.ownedCard(cardholderId, cardId)))
      throw new NotFoundError('CARD_NOT_FOUND', 'no such card');
    const since = new Date(clock.now().getTime() - ACTIVATION_WINDOW_MS);
    const held = await log.awaitingActivation([cardId], AUTHORIZE_SERVICE, since);
    // One the cardholder said was not them is gone for them, whenever MDES confirms the deletion.
    const refused = new Set(
      (await this.#options.audit.history(held.map((d) => d.tokenUniqueReference)))
        .filter((entry) => entry.action === REJECTED)
        .map((entry) => entry.subject),
    );
    const decisions = held.filter((d) => !refused.has(d.tokenUniqueReference));
    return Promise.all(
      decisions.map(async (d) => ({
        tokenUniqueReference: d.tokenUniqueReference,
        cardId,
        tokenRequestorId: d.tokenRequestorId,
        requestedAt: d.receivedAt,
        codeSentTo: (await codes.delivered(d.tokenUniqueReference))?.sentTo,
      })),
    );
  }

  /**
   * "It was me": the cardholder, strongly authenticated just now (the route
   * demands a fresh SCA grant), or with the activation code they were sent.
   * MDES activates the token and reports it with Notify Service Activated.
   */
  async confirm(
    cardholderId: string,
    cardId: string,
    tokenUniqueReference: string,
    proof: { kind: 'sca' } | { kind: 'code'; code: string },
  ): Promise<void> {
    const { codes, audit, clock } = this.#options;
    await this.#ownPending(cardholderId, cardId, tokenUniqueReference);
    if (proof.kind === 'code') {
      const checked = await codes.check(
        tokenUniqueReference,
        proof.code,
        clock.now(),
        this.#options.maxCodeFailures ?? 5,
      );
      if (checked !== 'valid') {
        await audit.append({
          actor: `cardholder:${cardholderId}`,
          action: 'token.activation_code_refused',
          subject: tokenUniqueReference,
          outcome: checked,
          details: { cardId },
        });
        throw checked === 'wrong'
          ? new ValidationError('ACTIVATION_CODE_INVALID', 'that is not the code we sent')
          : new ConflictError(
              'ACTIVATION_CODE_UNUSABLE',
              'the code has expired or was tried too often: ask for a new one',
            );
      }
    }
    const actor = `cardholder:${cardholderId}`;
    const mdes = this.#mdes();
    await customerServiceCall(() =>
      mdes.activate({
        tokenUniqueReference,
        reasonCode: 'A',
        auditInfo: auditInfoOf(actor, this.#options.organization),
      }),
    );
    await codes.forget(tokenUniqueReference);
    await audit.append({
      actor,
      action: 'token.activate_requested',
      subject: tokenUniqueReference,
      outcome: 'requested',
      details: { cardId, proof: proof.kind },
    });
  }

  /** "It wasn't me": the token is deleted at MDES. */
  async reject(cardholderId: string, cardId: string, tokenUniqueReference: string): Promise<void> {
    await this.#ownPending(cardholderId, cardId, tokenUniqueReference);
    const actor = `cardholder:${cardholderId}`;
    const mdes = this.#mdes();
    await customerServiceCall(() =>
      mdes.delete({
        tokenUniqueReference,
        reasonCode: 'T',
        commentText: 'Cardholder did not ask for this token',
        auditInfo: auditInfoOf(actor, this.#options.organization),
      }),
    );
    await this.#options.codes.forget(tokenUniqueReference);
    await this.#options.audit.append({
      actor,
      action: REJECTED,
      subject: tokenUniqueReference,
      outcome: 'requested',
      details: { cardId },
    });
  }

  async #ownPending(cardholderId: string, cardId: string, tokenUniqueReference: string): Promise<void> {
    const waiting = await this.pending(cardholderId, cardId);
    if (!waiting.some((p) => p.tokenUniqueReference === tokenUniqueReference)) {
      throw new NotFoundError('ACTIVATION_NOT_FOUND', 'nothing waits for confirmation here');
    }
  }

  #mdes(): NonNullable<ActivationsOptions['mdes']> {
    const { mdes } = this.#options;
    if (!mdes) {
      throw new PushprovError('TOKEN_MANAGEMENT_UNAVAILABLE', 'token management is not configured', {
        status: 503,
      });
    }
    return mdes;
  }
}
