import type { Clock } from '../../core/clock.js';
import type {
  ActivationMethod,
  TokenizationAuthorizationRequest,
  TokenizationAuthorizationResponse,
  TokenizationDecision,
} from '../../mastercard/mdes/messages.js';
import type { AuditLog } from '../../store/audit.js';
import type { MdesNotificationLog } from '../../store/mdes/notifications.js';
import type { ProvisioningRepository } from '../../store/provisionings.js';

/** What the issuer answers for a tokenization it cannot match to one of its pushes. */
export const UNMATCHED_POLICIES = ['decline', 'additional-authentication'] as const;
export type UnmatchedPolicy = (typeof UNMATCHED_POLICIES)[number];

export interface TokenizationDecisionsOptions {
  log: Pick<MdesNotificationLog, 'seen' | 'record'>;
  pushes: Pick<ProvisioningRepository, 'findByPushAccountId'>;
  cards: {
    ownedCard(
      cardholderId: string,
      cardId: string,
    ): Promise<{ status: string; lastFour: string } | undefined>;
  };
  audit: Pick<AuditLog, 'append'>;
  clock: Clock;
  unmatched: UnmatchedPolicy;
  /** Where a cardholder asked for more authentication confirms it is them: the bank's app. */
  issuerAppUrl: string;
}

// A pushed card may still get its token while its push is in these states:
// `pending` too, as Click to Pay may redeem a receipt before the issuer has
// recorded MDES's answer to the push; `completed` too, as a push of several
// cards completes with the first token.
const TOKEN_MAY_COME = new Set(['pending', 'receipt_issued', 'completed']);

interface Verdict {
  decision: TokenizationDecision;
  reasonCode: string;
  provisioningId?: string;
  cardId?: string;
}

/**
 * The issuer's answer to MDES's Tokenization Authorization Request. A
 * tokenization that redeems one of the issuer's own pushes (its
 * pushAccountId, for the token requestor it was pushed to, for a pushed
 * card that has no token yet while its receipts are valid, of a card still
 * active and the same card) is
 * approved with no further authentication: the cardholder authenticated
 * strongly before the push, and the use cases ask nothing more of them.
 * Anything else follows the configured policy: declined, or approved only
 * after additional authentication in the bank's app. A card that is not
 * active is declined whatever the request. Each request is decided once,
 * audited, and answered the same way when MDES asks again; deciding reads
 * the database only, so the answer is quick.
 */
export class TokenizationDecisions {
  readonly #o: TokenizationDecisionsOptions;

  constructor(options: TokenizationDecisionsOptions) {
    this.#o = options;
  }

  async decide(request: TokenizationAuthorizationRequest): Promise<TokenizationAuthorizationResponse> {
    const { notificationId, token } = request;
    const seen = await this.#o.log.seen(notificationId, request.messageType);
    if (seen) return this.#answer(notificationId, seen.outcome as TokenizationDecision, seen.reasonCode);

    const verdict = await this.#verdict(request);
    const recorded = await this.#o.log.record({
      notificationId,
      messageType: request.messageType,
      tokenUniqueReference: token.tokenUniqueReference,
      tokenRequestorId: token.tokenRequestorId,
      outcome: verdict.decision,
      reasonCode: verdict.reasonCode,
      occurredAt: new Date(request.timestamp),
      receivedAt: this.#o.clock.now(),
    });
    // A concurrent copy of this request was recorded first: answer as it was.
    if (!recorded) return this.decide(request);
    await this.#o.audit.append({
      actor: 'mdes',
      action: 'tokenization.decided',
      subject: verdict.provisioningId ?? token.tokenUniqueReference,
      outcome: verdict.decision,
      details: {
        reasonCode: verdict.reasonCode,
        tokenRequestorId: token.tokenRequestorId,
        tokenUniqueReference: token.tokenUniqueReference,
        source: request.authorizationRequest.source,
        ...(verdict.cardId && { cardId: verdict.cardId }),
      },
    });
    return this.#answer(notificationId, verdict.decision, verdict.reasonCode);
  }

  async #verdict({ token, authorizationRequest }: TokenizationAuthorizationRequest): Promise<Verdict> {
    const unmatched = (reasonCode: string): Verdict =>
      this.#o.unmatched === 'additional-authentication'
        ? { decision: 'REQUIRE_ADDITIONAL_AUTHENTICATION', reasonCode }
        : { decision: 'DECLINED', reasonCode };
    if (authorizationRequest.source !== 'ACCOUNT_PUSHED' || token.pushAccountId === undefined) {
      return unmatched('NOT_PUSHED_BY_ISSUER');
    }
    const found = await this.#o.pushes.findByPushAccountId(token.pushAccountId);
    if (!found || found.provisioning.tokenRequestorId !== token.tokenRequestorId) {
      return unmatched('PUSH_NOT_FOUND');
    }
    const { provisioning, card } = found;
    const ids = { provisioningId: provisioning.id, cardId: card.cardId };
    const stored = await this.#o.cards.ownedCard(provisioning.cardholderId, card.cardId);
    if (stored?.status !== 'active') return { decision: 'DECLINED', reasonCode: 'CARD_NOT_ACTIVE', ...ids };
    if (stored.lastFour !== token.accountPanSuffix) return { ...unmatched('CARD_MISMATCH'), ...ids };
    const expiresAt = provisioning.receiptsExpireAt?.getTime();
    if (
      !TOKEN_MAY_COME.has(provisioning.state) ||
      card.tokenUniqueReference !== null ||
      (expiresAt !== undefined && expiresAt <= this.#o.clock.now().getTime())
    ) {
      return { ...unmatched('PUSH_NOT_OPEN'), ...ids };
    }
    return { decision: 'APPROVED', reasonCode: 'ISSUER_PUSH', ...ids };
  }

  #answer(
    notificationId: string,
    decision: TokenizationDecision,
    reasonCode = 'UNSPECIFIED',
  ): TokenizationAuthorizationResponse {
    const methods: ActivationMethod[] = [{ type: 'ISSUER_APP', value: this.#o.issuerAppUrl }];
    return {
      notificationId,
      decision,
      reasonCode,
      ...(decision === 'REQUIRE_ADDITIONAL_AUTHENTICATION' && { activationMethods: methods }),
    };
  }
}
