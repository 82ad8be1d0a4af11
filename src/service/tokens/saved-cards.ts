import { NotFoundError, PushprovError } from '../../core/errors.js';
import type { AuditLog, AuditRecord } from '../../store/audit.js';
import type { TokenCount, TokenRecord, TokenRepository } from '../../store/tokens/tokens.js';
import type { TokenAction, TokenManagementClient } from './mdes-client.js';

export interface SavedCardsOptions {
  tokens: Pick<TokenRepository, 'listByCard' | 'ofCard' | 'counts'>;
  /** Is this card the cardholder's? (CardStore.ownedCard) */
  cards: { ownedCard(cardholderId: string, cardId: string): Promise<unknown> };
  /** MDES token management; without it (no Customer Service API access configured) changes are refused. */
  mdes: Pick<TokenManagementClient, 'change' | 'update'> | undefined;
  audit: Pick<AuditLog, 'append' | 'history'>;
  /** The logo asset id of a token requestor, when the directory knows it. */
  logoOf?: (tokenRequestorId: string) => Promise<string | undefined>;
}

export interface SavedCard extends TokenRecord {
  logoAssetId: string | undefined;
}

export type SavedCardAction = 'suspend' | 'resume' | 'delete';

// MDES takes at most ten tokens per lifecycle request.
const MDES_BATCH = 10;

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
    await this.#mdes().change(MDES_ACTION[action], [token.tokenUniqueReference], 'CARDHOLDER');
    await this.#o.audit.append({
      actor: `cardholder:${cardholderId}`,
      action: `token.${action}_requested`,
      subject: token.id,
      outcome: 'requested',
      details: { cardId, tokenRequestorId: token.tokenRequestorId },
    });
    return token;
  }

  /**
   * A card replaced or reissued: its live tokens follow the new card's last
   * four digits and expiry (MMYY) at MDES, ten per request; the records move
   * when MDES's PAN_UPDATED / EXPIRY_UPDATED notifications come back.
   * Resolves how many tokens were asked to move.
   */
  async cardReplaced(cardId: string, account: { accountPanSuffix?: string; accountExpiry?: string }) {
    return this.#forLiveTokens(cardId, 'token.card_replaced', (mdes, references) =>
      mdes.update(references, account),
    );
  }

  /** A card closed: its tokens are deleted at MDES. Resolves how many tokens were asked to go. */
  async cardClosed(cardId: string) {
    return this.#forLiveTokens(cardId, 'token.card_closed', (mdes, references) =>
      mdes.change('delete', references, 'ISSUER'),
    );
  }

  async #forLiveTokens(
    cardId: string,
    action: string,
    ask: (mdes: NonNullable<SavedCardsOptions['mdes']>, references: string[]) => Promise<unknown>,
  ): Promise<number> {
    const live = (await this.#o.tokens.listByCard(cardId)).filter((t) => t.status !== 'DELETED');
    const mdes = this.#mdes();
    for (let i = 0; i < live.length; i += MDES_BATCH) {
      const batch = live.slice(i, i + MDES_BATCH);
      await ask(
        mdes,
        batch.map((t) => t.tokenUniqueReference),
      );
      for (const token of batch) {
        await this.#o.audit.append({
          actor: 'issuer',
          action,
          subject: token.id,
          outcome: 'requested',
          details: { cardId, tokenRequestorId: token.tokenRequestorId },
        });
      }
    }
    return live.length;
  }

  #mdes(): NonNullable<SavedCardsOptions['mdes']> {
    if (!this.#o.mdes) {
      throw new PushprovError('TOKEN_MANAGEMENT_UNAVAILABLE', 'token management is not configured', {
        status: 503,
      });
    }
    return this.#o.mdes;
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
