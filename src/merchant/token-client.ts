import { randomUUID } from 'node:crypto';
import type { Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import {
  type AuthorizationResponse,
  DECLINE_REASONS,
  NETWORK_AUTHORIZATION_PATH,
} from '../mastercard/digital-enablement/network-authorization.js';
import {
  DIGITAL_ENABLEMENT_PATHS,
  type LifecycleResponse,
  LifecycleResponseSchema,
  type TokenDetailData,
  TokenDetailDataSchema,
  TokenDetailSchema,
  type TransactData,
  TransactDataSchema,
  TransactResponseSchema,
} from '../mastercard/digital-enablement/schemas.js';
import { pushedCardTokenizeRequest, TOKENIZE_PATH } from '../mastercard/digital-enablement/tokenize.js';
import type { EnvelopeDecrypter } from '../mastercard/encryption/envelope-decrypter.js';
import { signedGet, signedPost } from '../mastercard/oauth/signed-post.js';
import type { OAuthSigner } from '../mastercard/oauth/signer.js';
import type { PayloadEncrypter } from '../mastercard/token-connect/client.js';
import type { TokenizationResult } from '../mastercard/token-connect/handover.js';
import type { MediaContent } from '../mastercard/token-connect/types.js';
import type { CreatedToken, TokenCreator } from './app.js';
import { TokenCreationError } from './app.js';
import { MdesCallError } from './payments.js';

/**
 * The demo merchant's calls to MDES as a token requestor (Mastercard
 * Digital Enablement API 1.3.3), signed with its own key: tokenize with a
 * pushed receipt (the token's number arrives encrypted to the shop's key and
 * is opened here), getAsset (card art, and MDES's push-signing key), delete
 * when the shopper removes the card, and Transact for a payment, whose
 * cryptogram goes on to the network's authorisation.
 */
export interface MdesTokenClientOptions {
  /** MDES base URL, e.g. `http://localhost:8081/mdes`. */
  baseUrl: string;
  /** Where the network's authorisation is asked (the simulator's root). */
  networkUrl: string;
  signer: Pick<OAuthSigner, 'authorizationHeader'>;
  tokenRequestorId: string;
  /** Mastercard's encryption key, to which `source` and the payment's card data are encrypted. */
  mastercardKey: PayloadEncrypter;
  /** The shop's own private key(s), which MDES encrypts to. */
  decrypter: Pick<EnvelopeDecrypter, 'decrypt'>;
  timeoutMs?: number;
}

interface TokenizeAnswer {
  decision?: string;
  tokenUniqueReference?: string;
  tokenInfo?: { accountPanSuffix?: string };
  tokenDetail?: unknown;
  errors?: { reasonCode?: string }[];
}

const DECISIONS: Record<string, TokenizationResult> = {
  DECLINED: 'DECLINED',
  REQUIRE_ADDITIONAL_AUTHENTICATION: 'REQUIRE_ADDITIONAL_AUTHENTICATION',
};

export class MdesTokenClient implements TokenCreator {
  readonly #base: string;

  constructor(private readonly options: MdesTokenClientOptions) {
    this.#base = options.baseUrl.replace(/\/+$/, '');
  }

  async createToken(receipt: string, device: { ipAddress?: string } = {}): Promise<CreatedToken> {
    const body = JSON.stringify(
      pushedCardTokenizeRequest({
        requestId: randomUUID(),
        taskId: randomUUID(),
        tokenRequestorId: this.options.tokenRequestorId,
        receipt,
        encrypter: this.options.mastercardKey,
        ...(device.ipAddress && { deviceIpAddress: device.ipAddress }),
      }),
    );
    let answer: TokenizeAnswer;
    try {
      const response = await signedPost(`${this.#base}${TOKENIZE_PATH}`, body, this.#call());
      answer = (await response.json()) as TokenizeAnswer;
    } catch {
      throw new TokenCreationError('MDES_UNAVAILABLE', 'ERROR');
    }
    const reason = answer.errors?.[0]?.reasonCode;
    if (reason) throw new TokenCreationError(reason, 'ERROR');
    if (answer.decision !== 'APPROVED') {
      const result = DECISIONS[answer.decision ?? ''] ?? 'ERROR';
      throw new TokenCreationError(
        `DECISION_${answer.decision ?? 'MISSING'}`,
        result,
        answer.tokenUniqueReference,
      );
    }
    if (!answer.tokenUniqueReference || !answer.tokenInfo?.accountPanSuffix) {
      throw new TokenCreationError('UNEXPECTED_RESPONSE', 'ERROR');
    }
    const detail = this.#tokenDetail(answer.tokenUniqueReference, answer.tokenDetail);
    return {
      tokenUniqueReference: answer.tokenUniqueReference,
      lastFour: answer.tokenInfo.accountPanSuffix,
      token: {
        tokenNumber: detail.tokenNumber,
        expiryMonth: detail.expiryMonth,
        expiryYear: detail.expiryYear,
      },
    };
  }

  /**
   * Opens `tokenDetail` with the shop's key. A token whose number cannot be
   * read is of no use to the shop: the redemption counts as an error, and
   * the token stays at MDES unused (the shop cannot say which it is).
   */
  #tokenDetail(tokenUniqueReference: string, sealed: unknown): TokenDetailData {
    if (!Value.Check(TokenDetailSchema, sealed) || sealed.tokenUniqueReference !== tokenUniqueReference) {
      throw new TokenCreationError('TOKEN_DETAIL_MISSING', 'ERROR', tokenUniqueReference);
    }
    const detail = this.#open(sealed, TokenDetailDataSchema);
    if (!detail) throw new TokenCreationError('TOKEN_DETAIL_UNREADABLE', 'ERROR', tokenUniqueReference);
    return detail;
  }

  /**
   * Delete, as the cardholder asked (`causedBy: CARDHOLDER`); the token's
   * state after it. Deleting a deleted token again answers DEACTIVATED, so
   * a retry is harmless.
   */
  async deleteToken(tokenUniqueReference: string): Promise<LifecycleResponse['tokens'][number]> {
    const answer = await this.#post(DIGITAL_ENABLEMENT_PATHS.delete, {
      requestId: randomUUID(),
      tokenUniqueReferences: [tokenUniqueReference],
      causedBy: 'CARDHOLDER',
      reasonCode: 'OTHER',
      reason: 'Removed by the shopper at Demo Shop',
    });
    if (!Value.Check(LifecycleResponseSchema, answer)) throw new MdesCallError('UNEXPECTED_RESPONSE');
    const token = answer.tokens.find((t) => t.tokenUniqueReference === tokenUniqueReference);
    if (!token) throw new MdesCallError('UNEXPECTED_RESPONSE');
    return token;
  }

  /** Transact: a DSRP (UCAF) cryptogram and the token's number for one payment, opened with the shop's key. */
  async transact(tokenUniqueReference: string): Promise<TransactData> {
    const answer = await this.#post(DIGITAL_ENABLEMENT_PATHS.transact, {
      requestId: randomUUID(),
      tokenUniqueReference,
      dsrpType: 'UCAF',
      unpredictableNumber: randomUUID().replace(/-/g, '').slice(0, 8),
    });
    if (!Value.Check(TransactResponseSchema, answer)) throw new MdesCallError('UNEXPECTED_RESPONSE');
    const data = this.#open(answer.encryptedPayload, TransactDataSchema);
    if (!data) throw new MdesCallError('TRANSACT_PAYLOAD_UNREADABLE');
    return data;
  }

  /** The network's decision on a payment, its card data encrypted to Mastercard's key. */
  async authorize(payment: {
    requestId: string;
    amount: string;
    currency: string;
    accountNumber: string;
    de48se43Data: string;
  }): Promise<AuthorizationResponse> {
    const payload = await this.options.mastercardKey.encrypt(
      JSON.stringify({ accountNumber: payment.accountNumber, de48se43Data: payment.de48se43Data }),
    );
    const answer = (await this.#post(
      NETWORK_AUTHORIZATION_PATH,
      {
        requestId: payment.requestId,
        amount: payment.amount,
        currency: payment.currency,
        encryptedPayload: payload,
      },
      this.options.networkUrl.replace(/\/+$/, ''),
    )) as Partial<AuthorizationResponse>;
    if (answer.decision === 'APPROVED')
      return { responseId: payment.requestId, decision: 'APPROVED', ...answer };
    const reason = DECLINE_REASONS.find((r) => r === answer.reasonCode);
    if (answer.decision !== 'DECLINED' || !reason) throw new MdesCallError('UNEXPECTED_RESPONSE');
    return { responseId: payment.requestId, decision: 'DECLINED', reasonCode: reason };
  }

  /** getAsset: `GET /assets/static/1/0/asset/{AssetId}`. */
  async asset(assetId: string): Promise<MediaContent[]> {
    const url = `${this.#base}/assets/static/1/0/asset/${encodeURIComponent(assetId)}`;
    const response = await signedGet(url, this.#call());
    if (!response.ok) throw new Error(`MDES answered getAsset ${assetId} with HTTP ${response.status}`);
    const { mediaContents } = (await response.json()) as { mediaContents?: MediaContent[] };
    return mediaContents ?? [];
  }

  /** A signed POST; MDES's refusal becomes an MdesCallError with its reason code. */
  async #post(path: string, body: object, base = this.#base): Promise<unknown> {
    let response: Response;
    let answer: unknown;
    try {
      response = await signedPost(`${base}${path}`, JSON.stringify(body), this.#call());
      answer = await response.json();
    } catch {
      throw new MdesCallError('MDES_UNAVAILABLE');
    }
    if (!response.ok) {
      const reason = (answer as { errors?: { reasonCode?: unknown }[] } | null)?.errors?.[0]?.reasonCode;
      throw new MdesCallError(typeof reason === 'string' ? reason : `HTTP_${response.status}`);
    }
    return answer;
  }

  #open<T extends typeof TokenDetailDataSchema | typeof TransactDataSchema>(
    envelope: Parameters<EnvelopeDecrypter['decrypt']>[0],
    schema: T,
  ): Static<T> | undefined {
    try {
      const value: unknown = JSON.parse(this.options.decrypter.decrypt(envelope));
      return Value.Check(schema, value) ? value : undefined;
    } catch {
      return undefined;
    }
  }

  #call() {
    return { signer: this.options.signer, timeoutMs: this.options.timeoutMs ?? 10_000 };
  }
}
