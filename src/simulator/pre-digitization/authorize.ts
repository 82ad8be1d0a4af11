import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Clock } from '../../core/clock.js';
import type { DerivedKeySealer } from '../../core/derived-key-sealer.js';
import { newId } from '../../core/ids.js';
import type { PreDigitizationFailure } from '../../mastercard/pre-digitization/caller.js';
import type {
  ActivationMethod,
  Decision as PreDigitizationDecision,
} from '../../mastercard/pre-digitization/schemas.js';
import type { FundingAccount } from '../../mastercard/token-connect/types.js';
import type { TokenizeRequest } from '../token-connect/tokenize.js';
import { type FundingSource, fundingAccountData, walletProviderDecisioningInfo } from './funding.js';
import type { IssuerServices } from './issuers.js';
import type { DecidedBy, PreDigitizationSchema } from './tables.js';

export interface TokenizationAuthorizerOptions {
  db: Kysely<unknown>;
  clock: Clock;
  issuers: Pick<IssuerServices, 'of'>;
  /** Opens the funding accounts of existing tokens, to count the card's active tokens. */
  sealer: DerivedKeySealer;
  /** MDES's decision when the issuer does not answer in time, cannot be reached or answers nonsense; default DECLINED. */
  standIn?: 'APPROVED' | 'DECLINED';
  /** Told about every decision; ids and outcomes only. */
  onDecision?: (decision: TokenizationDecision) => void;
}

/** What MDES knows of a tokenization when it asks the issuer. */
export interface TokenizationQuestion {
  issuerConsumerKey: string;
  tokenUniqueReference: string;
  panUniqueReference: string;
  tokenRequestorId: string;
  /** The token requestor's consumer-facing name. */
  tokenRequestorName: string | undefined;
  tokenType: string;
  /** The funding account as MDES holds it (opened from the receipt or the token requestor's payload). */
  account: FundingAccount;
  source: FundingSource;
  /** The receipt redeemed, for MDES's own record; never sent to the issuer. */
  receipt: string | undefined;
  decisioningData: TokenizeRequest['decisioningData'];
}

export interface TokenizationDecision {
  requestId: string;
  correlationId: string;
  decision: PreDigitizationDecision;
  decidedBy: DecidedBy;
  reasonCode: string;
  /** With REQUIRE_ADDITIONAL_AUTHENTICATION: the issuer's, or those Request Activation Methods returned. */
  activationMethods: ActivationMethod[];
}

/**
 * MDES asking the card's issuer before it creates a token: Authorize
 * Service, over mutual TLS, the card and the account holder encrypted to
 * the issuer's key (docs/mastercard/pre-digitization.md §7). The answer's
 * decision decides; without a usable answer MDES stands in. An issuer that
 * registered no Pre-Digitization services has MDES decide for it
 * (APPROVED). When the issuer asks for more authentication but names no
 * activation methods, MDES asks it for them (Request Activation Methods).
 * Every decision is recorded.
 */
export class TokenizationAuthorizer {
  readonly #db: Kysely<PreDigitizationSchema>;
  readonly #options: TokenizationAuthorizerOptions;

  constructor(options: TokenizationAuthorizerOptions) {
    this.#db = options.db as Kysely<PreDigitizationSchema>;
    this.#options = options;
  }

  async authorize(question: TokenizationQuestion): Promise<TokenizationDecision> {
    const requestId = newId('as');
    // "Value linking pre-digitization messages generated during provisioning", 1–14 characters.
    const correlationId = randomBytes(7).toString('hex');
    // The question is on record before the issuer hears it, the answer as soon as it is in.
    await this.#db
      .insertInto('mc_tokenization_decisions')
      .values({
        request_id: requestId,
        issuer_consumer_key: question.issuerConsumerKey,
        token_requestor_id: question.tokenRequestorId,
        token_unique_reference: question.tokenUniqueReference,
        source: question.source,
        receipt: question.receipt ?? null,
        decision: 'PENDING',
        decided_by: null,
        reason_code: null,
        activation_methods: null,
        correlation_id: correlationId,
        decided_at: this.#options.clock.now(),
      })
      .execute();
    const decision = await this.#ask(question, requestId, correlationId);
    await this.#db
      .updateTable('mc_tokenization_decisions')
      .set({
        decision: decision.decision,
        decided_by: decision.decidedBy,
        reason_code: decision.reasonCode,
        activation_methods:
          decision.activationMethods.length > 0 ? JSON.stringify(decision.activationMethods) : null,
        decided_at: this.#options.clock.now(),
      })
      .where('request_id', '=', requestId)
      .execute();
    this.#options.onDecision?.(decision);
    return decision;
  }

  async #ask(
    question: TokenizationQuestion,
    requestId: string,
    correlationId: string,
  ): Promise<TokenizationDecision> {
    const decided = (
      decision: PreDigitizationDecision,
      decidedBy: DecidedBy,
      reasonCode: string,
      activationMethods: ActivationMethod[] = [],
    ): TokenizationDecision => ({
      requestId,
      correlationId,
      decision,
      decidedBy,
      reasonCode,
      activationMethods,
    });
    const issuer = await this.#options.issuers.of(question.issuerConsumerKey);
    if (!issuer) return decided('APPROVED', 'MDES', 'ON_BEHALF_OF_ISSUER');
    const data = fundingAccountData(question.account, question.source, question.decisioningData);
    const common = {
      services: ['DIGITIZATION'],
      fundingAccountInfo: {
        tokenUniqueReference: question.tokenUniqueReference,
        panUniqueReference: question.panUniqueReference,
      },
      correlationId,
      tokenType: question.tokenType,
      tokenRequestorId: question.tokenRequestorId,
      ...(question.tokenRequestorName && { consumerFacingEntityName: question.tokenRequestorName }),
      ...(question.decisioningData?.mobileNumberSuffix && {
        mobileNumberSuffix: question.decisioningData.mobileNumberSuffix,
      }),
    };
    const info = walletProviderDecisioningInfo(question.decisioningData);
    const result = await issuer.authorizeService(
      {
        ...common,
        requestId,
        activeTokenCount: String(Math.min(await this.#activeTokens(question), 99)),
        ...(info && { walletProviderDecisioningInfo: info }),
      },
      data,
    );
    const standIn = this.#options.standIn ?? 'DECLINED';
    if (!result.ok) return decided(standIn, 'STAND_IN', standInReason(result.failure));
    const { decision } = result.answer;
    if (!decision) return decided(standIn, 'STAND_IN', 'ISSUER_ANSWER_INVALID');
    if (decision !== 'REQUIRE_ADDITIONAL_AUTHENTICATION') return decided(decision, 'ISSUER', decision);
    let methods = result.answer.activationMethods ?? [];
    if (methods.length === 0) {
      // "If there are no methods to return the field may be omitted": MDES asks for them.
      const asked = await issuer.requestActivationMethods({ ...common, requestId: newId('ram') }, data);
      methods = asked.ok ? (asked.answer.activationMethods ?? []) : [];
    }
    return decided(decision, 'ISSUER', decision, methods);
  }

  /**
   * "The number of active tokens that already exist for the Funding
   * Account": the issuer's ACTIVE and SUSPENDED tokens of the same card
   * (**Assumption**: a suspended token is still active, a token awaiting
   * activation not yet). The simulator's cards are few: each candidate with
   * the same last four digits is opened and compared.
   */
  async #activeTokens(question: TokenizationQuestion): Promise<number> {
    const pan = question.account.cardAccountData?.accountNumber;
    if (!pan) return 0;
    const rows = await this.#db
      .selectFrom('mc_tokens')
      .select(['token_unique_reference', 'account_sealed'])
      .where('issuer_consumer_key', '=', question.issuerConsumerKey)
      .where('account_last_four', '=', pan.slice(-4))
      .where('status', 'in', ['ACTIVE', 'SUSPENDED'])
      .execute();
    return rows.filter((row) => {
      const account = JSON.parse(
        this.#options.sealer.open(row.account_sealed, row.token_unique_reference),
      ) as FundingAccount;
      return account.cardAccountData?.accountNumber === pan;
    }).length;
  }
}

/** Why MDES stood in, for its record. */

function standInReason(failure: PreDigitizationFailure): string {
  switch (failure.kind) {
    case 'timeout':
      return 'ISSUER_TIMEOUT';
    case 'network':
      return 'ISSUER_NOT_REACHABLE';
    case 'http':
      return `ISSUER_HTTP_${failure.status}`;
    case 'invalid-answer':
      return 'ISSUER_ANSWER_INVALID';
  }
}
