import type { CardholderProfile } from '../../src/domain/account-holder.js';

/** One cardholder's one active card, as the issuer's card store (CardSource) gives it to the use cases. */
export function oneCardSource(card: {
  cardholderId: string;
  cardId: string;
  pan: string;
  profile: CardholderProfile;
}) {
  return {
    ownedCard: async (cardholderId: string, id: string) =>
      cardholderId === card.cardholderId && id === card.cardId
        ? {
            id,
            cardholderId,
            lastFour: card.pan.slice(-4),
            expiryMonth: 12,
            expiryYear: 2029,
            country: 'GB',
            status: 'active' as const,
            productName: 'World',
          }
        : undefined,
    listCards: async () => [],
    revealCardData: async () => ({ pan: card.pan }),
    profile: async () => card.profile,
  };
}
