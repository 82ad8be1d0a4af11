import { ConflictError, NotFoundError, PushprovError } from '../../core/errors.js';
import type { AuditLog, AuditRecord } from '../../store/audit.js';
import type { TokenCount, TokenRecord, TokenRepository } from '../../store/tokens/tokens.js';
import type { TokenAction, TokenManagementClient } from './mdes-client.js';

export interface SavedCardsOptions {
  tokens: Pick<TokenRepository, 'listByCard' | 'ofCard' | 'counts'>;
  /** The card, when it is the cardholder's (CardStore.ownedCard). */
  cards: {
    ownedCard(cardholderId: string, cardId: string): Promise<{ status: string } | undefined>;
  };
  /** MDES token management; without it (no Customer Service API access configured) changes are refused. */
  mdes: Pick<TokenManagementClient, 'change' | 'update' | 'search'> | undefined;
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

type Mdes = NonNullable<SavedCardsOptions['mdes']>;
type Ask = (mdes: Mdes, references: string[]) => Promise<readonly string[]>;

/** An `Ask` that changes every token it is given. */
const every =
  (change: (mdes: Mdes, references: string[]) => Promise<unknown>): Ask =>
  async (mdes, references) => {
    await change(mdes, references);
    return references;
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
    const card = await this.#ownCard(cardholderId, cardId);
    const token = await this.#o.tokens.ofCard(cardId, tokenId);
    if (!token) throw new NotFoundError('TOKEN_NOT_FOUND', 'no such saved card');
    // The bank's block outranks the cardholder: its tokens stay suspended until the card is unblocked.
    if (action === 'resume' && card.status !== 'active') {
      throw new ConflictError('CARD_BLOCKED', 'the card is not active, so its saved cards cannot be resumed');
    }
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
    return this.#forLiveTokens(
      cardId,
      'token.card_replaced',
      every((mdes, references) => mdes.update(references, account)),
    );
  }

  /** A card closed: its tokens are deleted at MDES. Resolves how many tokens were asked to go. */
  async cardClosed(cardId: string) {
    return this.#forLiveTokens(
      cardId,
      'token.card_closed',
      every((mdes, references) => mdes.change('delete', references, 'ISSUER')),
    );
  }

  /**
   * A card blocked: its tokens are suspended at MDES, by the issuer. One the
   * cardholder had paused stays paused by the cardholder (MDES leaves a token
   * already suspended as it is), so unblocking does not resume it.
   */
  async cardBlocked(cardId: string) {
    return this.#forLiveTokens(
      cardId,
      'token.card_blocked',
      every((mdes, references) => mdes.change('suspend', references, 'ISSUER')),
    );
  }

  /** A card unblocked: the tokens MDES says the issuer suspended are resumed; the cardholder's pauses stay. */
  async cardUnblocked(cardId: string) {
    return this.#forLiveTokens(cardId, 'token.card_unblocked', async (mdes, references) => {
      const bySuspension = (await mdes.search(references))
        .filter((token) => token.status === 'SUSPENDED' && token.suspendedBy === 'ISSUER')
        .map((token) => token.tokenUniqueReference);
      if (bySuspension.length > 0) await mdes.change('unsuspend', bySuspension, 'ISSUER');
      return bySuspension;
    });
  }

  /**
   * Asks MDES about a card's live tokens, ten per request. `ask` resolves the
   * references it asked MDES to change; those tokens are audited and counted.
   */
  async #forLiveTokens(cardId: string, action: string, ask: Ask): Promise<number> {
    const live = (await this.#o.tokens.listByCard(cardId)).filter((t) => t.status !== 'DELETED');
    const mdes = this.#mdes();
    let changed = 0;
    for (let i = 0; i < live.length; i += MDES_BATCH) {
      const batch = live.slice(i, i + MDES_BATCH);
      const asked = new Set(
        await ask(
          mdes,
          batch.map((t) => t.tokenUniqueReference),
        ),
      );
      for (const token of batch.filter((t) => asked.has(t.tokenUniqueReference))) {
        changed++;
        await this.#o.audit.append({
          actor: 'issuer',
          action,
          subject: token.id,
          outcome: 'requested',
          details: { cardId, tokenRequestorId: token.tokenRequestorId },
        });
      }
    }
    return changed;
  }

  #mdes(): Mdes {
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

  async #ownCard(cardholderId: string, cardId: string): Promise<{ status: string }> {
    const card = await this.#o.cards.ownedCard(cardholderId, cardId);
    if (!card) throw new NotFoundError('CARD_NOT_FOUND', 'no such card');
    return card;
  }
}
