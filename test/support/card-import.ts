import { readFileSync } from 'node:fs';

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

/**
 * Re-imports a demo cardholder of fixtures/demo-cards.json through the ops
 * API of a running stack, their first card changed as the bank's card
 * system would export it (replaced, blocked, closed); the import's answer.
 */
export async function reimportDemoCard(
  stack: { issuer: string; opsKey: string },
  externalRef: string,
  change: Record<string, unknown>,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const fixture = JSON.parse(
    readFileSync(new URL('../../fixtures/demo-cards.json', import.meta.url), 'utf8'),
  ) as { cardholders: { externalRef: string; cards: Record<string, unknown>[] }[] };
  const holder = fixture.cardholders.find((c) => c.externalRef === externalRef);
  if (!holder) throw new Error(`no demo cardholder ${externalRef}`);
  holder.cards[0] = { ...holder.cards[0], ...change };
  const response = await fetch(`${stack.issuer}/v1/ops/cards/import`, {
    method: 'POST',
    headers: { authorization: `Bearer ${stack.opsKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({ cardholders: [holder] }),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}
