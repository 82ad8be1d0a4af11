import { randomUUID } from 'node:crypto';
import { PushprovError } from '../../core/errors.js';
import { signedPost } from '../../mastercard/oauth/signed-post.js';
import type { OAuthSigner } from '../../mastercard/oauth/signer.js';

/** A lifecycle change the issuer asks MDES for (MDES Customer Service API: suspend, unsuspend, delete). */
export type TokenAction = 'suspend' | 'unsuspend' | 'delete';

export interface ManagedToken {
  tokenUniqueReference: string;
  tokenRequestorId: string;
  status: 'ACTIVE' | 'SUSPENDED' | 'DELETED';
  /** Who suspended a SUSPENDED token. */
  suspendedBy?: 'CARDHOLDER' | 'ISSUER';
  tokenPanSuffix: string;
  accountPanSuffix: string;
  statusTimestamp: string;
}

export interface TokenManagementClientOptions {
  /** MDES's base URL, e.g. `http://localhost:8081/mdes` for the simulator. */
  baseUrl: string;
  signer: Pick<OAuthSigner, 'authorizationHeader'>;
  fetch?: typeof globalThis.fetch;
  /** Per request; default 10 s. */
  timeoutMs?: number;
}

/**
 * The issuer's client of MDES token management (paths after the MDES
 * Customer Service API, `csapi/v2`; see src/simulator/token-management),
 * OAuth 1.0a-signed with the issuer's key. Changes are asked for here and
 * land when MDES's Token Event Notification comes back.
 */
export class TokenManagementClient {
  readonly #o: TokenManagementClientOptions;

  constructor(options: TokenManagementClientOptions) {
    this.#o = options;
  }

  search(tokenUniqueReferences: readonly string[]): Promise<ManagedToken[]> {
    return this.#call('search', { tokenUniqueReferences });
  }

  change(action: TokenAction, tokenUniqueReferences: readonly string[], causedBy: 'CARDHOLDER' | 'ISSUER') {
    return this.#call(action, { tokenUniqueReferences, causedBy });
  }

  /** After a card replacement: the tokens follow the new card's last four digits and expiry (MMYY). */
  update(
    tokenUniqueReferences: readonly string[],
    account: { accountPanSuffix?: string; accountExpiry?: string },
  ): Promise<ManagedToken[]> {
    return this.#call('update', { tokenUniqueReferences, causedBy: 'ISSUER', ...account });
  }

  async #call(operation: string, body: Record<string, unknown>): Promise<ManagedToken[]> {
    const url = `${this.#o.baseUrl.replace(/\/+$/, '')}/csapi/v2/token/${operation}`;
    const payload = JSON.stringify({ requestId: randomUUID(), ...body });
    let response: Response;
    try {
      response = await signedPost(url, payload, {
        signer: this.#o.signer,
        ...(this.#o.fetch && { fetch: this.#o.fetch }),
        timeoutMs: this.#o.timeoutMs ?? 10_000,
      });
    } catch (error) {
      throw new PushprovError('TOKEN_MANAGEMENT_UNAVAILABLE', 'MDES token management did not answer', {
        status: 502,
        cause: error,
      });
    }
    const text = await response.text();
    if (response.status === 404) {
      throw new PushprovError('TOKEN_NOT_FOUND', 'MDES does not know this token', { status: 404 });
    }
    if (!response.ok) {
      throw new PushprovError(
        'TOKEN_MANAGEMENT_REFUSED',
        `MDES token management answered ${response.status}`,
        {
          status: response.status >= 500 ? 502 : 409,
        },
      );
    }
    // MDES reports some refusals (AUTHORIZATION_FAILED) with HTTP 200 and its error envelope.
    const answer = JSON.parse(text) as { tokens?: ManagedToken[]; errors?: unknown[] };
    if (!answer.tokens || answer.errors?.length) {
      throw new PushprovError('TOKEN_MANAGEMENT_REFUSED', 'MDES token management refused the request', {
        status: 409,
      });
    }
    return answer.tokens;
  }
}
