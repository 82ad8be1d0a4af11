import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reimportDemoCard } from '../support/card-import.js';
import { eventually } from '../support/eventually.js';
import { atTokenRequestor, CardholderClient, DEMO, type Stack, startStack } from '../support/stack.js';

const CLICK_TO_PAY = '50123197928';
const DEMO_SHOP = '50182375119';
// Not among the demo cards, in the same MDES account range as the card it replaces (555555555):
// MDES moves tokens to a new number only within the range (Customer Service, Token Update).
const REPLACEMENT_PAN = '5555555551234561';

interface DemoHolder {
  externalRef: string;
  cards: { externalRef: string; pan: string; expiryMonth: number; expiryYear: number; status: string }[];
}

/**
 * A card replaced, blocked or closed in the issuer's card system, imported:
 * its tokens at MDES follow (new last four digits and expiry), are suspended
 * (and resumed when it is unblocked), or are deleted,
 * and MDES's notifications bring the issuer's records along. Whole stack
 * over real HTTP.
 */
describe('card replacement, blocking and closure reach the tokens', { timeout: 120_000 }, () => {
  let stack: Stack;
  let alice: CardholderClient;
  let cardId: string;
  /** The shopper's cookie at the Demo Shop: whose saved cards its page shows. */
  let shopper: string;
  const merchantPage = async () =>
    (await fetch(`${stack.merchant}/`, { headers: { cookie: shopper } })).text();

  const importAlice = (card: Partial<DemoHolder['cards'][number]>) =>
    reimportDemoCard(stack, 'demo-alice', card);
  const savedCards = async () =>
    (await alice.call('GET', `/v1/cards/${cardId}/tokens`)).body.tokens as {
      tokenRequestorId: string;
      status: string;
      lastEvent: string;
    }[];
  const atMdes = async () =>
    (
      await sql<{
        token_requestor_id: string;
        account_last_four: string;
        account_expiry: string | null;
        status: string;
      }>`
        select token_requestor_id, account_last_four, account_expiry, status from mc_tokens
        where issuer_consumer_key is not null order by token_requestor_id`.execute(stack.running.database.db)
    ).rows;
  beforeAll(async () => {
    stack = await startStack();
    alice = new CardholderClient(stack.issuer);
    await alice.signIn(DEMO.alice);
    await alice.stepUp(DEMO.alice.totpSecret);
    cardId = ((await alice.call('GET', '/v1/cards')).body.cards as { id: string; lastFour: string }[]).find(
      (c) => c.lastFour === '4444',
    )!.id;
    // Saved in two places: Click to Pay and the Demo Shop.
    const clickToPay = await alice.push([cardId], CLICK_TO_PAY);
    expect(clickToPay.status).toBe(201);
    await atTokenRequestor(clickToPay.body.redirectUrl as string);
    const shop = await alice.push([cardId], DEMO_SHOP);
    shopper = (await atTokenRequestor(shop.body.redirectUrl as string)).cookie;
    expect(await merchantPage()).toContain('ending in 4444 — active');
    const tokens = await eventually(savedCards, (list) => list.length === 2);
    expect(tokens.map((t) => t.status)).toEqual(['ACTIVE', 'ACTIVE']);
  }, 120_000);
  afterAll(async () => stack?.stop());

  it('moves the tokens to a replacement card imported under the same reference', async () => {
    const imported = await importAlice({ pan: REPLACEMENT_PAN, expiryMonth: 3, expiryYear: 2032 });
    expect(imported.status).toBe(200);
    expect(imported.body.tokenFollowUps).toEqual({ replaced: 1, closed: 0, blocked: 0, unblocked: 0 });

    // At MDES both tokens now stand for the new card…
    const mdes = await eventually(atMdes, (rows) => rows.every((r) => r.account_last_four === '4561'));
    expect(mdes).toEqual([
      {
        token_requestor_id: CLICK_TO_PAY,
        account_last_four: '4561',
        account_expiry: '0332',
        status: 'ACTIVE',
      },
      { token_requestor_id: DEMO_SHOP, account_last_four: '4561', account_expiry: '0332', status: 'ACTIVE' },
    ]);
    // …and MDES's notifications reached the issuer's records.
    const issuer = await eventually(savedCards, (list) =>
      list.every((t) => t.lastEvent === 'ACCOUNT_UPDATED'),
    );
    expect(issuer.map((t) => [t.status, t.lastEvent])).toEqual([
      ['ACTIVE', 'ACCOUNT_UPDATED'],
      ['ACTIVE', 'ACCOUNT_UPDATED'],
    ]);
    const cards = (await alice.call('GET', '/v1/cards')).body.cards as { id: string; lastFour: string }[];
    expect(cards.find((c) => c.id === cardId)?.lastFour).toBe('4561');
    // The merchant heard of it from MDES (Notify Token Updated) and shows the new card.
    expect(await eventually(merchantPage, (html) => html.includes('ending in 4561'))).toContain(
      'ending in 4561 — active',
    );
    const { rows } = await sql<{ state: string }>`select state from token_follow_ups`.execute(
      stack.running.database.db,
    );
    expect(rows).toEqual([{ state: 'done' }]);
  });

  it('suspends the tokens of a card blocked and, once unblocked, resumes those the bank suspended', async () => {
    const replacement = { pan: REPLACEMENT_PAN, expiryMonth: 3, expiryYear: 2032 };
    const tokenOf = async (tokenRequestorId: string) =>
      (
        (await alice.call('GET', `/v1/cards/${cardId}/tokens`)).body.tokens as {
          id: string;
          tokenRequestorId: string;
        }[]
      ).find((t) => t.tokenRequestorId === tokenRequestorId)!.id;
    const change = (tokenRequestorId: string, action: 'suspend' | 'resume') => async () =>
      alice.call(
        'POST',
        `/v1/cards/${cardId}/tokens/${await tokenOf(tokenRequestorId)}/${action}`,
        undefined,
        {
          'pushprov-sca-grant': alice.grant,
        },
      );
    // MDES knows only that the issuer suspended (suspender I); why is pushprov's own record.
    const suspendedBy = async () =>
      (
        await sql<{
          token_requestor_id: string;
          status: string;
          suspenders: string;
          paused_by_cardholder: boolean;
          suspended_for_card_block: boolean;
        }>`
          select m.token_requestor_id, m.status, m.suspenders, t.paused_by_cardholder, t.suspended_for_card_block
          from mc_tokens m join tokens t on t.token_unique_reference = m.token_unique_reference
          where m.issuer_consumer_key is not null order by m.token_requestor_id`.execute(
          stack.running.database.db,
        )
      ).rows;
    const statuses = (list: { status: string }[]) => list.map((t) => t.status).join(' ');

    // The cardholder paused the Demo Shop herself before the bank blocked the card.
    expect((await change(DEMO_SHOP, 'suspend')()).status).toBe(202);
    await eventually(savedCards, (list) => statuses(list) === 'ACTIVE SUSPENDED');

    const blocked = await importAlice({ ...replacement, status: 'blocked' });
    expect(blocked.body.tokenFollowUps).toEqual({ replaced: 0, closed: 0, blocked: 1, unblocked: 0 });
    expect(
      await eventually(suspendedBy, (rows) =>
        rows.every((r) => r.status === 'SUSPENDED' && r.suspended_for_card_block),
      ),
    ).toEqual([
      {
        token_requestor_id: CLICK_TO_PAY,
        status: 'SUSPENDED',
        suspenders: 'I',
        paused_by_cardholder: false,
        suspended_for_card_block: true,
      },
      {
        token_requestor_id: DEMO_SHOP,
        status: 'SUSPENDED',
        suspenders: 'I',
        paused_by_cardholder: true,
        suspended_for_card_block: true,
      },
    ]);
    expect(statuses(await eventually(savedCards, (list) => statuses(list) === 'SUSPENDED SUSPENDED'))).toBe(
      'SUSPENDED SUSPENDED',
    );
    // While the card is blocked, the cardholder cannot resume one; nothing is asked of MDES.
    const refused = await change(CLICK_TO_PAY, 'resume')();
    expect([refused.status, (refused.body.error as { code: string }).code]).toEqual([409, 'CARD_BLOCKED']);

    const unblocked = await importAlice({ ...replacement, status: 'active' });
    expect(unblocked.body.tokenFollowUps).toEqual({ replaced: 0, closed: 0, blocked: 0, unblocked: 1 });
    // Click to Pay is back; the Demo Shop stays paused, as the cardholder left it.
    expect(
      await eventually(
        suspendedBy,
        (rows) => rows[0]?.status === 'ACTIVE' && !rows[1]?.suspended_for_card_block,
      ),
    ).toEqual([
      {
        token_requestor_id: CLICK_TO_PAY,
        status: 'ACTIVE',
        suspenders: '',
        paused_by_cardholder: false,
        suspended_for_card_block: false,
      },
      {
        token_requestor_id: DEMO_SHOP,
        status: 'SUSPENDED',
        suspenders: 'I',
        paused_by_cardholder: true,
        suspended_for_card_block: false,
      },
    ]);
    expect(statuses(await eventually(savedCards, (list) => statuses(list) === 'ACTIVE SUSPENDED'))).toBe(
      'ACTIVE SUSPENDED',
    );
    expect(await merchantPage()).toContain('ending in 4561 — suspended');
    const { rows } = await sql<{ kind: string; state: string }>`
      select kind, state from token_follow_ups order by seq`.execute(stack.running.database.db);
    expect(rows.slice(-2)).toEqual([
      { kind: 'blocked', state: 'done' },
      { kind: 'unblocked', state: 'done' },
    ]);
  });

  it('deletes the tokens of a card closed, and the card can no longer be pushed', async () => {
    const imported = await importAlice({
      pan: REPLACEMENT_PAN,
      expiryMonth: 3,
      expiryYear: 2032,
      status: 'closed',
    });
    expect(imported.body.tokenFollowUps).toEqual({ replaced: 0, closed: 1, blocked: 0, unblocked: 0 });
    const mdes = await eventually(atMdes, (rows) => rows.every((r) => r.status === 'DELETED'));
    expect(mdes.map((r) => r.status)).toEqual(['DELETED', 'DELETED']);
    const issuer = await eventually(savedCards, (list) => list.every((t) => t.status === 'DELETED'));
    expect(issuer.map((t) => t.status)).toEqual(['DELETED', 'DELETED']);
    expect(await eventually(merchantPage, (html) => html.includes('removed'))).toContain(
      'ending in 4561 — removed',
    );
    await alice.stepUp(DEMO.alice.totpSecret).catch(() => undefined);
    const refused = await alice.push([cardId], DEMO_SHOP);
    expect(refused.status).toBeGreaterThanOrEqual(400);
    expect(JSON.stringify(refused.body)).toContain('CARD_NOT_ACTIVE');
  });
});
