import type { Clock } from '../../core/clock.js';
import { maskEmail, maskPhone } from '../../domain/account-holder.js';
import type { ProvisioningState } from '../../domain/provisioning.js';
import type { OpenedRequests } from '../../mastercard/pre-digitization/requests.js';
import type {
  ActivationMethod,
  AuthorizeServiceResponse,
  Decision,
  FundingAccountData,
  RequestActivationMethodsResponse,
} from '../../mastercard/pre-digitization/schemas.js';
import type { AuditLog } from '../../store/audit.js';
import type { Card } from '../../store/cards/cards.js';
import type { MdesNotificationLog, ReceivedNotification } from '../../store/mdes/notifications.js';
import type { ProvisioningRepository } from '../../store/provisionings.js';
import type { CardSource } from '../ports.js';

/** What the issuer answers for a tokenization it cannot match to one of its pushes. */
export const UNMATCHED_POLICIES = ['decline', 'additional-authentication'] as const;
export type UnmatchedPolicy = (typeof UNMATCHED_POLICIES)[number];

/** The `source` MDES gives a card that the issuer's app or website pushed (Issuer Outbound API 2.0.21, `fundingAccountDataSchema.source`). */
const PUSHED_SOURCE = 'ACCOUNT_ADDED_VIA_APPLICATION';

/** How `mdes_notifications` names the requests this service records. */
export const AUTHORIZE_SERVICE = 'authorizeService';
const REQUEST_ACTIVATION_METHODS = 'requestActivationMethods';

// A pushed card may still get its token while its push is in these states:
// `pending` too, as Click to Pay may redeem a receipt before the issuer has
// recorded MDES's answer to the push; `completed` too, as a push of several
// cards completes with the first token.
const TOKEN_MAY_COME: readonly ProvisioningState[] = ['pending', 'receipt_issued', 'completed'];

export interface TokenizationQuestionsOptions {
  log: Pick<MdesNotificationLog, 'seen' | 'record'>;
  pushes: Pick<ProvisioningRepository, 'findOpenPush'>;
  cards: {
    findByPan(pan: string): Promise<Card | undefined>;
    get(cardId: string): Promise<Card | undefined>;
  } & Pick<CardSource, 'profile'>;
  audit: Pick<AuditLog, 'append'>;
  clock: Clock;
  unmatched: UnmatchedPolicy;
  /**
   * The bank's app as MDES shows it for CARDHOLDER_TO_USE_MOBILE_APP (the spec:
   * the value "will be replaced by a formatted string"): its name or identifier.
   */
  issuerApp: string;
}

interface Verdict {
  decision: Decision;
  reasonCode: string;
  card?: Card;
  provisioningId?: string;
}

/**
 * The issuer's answers to MDES's questions before a token is made
 * (Pre-Digitization Authorize Service and Request Activation Methods). The
 * card is the one whose PAN MDES decrypted for us, found through the vault's
 * blind index; MDES's request names no push, so a card the issuer itself
 * pushed is recognised by what the request does carry: the card, the token
 * requestor, the time (while the push's receipts are valid and the card has
 * no token from it yet) and the `source` MDES gives a card pushed from the
 * issuer's app. Such a tokenization is approved with no further
 * authentication: the cardholder authenticated strongly before the push,
 * and Mastercard asks for none during it. Anything else follows the
 * configured policy (declined, or approved once the cardholder confirms it
 * was them); a card that is not active, or whose expiry does not match, is
 * declined whatever the request. Each request is decided once, recorded
 * with its reason and audited, and answered the same way when MDES asks again.
 */
export class TokenizationQuestions {
  readonly #options: TokenizationQuestionsOptions;

  constructor(options: TokenizationQuestionsOptions) {
    this.#options = options;
  }

  async authorizeService({
    request,
    fundingAccount,
  }: OpenedRequests['authorizeService']): Promise<AuthorizeServiceResponse> {
    const { log, clock, audit } = this.#options;
    const seen = await log.seen(request.requestId, AUTHORIZE_SERVICE);
    const verdict = seen
      ? await this.#replay(seen)
      : await this.#verdict(request.tokenRequestorId, fundingAccount);
    if (!seen) {
      const tokenUniqueReference = request.fundingAccountInfo.tokenUniqueReference ?? '';
      const recorded = await log.record({
        notificationId: request.requestId,
        messageType: AUTHORIZE_SERVICE,
        tokenUniqueReference,
        tokenRequestorId: request.tokenRequestorId ?? '',
        outcome: verdict.decision,
        reasonCode: verdict.reasonCode,
        ...(verdict.card && { cardId: verdict.card.id }),
        ...(verdict.provisioningId && { provisioningId: verdict.provisioningId }),
        occurredAt: clock.now(),
        receivedAt: clock.now(),
      });
      // A concurrent copy of this request was recorded first: answer as it was.
      if (!recorded) return this.authorizeService({ request, fundingAccount });
      await audit.append({
        actor: 'mdes',
        action: 'tokenization.decided',
        subject: verdict.provisioningId ?? (tokenUniqueReference || request.requestId),
        outcome: verdict.decision,
        details: {
          reasonCode: verdict.reasonCode,
          ...(request.tokenRequestorId && { tokenRequestorId: request.tokenRequestorId }),
          ...(tokenUniqueReference && { tokenUniqueReference }),
          ...(fundingAccount.source && { source: fundingAccount.source }),
          ...(request.consumerFacingEntityName && {
            consumerFacingEntityName: request.consumerFacingEntityName,
          }),
          ...(verdict.card && { cardId: verdict.card.id }),
        },
      });
    }
    const methods =
      verdict.decision === 'REQUIRE_ADDITIONAL_AUTHENTICATION' && verdict.card
        ? await this.#methods(verdict.card)
        : [];
    return {
      responseId: request.requestId,
      decision: verdict.decision,
      ...(verdict.decision !== 'DECLINED' && {
        services: request.services.filter((s) => s === 'DIGITIZATION'),
      }),
      ...(methods.length > 0 && { activationMethods: methods }),
      // pushprov keeps no card verification codes (PCI DSS 3.3): one typed by the cardholder is not checked here.
      ...(fundingAccount.cardAccountData.securityCode !== undefined && { cvcResponse: 'NOT_PROCESSED' }),
    };
  }

  /**
   * The ways the cardholder can confirm a token that needs more
   * authentication; none (an empty list) when the card data does not verify,
   * as the spec asks. Recorded once by requestId like every MDES request.
   */
  async requestActivationMethods({
    request,
    fundingAccount,
  }: OpenedRequests['requestActivationMethods']): Promise<RequestActivationMethodsResponse> {
    const { log, clock } = this.#options;
    const card = await this.#verifiedCard(fundingAccount);
    const methods = card?.status === 'active' ? await this.#methods(card) : [];
    // Asked again, the methods are simply read again; `seen` only refuses an id used for another operation.
    await log.seen(request.requestId, REQUEST_ACTIVATION_METHODS);
    await log.record({
      notificationId: request.requestId,
      messageType: REQUEST_ACTIVATION_METHODS,
      tokenUniqueReference: request.fundingAccountInfo.tokenUniqueReference ?? '',
      tokenRequestorId: request.tokenRequestorId ?? '',
      outcome: methods.length > 0 ? 'methods' : 'none',
      ...(card && { cardId: card.id }),
      occurredAt: clock.now(),
      receivedAt: clock.now(),
    });
    return { responseId: request.requestId, activationMethods: methods };
  }

  async #verdict(tokenRequestorId: string | undefined, fundingAccount: FundingAccountData): Promise<Verdict> {
    const { unmatched, pushes, clock } = this.#options;
    const card = await this.#verifiedCard(fundingAccount);
    if (!card) return { decision: 'DECLINED', reasonCode: 'CARD_UNKNOWN' };
    if (card.status !== 'active') return { decision: 'DECLINED', reasonCode: 'CARD_NOT_ACTIVE', card };
    const otherwise = (reasonCode: string): Verdict =>
      unmatched === 'additional-authentication'
        ? { decision: 'REQUIRE_ADDITIONAL_AUTHENTICATION', reasonCode, card }
        : { decision: 'DECLINED', reasonCode, card };
    if (fundingAccount.source !== PUSHED_SOURCE || tokenRequestorId === undefined) {
      return otherwise('NOT_PUSHED_BY_ISSUER');
    }
    const push = await pushes.findOpenPush(card.id, tokenRequestorId, TOKEN_MAY_COME, clock.now());
    if (!push) return otherwise('PUSH_NOT_FOUND');
    return { decision: 'APPROVED', reasonCode: 'ISSUER_PUSH', card, provisioningId: push.provisioning.id };
  }

  async #replay(seen: ReceivedNotification): Promise<Verdict> {
    const card = seen.cardId ? await this.#options.cards.get(seen.cardId) : undefined;
    return {
      decision: seen.outcome as Decision,
      reasonCode: seen.reasonCode ?? 'UNSPECIFIED',
      ...(card && { card }),
      ...(seen.provisioningId && { provisioningId: seen.provisioningId }),
    };
  }

  /** The issuer's card with this PAN, when the expiry MDES sent (if any) is the card's. */
  async #verifiedCard({ cardAccountData }: FundingAccountData): Promise<Card | undefined> {
    const card = await this.#options.cards.findByPan(cardAccountData.accountNumber);
    if (!card) return undefined;
    const { expiryMonth, expiryYear } = cardAccountData;
    if (expiryMonth !== undefined && Number(expiryMonth) !== card.expiryMonth) return undefined;
    if (expiryYear !== undefined && Number(expiryYear) !== card.expiryYear % 100) return undefined;
    return card;
  }

  /** The cardholder's contacts, masked, and the bank's app. */
  async #methods(card: Card): Promise<ActivationMethod[]> {
    const profile = await this.#options.cards.profile(card.cardholderId);
    return [
      { type: 'CARDHOLDER_TO_USE_MOBILE_APP', value: this.#options.issuerApp },
      ...(profile.phone ? [{ type: 'TEXT_TO_CARDHOLDER_NUMBER', value: maskPhone(profile.phone) }] : []),
      ...(profile.email ? [{ type: 'EMAIL_TO_CARDHOLDER_ADDRESS', value: maskEmail(profile.email) }] : []),
    ];
  }
}
