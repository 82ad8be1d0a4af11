import type { CardholderProfile } from '../domain/account-holder.js';

/**
 * What the use cases need from the issuer's card data. The card store
 * implements it; the use cases never touch card tables or the vault directly,
 * and see a PAN only for the instant they hand it to Token Connect.
 */
export interface OwnedCard {
  id: string;
  cardholderId: string;
  lastFour: string;
  expiryMonth: number;
  expiryYear: number;
  /** ISO 3166-1 alpha-2. */
  country: string;
  status: 'active' | 'blocked' | 'closed';
  productName: string;
}

export interface CardSource {
  /** The card if it belongs to this cardholder; undefined otherwise, so others' cards do not exist for them. */
  ownedCard(cardholderId: string, cardId: string): Promise<OwnedCard | undefined>;
  listCards(cardholderId: string): Promise<OwnedCard[]>;
  revealCardData(cardId: string): Promise<{ pan: string }>;
  profile(cardholderId: string): Promise<CardholderProfile>;
  /** Everything a push reads at once: the cardholder's cards among `cardIds` with their PANs, and the profile. */
  forPush(
    cardholderId: string,
    cardIds: readonly string[],
  ): Promise<{ cards: (OwnedCard & { pan: string })[]; profile: CardholderProfile | undefined }>;
}
