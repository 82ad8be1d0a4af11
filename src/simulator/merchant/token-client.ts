import { randomUUID } from 'node:crypto';
import { pushedCardTokenizeRequest, TOKENIZE_PATH } from '../../mastercard/digital-enablement/tokenize.js';
import { signedGet, signedPost } from '../../mastercard/oauth/signed-post.js';
import type { OAuthSigner } from '../../mastercard/oauth/signer.js';
import type { PayloadEncrypter } from '../../mastercard/token-connect/client.js';
import type { TokenizationResult } from '../../mastercard/token-connect/handover.js';
import type { MediaContent } from '../../mastercard/token-connect/types.js';
import type { CreatedToken, TokenCreator } from './app.js';
import { TokenCreationError } from './app.js';

/**
 * The demo merchant's calls to MDES as a token requestor (Mastercard
 * Digital Enablement API 1.3.3), signed with its own key: tokenize with a
 * pushed receipt, and getAsset (card art, and MDES's push-signing key).
 */
export interface MdesTokenClientOptions {
  /** MDES base URL, e.g. `http://localhost:8081/mdes`. */
  baseUrl: string;
  signer: Pick<OAuthSigner, 'authorizationHeader'>;
  tokenRequestorId: string;
  /** Mastercard's encryption key, to which `source` is encrypted. */
  mastercardKey: PayloadEncrypter;
  timeoutMs?: number;
}

interface TokenizeAnswer {
  decision?: string;
  tokenUniqueReference?: string;
  tokenInfo?: { accountPanSuffix?: string };
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
    return { tokenUniqueReference: answer.tokenUniqueReference, lastFour: answer.tokenInfo.accountPanSuffix };
  }

  /** getAsset: `GET /assets/static/1/0/asset/{AssetId}`. */
  async asset(assetId: string): Promise<MediaContent[]> {
    const url = `${this.#base}/assets/static/1/0/asset/${encodeURIComponent(assetId)}`;
    const response = await signedGet(url, this.#call());
    if (!response.ok) throw new Error(`MDES answered getAsset ${assetId} with HTTP ${response.status}`);
    const { mediaContents } = (await response.json()) as { mediaContents?: MediaContent[] };
    return mediaContents ?? [];
  }

  #call() {
    return { signer: this.options.signer, timeoutMs: this.options.timeoutMs ?? 10_000 };
  }
}
