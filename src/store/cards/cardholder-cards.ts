import type { Kysely } from 'kysely';
import type { CardholderProfile } from '../../domain/account-holder.js';
import type { IssuerSchema } from '../schema.js';
import { IssuerRepository } from '../transaction.js';
import type { CardVault } from './blind-index.js';
import { CardholderRepository } from './cardholders.js';
import { type Card, CardRepository } from './cards.js';

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
}
