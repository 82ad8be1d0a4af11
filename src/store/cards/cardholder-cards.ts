import type { Kysely } from 'kysely';
import type { CardholderProfile } from '../../domain/account-holder.js';
import type { IssuerSchema } from '../schema.js';
import { IssuerRepository } from '../transaction.js';
import type { CardVault } from './blind-index.js';
import { CardholderRepository } from './cardholders.js';
import { type Card, CardRepository, MASKED_CARD_COLUMNS, toCard } from './cards.js';

/** What a push sends of the cardholder's cards: each card with its PAN, and the cardholder's profile. */
export interface PushData {
  cards: (Card & { pan: string })[];
  profile: CardholderProfile | undefined;
}

/**
 * Cardholders and cards together: what the use cases read card data through
 * (it satisfies the service layer's `CardSource`).
 */
export class CardholderCardRepository extends IssuerRepository {
  readonly cardholders: CardholderRepository;
  readonly cards: CardRepository;

  constructor(db: Kysely<IssuerSchema>, vault: CardVault) {
    super(db);
    this.cardholders = new CardholderRepository(db, vault);
    this.cards = new CardRepository(db, vault);
  }

  ownedCard(cardholderId: string, cardId: string): Promise<Card | undefined> {
    return this.cards.ownedCard(cardholderId, cardId);
  }

  listCards(cardholderId: string): Promise<Card[]> {
    return this.cards.listByCardholder(cardholderId);
  }

  revealCardData(cardId: string): Promise<{ pan: string }> {
    return this.cards.revealCardData(cardId);
  }

  profile(cardholderId: string): Promise<CardholderProfile> {
    return this.cardholders.profile(cardholderId);
  }

  /**
   * The cardholder's cards among `cardIds` (others' are left out, as if they
   * did not exist), each card's PAN and the cardholder's profile opened
   * once, in one statement: everything a push reads.
   */
  async forPush(cardholderId: string, cardIds: readonly string[]): Promise<PushData> {
    if (cardIds.length === 0) return { cards: [], profile: undefined };
    const rows = await this.db
      .selectFrom('cards as c')
      .innerJoin('cardholders as h', 'h.id', 'c.cardholder_id')
      .select(MASKED_CARD_COLUMNS.map((column) => `c.${column}` as const))
      .select(['c.pan_sealed', 'h.profile_sealed'])
      .where('c.cardholder_id', '=', cardholderId)
      .where('c.id', 'in', [...cardIds])
      .execute();
    const first = rows[0];
    return {
      cards: rows.map((row) => ({ ...toCard(row), ...this.cards.openCardData(row.id, row.pan_sealed) })),
      profile: first && this.cardholders.openProfile(cardholderId, first.profile_sealed),
    };
  }
}
