import { padRange } from './account-ranges.js';
import { isServedCountry } from './regions.js';

/**
 * Whether a card may be pushed to a destination. Pure: the caller supplies
 * the card's facts, the destination's accepted account ranges and the time.
 * Each refusal has its own code so the cardholder is told exactly why.
 */
export interface CardFacts {
  /** ISO 3166-1 alpha-2 country of issue. */
  country: string;
  status: 'active' | 'blocked' | 'closed';
  expiryMonth: number;
  expiryYear: number;
  /** The issuer account range (9–19 digit prefix) the card falls in, if any. */
  accountRange: string | undefined;
}

export interface DestinationFacts {
  tokenRequestorId: string;
  /** MDES's 19-digit range start numbers the token requestor accepts. */
  enabledAccountRanges: readonly string[];
}

const INELIGIBILITY = {
  CARD_COUNTRY_NOT_SERVED: 'push provisioning is not offered for cards issued in this country',
  CARD_NOT_ACTIVE: 'the card is not active',
  CARD_EXPIRED: 'the card has expired',
  ACCOUNT_RANGE_NOT_ENROLLED: "the card's account range is not enrolled in MDES",
  ACCOUNT_RANGE_NOT_ACCEPTED: 'this destination does not accept this card',
} as const;

type IneligibilityCode = keyof typeof INELIGIBILITY;

export type Eligibility = { eligible: true } | { eligible: false; code: IneligibilityCode; message: string };

const refuse = (code: IneligibilityCode): Eligibility => ({
  eligible: false,
  code,
  message: INELIGIBILITY[code],
});

/** Card-level checks, independent of the destination. */
export function cardEligibility(card: CardFacts, now: Date): Eligibility {
  if (!isServedCountry(card.country)) return refuse('CARD_COUNTRY_NOT_SERVED');
  if (card.status !== 'active') return refuse('CARD_NOT_ACTIVE');
  if (isExpired(card.expiryMonth, card.expiryYear, now)) return refuse('CARD_EXPIRED');
  if (card.accountRange === undefined) return refuse('ACCOUNT_RANGE_NOT_ENROLLED');
  return { eligible: true };
}

export function eligibility(card: CardFacts, destination: DestinationFacts, now: Date): Eligibility {
  const base = cardEligibility(card, now);
  if (!base.eligible) return base;
  const range = padRange(card.accountRange ?? '');
  return destination.enabledAccountRanges.includes(range) ? base : refuse('ACCOUNT_RANGE_NOT_ACCEPTED');
}

/** A card is valid through the last day of its expiry month (UTC). */
export function isExpired(month: number, year: number, now: Date): boolean {
  const fullYear = year < 100 ? 2000 + year : year;
  const firstInvalid = Date.UTC(fullYear, month, 1); // month is 1-based, so this is the next month's first day
  return now.getTime() >= firstInvalid;
}
