/**
 * Entries of the card import format (fixtures/demo-cards.json's), valid by
 * default; a test overrides what it is about.
 */
export const importCard = (over: Record<string, unknown> = {}) => ({
  externalRef: 'c-1',
  pan: '5555555555554444',
  expiryMonth: 12,
  expiryYear: 2030,
  country: 'GB',
  status: 'active',
  productName: 'Platinum',
  ...over,
});

export const importHolder = (over: Record<string, unknown> = {}) => ({
  externalRef: 'h-1',
  name: 'Alice Martin',
  email: 'alice@example.com',
  phone: '+447700900123',
  billingAddress: { line1: '12 Example Street', city: 'London', postalCode: 'SW1A 1AA', country: 'GB' },
  locale: 'en-GB',
  cards: [importCard()],
  ...over,
});
