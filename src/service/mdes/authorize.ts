import type { Clock } from '../../core/clock.js';
import { maskEmail, maskPhone } from '../../domain/account-holder.js';
import type { ProvisioningState } from '../../domain/provisioning.js';
import type { OpenedRequests } from '../../mastercard/pre-digitization/requests.js';
import type {
  ActivationMethod,
  AuthorizeServiceRequest,
  AuthorizeServiceResponse,
  Decision,
  FundingAccountData,
  RequestActivationMethodsResponse,
  WalletProviderDecisioningInfo,
} from '../../mastercard/pre-digitization/schemas.js';
import type { AuditLog } from '../../store/audit.js';
import type { Card } from '../../store/cards/cards.js';
import type { MdesNotificationLog, ReceivedNotification } from '../../store/mdes/notifications.js';
import type { ProvisioningRepository } from '../../store/provisionings.js';
import type { CardSource } from '../ports.js';

/** What the issuer answers for a tokenization it cannot match to one of its pushes. */
export const UNMATCHED_POLICIES = ['decline', 'additional-authentication'] as const;
export type UnmatchedPolicy = (typeof UNMATCHED_POLICIES)[number];

/**
 * What the issuer makes of the wallet's risk data (`walletProviderDecisioningInfo`):
 * `follow` its recommendation and scores, or `ignore` them.
 */
export const WALLET_RISK_POLICIES = ['follow', 'ignore'] as const;
export type WalletRiskPolicy = (typeof WALLET_RISK_POLICIES)[number];

/**
 * The only token type a token requestor redeeming a push asks for: the
 * Digital Enablement tokenize's `tokenType` "Must be CLOUD" (DE 1.3.3); a
 * device wallet's EMBEDDED_SE or a STATIC token is not the push's.
 */
const PUSHED_TOKEN_TYPE = 'CLOUD';

/** The wallet's scores are "Value between 1 and 5"; pushprov takes the lowest as a risk (Assumption 21). */
const LOWEST_WALLET_SCORE = '1';

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
  /** Default `follow`. */
  walletRisk?: WalletRiskPolicy;
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
    const verdict = seen ? await this.#replay(seen) : await this.#verdict(request, fundingAccount);
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
          tokenType: request.tokenType,
          ...(request.walletProviderDecisioningInfo && {
            walletProviderDecisioningInfo: riskData(request.walletProviderDecisioningInfo),
          }),
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

  async #verdict(request: AuthorizeServiceRequest, fundingAccount: FundingAccountData): Promise<Verdict> {
    const { unmatched, pushes, clock } = this.#options;
    const { tokenRequestorId } = request;
    const card = await this.#verifiedCard(fundingAccount);
    if (!card) return { decision: 'DECLINED', reasonCode: 'CARD_UNKNOWN' };
    if (card.status !== 'active') return { decision: 'DECLINED', reasonCode: 'CARD_NOT_ACTIVE', card };
    const risk =
      (this.#options.walletRisk ?? 'follow') === 'follow'
        ? walletRisk(request.walletProviderDecisioningInfo)
        : undefined;
    // The wallet saw something the bank cannot (its device, its account): its "no" stands whoever pushed.
    if (risk === 'WALLET_RECOMMENDS_DECLINE') return { decision: 'DECLINED', reasonCode: risk, card };
    const otherwise = (reasonCode: string): Verdict =>
      unmatched === 'additional-authentication'
        ? { decision: 'REQUIRE_ADDITIONAL_AUTHENTICATION', reasonCode, card }
        : { decision: 'DECLINED', reasonCode, card };
    if (fundingAccount.source !== PUSHED_SOURCE || tokenRequestorId === undefined) {
      return otherwise('NOT_PUSHED_BY_ISSUER');
    }
    if (request.tokenType !== PUSHED_TOKEN_TYPE) return otherwise('TOKEN_TYPE_NOT_PUSHED');
    const push = await pushes.findOpenPush(card.id, tokenRequestorId, TOKEN_MAY_COME, clock.now());
    if (!push) return otherwise('PUSH_NOT_FOUND');
    const provisioningId = push.provisioning.id;
    // The bank's own push, but the wallet doubts the device or the account: the cardholder confirms it was them.
    if (risk)
      return { decision: 'REQUIRE_ADDITIONAL_AUTHENTICATION', reasonCode: risk, card, provisioningId };
    return { decision: 'APPROVED', reasonCode: 'ISSUER_PUSH', card, provisioningId };
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

type WalletRisk = 'WALLET_RECOMMENDS_DECLINE' | 'WALLET_RECOMMENDS_AUTHENTICATION' | 'WALLET_LOW_SCORE';

/** What the wallet's recommendation and scores say against approving outright; undefined: nothing. */
function walletRisk(info: WalletProviderDecisioningInfo | undefined): WalletRisk | undefined {
  if (!info) return undefined;
  if (info.recommendedDecision === 'DECLINED') return 'WALLET_RECOMMENDS_DECLINE';
  if (info.recommendedDecision === 'REQUIRE_ADDITIONAL_AUTHENTICATION')
    return 'WALLET_RECOMMENDS_AUTHENTICATION';
  const scores = [info.deviceScore, info.accountScore, info.phoneNumberScore];
  return scores.includes(LOWEST_WALLET_SCORE) ? 'WALLET_LOW_SCORE' : undefined;
}

/** The wallet's risk data for the audit: its recommendation, scores and reasons (no personal data among them). */
function riskData(info: WalletProviderDecisioningInfo): Record<string, unknown> {
  const { recommendedDecision, deviceScore, accountScore, phoneNumberScore, recommendationReasons } = info;
  return {
    ...(recommendedDecision && { recommendedDecision }),
    ...(deviceScore && { deviceScore }),
    ...(accountScore && { accountScore }),
    ...(phoneNumberScore && { phoneNumberScore }),
    ...(recommendationReasons && { recommendationReasons }),
  };
}
