import { enrolledRangeOf, type Product } from './catalogue.js';

/**
 * The card numbers to test with, in one place: publicly documented
 * Mastercard and Maestro test numbers (Luhn-valid, never issued to anyone),
 * each placed by the simulator's MDES in a range that triggers one
 * behaviour. docs/simulator.md shows the same table; a test keeps them equal.
 */
export interface TestCard {
  pan: string;
  brand: 'Mastercard' | 'Maestro';
  /** Undefined when the card's range is not enrolled in MDES. */
  product: Product | undefined;
  /** What pushing it does. */
  behaviour: string;
}

const card = (pan: string, brand: TestCard['brand'], behaviour: string): TestCard => ({
  pan,
  brand,
  product: enrolledRangeOf(pan)?.product,
  behaviour,
});

export const TEST_CARDS = {
  /** Accepted by every token requestor; receipt MCC-. */
  credit: card('5555555555554444', 'Mastercard', 'credit, accepted by every token requestor: receipt MCC-…'),
  /** A second credit card, for two-card pushes. */
  credit2: card(
    '5105105105105100',
    'Mastercard',
    'credit, accepted by Click to Pay, Demo Shop and Contoso Travel: receipt MCC-…',
  ),
  /** Receipt DMC-. */
  debit: card(
    '5200828282828210',
    'Mastercard',
    'debit, accepted by every token requestor except Contoso Travel: receipt DMC-…',
  ),
  /** Receipt MSI-. */
  maestro: card(
    '6799990100000000019',
    'Maestro',
    'Maestro, accepted by Click to Pay, Demo Shop and Fabrikam Groceries: receipt MSI-…',
  ),
  /** Only Click to Pay accepts it: a push to a merchant answers ACCOUNT_INELIGIBLE for this account. */
  clickToPayOnly: card(
    '2223003122003222',
    'Mastercard',
    'credit, accepted by Click to Pay only: ACCOUNT_INELIGIBLE from any merchant',
  ),
  /** Enrolled in MDES, enabled for no token requestor: getEligibleTokenRequestors answers []. */
  enabledForNone: card(
    '5107559999999903',
    'Mastercard',
    'debit, enrolled but enabled for no token requestor: no token requestors, ACCOUNT_INELIGIBLE on push',
  ),
  /** Its range is not in MDES: ACCOUNT_INELIGIBLE everywhere. */
  notInMdes: card(
    '5102589999999913',
    'Mastercard',
    'debit, range not enrolled in MDES: ACCOUNT_INELIGIBLE everywhere',
  ),
} as const satisfies Record<string, TestCard>;
