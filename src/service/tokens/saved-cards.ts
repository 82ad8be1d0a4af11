import { NotFoundError, PushprovError } from '../../core/errors.js';
import type { AuditLog, AuditRecord } from '../../store/audit.js';
import type { TokenCount, TokenRecord, TokenRepository } from '../../store/tokens/tokens.js';
import type { TokenAction, TokenManagementClient } from './mdes-client.js';

export interface SavedCardsOptions {
  tokens: TokenRepository;
  /** Is this card the cardholder's? (CardStore.ownedCard) */
  cards: { ownedCard(cardholderId: string, cardId: string): Promise<unknown> };
  /** MDES token management; without it (no Customer Service API access configured) changes are refused. */
  mdes: Pick<TokenManagementClient, 'change'> | undefined;
  audit: AuditLog;
  /** The logo asset id of a token requestor, when the directory knows it. */
  logoOf?: (tokenRequestorId: string) => Promise<string | undefined>;
}

export interface SavedCard extends TokenRecord {
  logoAssetId: string | undefined;
}

export type SavedCardAction = 'suspend' | 'resume' | 'delete';

const MDES_ACTION: Record<SavedCardAction, TokenAction> = {
  suspend: 'suspend',
  resume: 'unsuspend',
  delete: 'delete',
};

/**
 * Where a cardholder's card is saved (Click to Pay, each merchant) and their
 * control over it. A change is asked of MDES; the token's status here moves
 * when MDES's Token Event Notification comes back, so the issuer's record
 * never claims what MDES has not done. A card or token that is not the
 * cardholder's is as unknown as one that does not exist.
 */
export class SavedCards {
  readonly #o: SavedCardsOptions;

  constructor(options: SavedCardsOptions) {
    this.#o = options;
  }

  async list(cardholderId: string, cardId: string): Promise<SavedCard[]> {
    await this.#ownCard(cardholderId, cardId);
    const tokens = await this.#o.tokens.listByCard(cardId);
    return Promise.all(
      tokens.map(async (token) => ({
        ...token,
        logoAssetId: await this.#o.logoOf?.(token.tokenRequestorId).catch(() => undefined),
      })),
    );
  }

  /** Asks MDES for the change; resolves the token as it is until MDES's notification lands. */
  async change(
    cardholderId: string,
    cardId: string,
    tokenId: string,
    action: SavedCardAction,
  ): Promise<TokenRecord> {
    await this.#ownCard(cardholderId, cardId);
    const token = await this.#o.tokens.ofCard(cardId, tokenId);
    if (!token) throw new NotFoundError('TOKEN_NOT_FOUND', 'no such saved card');
    if (!this.#o.mdes) {
      throw new PushprovError('TOKEN_MANAGEMENT_UNAVAILABLE', 'token management is not configured', {
        status: 503,
      });
    }
    await this.#o.mdes.change(MDES_ACTION[action], [token.tokenUniqueReference], 'CARDHOLDER');
    await this.#o.audit.append({
      actor: `cardholder:${cardholderId}`,
      action: `token.${action}_requested`,
      subject: token.id,
      outcome: 'requested',
      details: { cardId, tokenRequestorId: token.tokenRequestorId },
    });
    return token;
  }

  /** Ops: how many tokens each token requestor holds, by status. */
  counts(): Promise<TokenCount[]> {
    return this.#o.tokens.counts();
  }

  /** Ops: one token's history, from the audit log. */
  async history(tokenId: string): Promise<AuditRecord[]> {
    const entries = await this.#o.audit.history([tokenId]);
    if (entries.length === 0) throw new NotFoundError('TOKEN_NOT_FOUND', 'no such token');
    return entries;
  }

  async #ownCard(cardholderId: string, cardId: string): Promise<void> {
    if (!(await this.#o.cards.ownedCard(cardholderId, cardId))) {
      throw new NotFoundError('CARD_NOT_FOUND', 'no such card');
    }
  }
}
