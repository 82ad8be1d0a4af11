import { randomUUID } from 'node:crypto';
import { signedPost } from '../../mastercard/oauth/signed-post.js';
import type { OAuthSigner } from '../../mastercard/oauth/signer.js';
import { type CreatedToken, TokenCreationError, type TokenCreator } from './app.js';

/**
 * The merchant's side of Secure Card on File token creation: MDES tokenize
 * with the pushed receipt, signed with the merchant's own key, as any
 * token requestor calls it.
 */
export interface MdesTokenClientOptions {
  /** MDES base URL, e.g. `http://localhost:8081/mdes`. */
  baseUrl: string;
  signer: Pick<OAuthSigner, 'authorizationHeader'>;
  tokenRequestorId: string;
  timeoutMs?: number;
}

interface TokenizeAnswer {
  decision?: string;
  tokenUniqueReference?: string;
  tokenInfo?: { accountPanSuffix?: string };
  errors?: { reasonCode?: string }[];
}

export class MdesTokenClient implements TokenCreator {
  constructor(private readonly options: MdesTokenClientOptions) {}

  async createToken(receipt: string): Promise<CreatedToken> {
    const url = `${this.options.baseUrl.replace(/\/+$/, '')}/digitization/static/1/0/tokenize`;
    const body = JSON.stringify({
      requestId: randomUUID(),
      tokenType: 'CLOUD',
      tokenRequestorId: this.options.tokenRequestorId,
      taskId: randomUUID(),
      fundingAccountInfo: { pushAccountReceipt: receipt },
    });
    let answer: TokenizeAnswer;
    try {
      const response = await signedPost(url, body, {
        signer: this.options.signer,
        timeoutMs: this.options.timeoutMs ?? 10_000,
      });
      answer = (await response.json()) as TokenizeAnswer;
    } catch {
      throw new TokenCreationError('MDES_UNAVAILABLE');
    }
    const reason = answer.errors?.[0]?.reasonCode;
    if (reason) throw new TokenCreationError(reason);
    if (
      answer.decision !== 'APPROVED' ||
      !answer.tokenUniqueReference ||
      !answer.tokenInfo?.accountPanSuffix
    ) {
      throw new TokenCreationError(answer.decision ? `DECISION_${answer.decision}` : 'UNEXPECTED_RESPONSE');
    }
    return { tokenUniqueReference: answer.tokenUniqueReference, lastFour: answer.tokenInfo.accountPanSuffix };
  }
}
