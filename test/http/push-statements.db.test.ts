import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CardholderClient, DEMO, type Stack, startStack } from '../support/stack.js';

const CLICK_TO_PAY = '50123197928';
const DEMO_SHOP = '50182375119';

/**
 * What one push costs the issuer's database, pinned per use case: the
 * statements and transactions of the POST that creates the provisioning,
 * calls Token Connect and records the receipts (guard, idempotency key,
 * cards, insert, audit, settlement), as the issuer's `/metrics` reports
 * them. A change that reads a record again or splits a transaction fails here.
 */
const BUDGET = {
  'push.merchant': { statements: 12, transactions: 2 },
  // One more: the tokens that say whether the card is already in Click to Pay.
  'push.click_to_pay': { statements: 13, transactions: 2 },
} as const;

let stack: Stack;
let client: CardholderClient;
let cardId: string;

async function dbMetrics(): Promise<Map<string, number>> {
  const response = await fetch(`${stack.issuer}/metrics`, {
    headers: { authorization: `Bearer ${stack.opsKey}` },
  });
  const out = new Map<string, number>();
  for (const line of (await response.text()).split('\n')) {
    const m = /^pushprov_db_(statements|transactions)_total\{(.*)\} (\d+)$/.exec(line);
    if (m) out.set(`${m[1]} ${m[2]}`, Number(m[3]));
  }
  return out;
}

const pushLabels = (useCase: string) => `method="POST",route="/v1/provisionings",use_case="${useCase}"`;

async function costOf(useCase: keyof typeof BUDGET, push: () => Promise<unknown>) {
  const before = await dbMetrics();
  await push();
  const after = await dbMetrics();
  const delta = (kind: string) =>
    (after.get(`${kind} ${pushLabels(useCase)}`) ?? 0) - (before.get(`${kind} ${pushLabels(useCase)}`) ?? 0);
  return { statements: delta('statements'), transactions: delta('transactions') };
}

beforeAll(async () => {
  stack = await startStack();
  client = new CardholderClient(stack.issuer);
  await client.signIn(DEMO.alice);
  await client.stepUp(DEMO.alice.totpSecret);
  const cards = (await client.call('GET', '/v1/cards')).body.cards as { id: string; eligible: boolean }[];
  const eligible = cards.find((c) => c.eligible);
  if (!eligible) throw new Error('no eligible demo card');
  cardId = eligible.id;
});
afterAll(() => stack?.stop());

describe('statements per push, as /metrics counts them', () => {
  it.each([
    ['push.merchant', DEMO_SHOP],
    ['push.click_to_pay', CLICK_TO_PAY],
  ] as const)('%s: as many statements and transactions as its budget', async (useCase, destination) => {
    let state: unknown;
    const cost = await costOf(useCase, async () => {
      const r = await client.push([cardId], destination);
      expect(r.status).toBe(201);
      state = r.body.state;
    });
    expect(state).toBe('receipt_issued');
    expect(cost).toEqual(BUDGET[useCase]);
  });

  it('a replay of the same key runs no transaction and writes nothing', async () => {
    const key = 'statements-replay-0001';
    const first = await client.push([cardId], DEMO_SHOP, key);
    expect(first.status).toBe(201);
    const cost = await costOf('push.merchant', async () => {
      const again = await client.push([cardId], DEMO_SHOP, key);
      expect(again.status).toBe(200);
      expect(again.body.id).toBe(first.body.id);
    });
    // Guard (2), reads (1), the bind that finds the key (a rolled-back transaction), claim, view.
    expect(cost.transactions).toBe(1);
    expect(cost.statements).toBeLessThanOrEqual(12);
  });
});
