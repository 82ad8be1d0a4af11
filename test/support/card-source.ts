import type { CardSource } from '../../src/service/ports.js';

/**
 * A test's card source from its four basic answers, with `forPush` made of
 * them as the card store answers it: the cardholder's cards among those
 * asked for, each with its PAN, and the profile (none when no card is theirs).
 */
export function fakeCardSource(basic: Omit<CardSource, 'forPush'>): CardSource {
  return {
    ...basic,
    forPush: async (cardholderId, cardIds) => {
      const owned = (await basic.listCards(cardholderId)).filter((c) => cardIds.includes(c.id));
      const cards = await Promise.all(
        owned.map(async (c) => ({ ...c, ...(await basic.revealCardData(c.id)) })),
      );
      return { cards, profile: cards.length > 0 ? await basic.profile(cardholderId) : undefined };
    },
  };
}
