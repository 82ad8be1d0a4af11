import { Value } from '@sinclair/typebox/value';
import type { Kysely } from 'kysely';
import type { Clock } from '../../core/clock.js';
import { newId } from '../../core/ids.js';
import {
  type ActivationMethod,
  type AuthorizationRequest,
  type TokenFacts,
  type TokenizationAuthorizationRequest,
  TokenizationAuthorizationResponse,
  type TokenizationDecision,
} from '../../mastercard/mdes/messages.js';
import { signedPost } from '../../mastercard/oauth/signed-post.js';
import type { OAuthSigner } from '../../mastercard/oauth/signer.js';
import type { DecisioningSchema } from './tables.js';

export interface AuthorizerOptions {
  db: Kysely<unknown>;
  clock: Clock;
  /** Signs each request as MDES (OAuth 1.0a with Mastercard's signing key). */
  signer: Pick<OAuthSigner, 'authorizationHeader'>;
  /** MDES's own decision when the issuer does not answer in time or answers nonsense; default DECLINED. */
  standIn?: 'APPROVED' | 'DECLINED';
  /** How long the issuer has to answer; default 5 s (a tokenization waits for it). */
  timeoutMs?: number;
  fetch?: typeof globalThis.fetch;
  /** Told about every decision; ids and outcomes only. */
  onDecision?: (decision: Decision) => void;
}

export interface Decision {
  requestId: string;
  decision: TokenizationDecision;
  /**
   * ISSUER; STAND_IN when the issuer did not answer; MDES for an issuer that
   * takes no authorization requests (it registered no URL for them), whose
   * tokens MDES approves on its behalf.
   */
  decidedBy: 'ISSUER' | 'STAND_IN' | 'MDES';
  reasonCode: string;
  activationMethods: ActivationMethod[];
}

/**
 * MDES asking the issuer before it creates a token for one of its cards
 * (a Tokenization Authorization Request): the token requestor, the token
 * type, and the push that caused it (receipt and pushAccountId) when there
 * was one. The answer decides; without one in time, MDES stands in with
 * the issuer's configured stand-in decision, as MDES does for issuers it
 * cannot reach. Every decision is recorded, and is final for its request:
 * a token requestor asking again is asked about again.
 */
export class IssuerAuthorizer {
  readonly #db: Kysely<DecisioningSchema>;
  readonly #o: AuthorizerOptions;

  constructor(options: AuthorizerOptions) {
    this.#db = options.db as Kysely<DecisioningSchema>;
    this.#o = options;
  }

  async authorize(
    issuerConsumerKey: string,
    token: TokenFacts,
    request: AuthorizationRequest,
  ): Promise<Decision> {
    const message: TokenizationAuthorizationRequest = {
      notificationId: newId('tar'),
      messageType: 'TOKENIZATION_AUTHORIZATION_REQUEST',
      timestamp: this.#o.clock.now().toISOString(),
      token,
      authorizationRequest: request,
    };
    const decision = await this.#ask(issuerConsumerKey, message);
    await this.#db
      .insertInto('mc_tokenization_decisions')
      .values({
        request_id: message.notificationId,
        issuer_consumer_key: issuerConsumerKey,
        token_requestor_id: token.tokenRequestorId,
        token_unique_reference: token.tokenUniqueReference,
        source: request.source,
        receipt: request.pushAccountReceipt ?? null,
        decision: decision.decision,
        decided_by: decision.decidedBy,
        reason_code: decision.reasonCode,
        decided_at: this.#o.clock.now(),
      })
      .execute();
    this.#o.onDecision?.(decision);
    return decision;
  }

  async #ask(issuerConsumerKey: string, message: TokenizationAuthorizationRequest): Promise<Decision> {
    const requestId = message.notificationId;
    const standIn = (reasonCode: string): Decision => ({
      requestId,
      decision: this.#o.standIn ?? 'DECLINED',
      decidedBy: 'STAND_IN',
      reasonCode,
      activationMethods: [],
    });
    const endpoint = await this.#db
      .selectFrom('mc_clients')
      .select('authorization_url')
      .where('consumer_key', '=', issuerConsumerKey)
      .executeTakeFirst();
    const url = endpoint?.authorization_url;
    if (!url) {
      return {
        requestId,
        decision: 'APPROVED',
        decidedBy: 'MDES',
        reasonCode: 'ON_BEHALF_OF_ISSUER',
        activationMethods: [],
      };
    }
    let answer: unknown;
    try {
      const response = await signedPost(url, JSON.stringify(message), {
        signer: this.#o.signer,
        ...(this.#o.fetch && { fetch: this.#o.fetch }),
        timeoutMs: this.#o.timeoutMs ?? 5_000,
      });
      if (!response.ok) return standIn(`ISSUER_HTTP_${response.status}`);
      answer = await response.json();
    } catch (error) {
      return standIn(
        error instanceof Error && error.name === 'TimeoutError' ? 'ISSUER_TIMEOUT' : 'ISSUER_NOT_REACHABLE',
      );
    }
    // An answer to another request, or one MDES cannot read, is no answer.
    if (!Value.Check(TokenizationAuthorizationResponse, answer) || answer.notificationId !== requestId) {
      return standIn('ISSUER_ANSWER_INVALID');
    }
    return {
      requestId,
      decision: answer.decision,
      decidedBy: 'ISSUER',
      reasonCode: answer.reasonCode,
      activationMethods: answer.activationMethods ?? [],
    };
  }
}
