import { NotFoundError, PushprovError } from '../../core/errors.js';
import { accountRangeOf } from '../../domain/account-ranges.js';
import { eligibility } from '../../domain/eligibility.js';
import type { TokenRequestor } from '../../mastercard/token-connect/types.js';
import type { OwnedCard } from '../ports.js';
import type { ProvisioningServiceOptions } from './options.js';

/** The account holder data elements a token requestor receives with a pushed card. */
export const sharedElements = (tr: TokenRequestor): string[] => tr.supportedAccountHolderData ?? [];

/** What the push service asks about a card before it shows or pushes it: whose it is, where it may go. */
export class CardChecks {
  readonly #options: ProvisioningServiceOptions;

  constructor(options: ProvisioningServiceOptions) {
    this.#options = options;
  }

  /** One of the cardholder's cards; CARD_NOT_FOUND for any other. */
  async ownedCard(cardholderId: string, cardId: string): Promise<OwnedCard> {
    const card = await this.#options.cards.ownedCard(cardholderId, cardId);
    if (!card) throw new NotFoundError('CARD_NOT_FOUND', 'no such card');
    return card;
  }

  /** The issuer's MDES account range the card's number falls in, if any. */
  async accountRange(cardId: string): Promise<string | undefined> {
    const { pan } = await this.#options.cards.revealCardData(cardId);
    return accountRangeOf(pan, this.#options.accountRanges);
  }

  async assertEligible(card: OwnedCard, tr: TokenRequestor): Promise<void> {
    const { pan } = await this.#options.cards.revealCardData(card.id);
    this.assertEligibleWith(card, pan, tr);
  }

  /** `assertEligible` for a card whose number is already in hand. */
  assertEligibleWith(card: OwnedCard, pan: string, tr: TokenRequestor): void {
    const accountRange = accountRangeOf(pan, this.#options.accountRanges);
    const result = eligibility({ ...card, accountRange }, tr, this.#options.clock.now());
    if (!result.eligible) {
      throw new PushprovError(result.code, result.message, { status: 422, details: { cardId: card.id } });
    }
  }

  /** The token requestors holding a live token of the card. */
  savedAt(cardId: string): Promise<readonly string[]> {
    return this.#options.savedAt?.(cardId) ?? Promise.resolve([]);
  }
}
