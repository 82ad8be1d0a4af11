import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { atTokenRequestor, CardholderClient, DEMO, type Stack, startStack } from '../support/stack.js';

const CLICK_TO_PAY = '50123197928';

/** The "where my card is saved" page and the result page, as served (the browser test drives them). */
describe('saved-card pages', { timeout: 120_000 }, () => {
  let stack: Stack;
  let alice: CardholderClient;
  let bob: CardholderClient;
  let aliceCard: { id: string; lastFour: string };
  let bobCard: { id: string };

  const eligibleCard = async (client: CardholderClient) =>
    (
      (await client.call('GET', '/v1/cards')).body.cards as {
        id: string;
        lastFour: string;
        eligible: boolean;
      }[]
    ).find((c) => c.eligible) ?? { id: '', lastFour: '' };

  beforeAll(async () => {
    stack = await startStack();
    [alice, bob] = [new CardholderClient(stack.issuer), new CardholderClient(stack.issuer)];
    await alice.signIn(DEMO.alice);
    await bob.signIn(DEMO.bob);
    aliceCard = await eligibleCard(alice);
    bobCard = await eligibleCard(bob);
  }, 120_000);
  afterAll(async () => stack?.stop());

  const page = async (client: CardholderClient, path: string) => {
    const r = await client.call('GET', path);
    return { status: r.status, html: String(r.body) };
  };

  it('says a card is saved nowhere before any push, and names it', async () => {
    const { status, html } = await page(alice, `/app/cards/${aliceCard.id}/saved`);
    expect(status).toBe(200);
    expect(html).toContain(`•••• ${aliceCard.lastFour} is saved`);
    expect(html).toContain('not saved anywhere yet');
    expect(html).not.toContain('class="saved-item"');
  });

  it("answers another cardholder's card as not found, with no detail of it", async () => {
    const { status, html } = await page(alice, `/app/cards/${bobCard.id}/saved`);
    expect(status).toBe(404);
    expect(html).toContain('data-code="CARD_NOT_FOUND"');
    expect(html).not.toContain(bobCard.id);
    // A malformed id or query is a page that does not exist, not an error.
    expect((await page(alice, '/app/cards/not-a-card/saved')).status).toBe(404);
    expect((await page(alice, `/app/cards/${aliceCard.id}/saved?changed=<script>`)).status).toBe(404);
  });

  it('lists Click to Pay with its status and controls once the token exists; the result page names the card', async () => {
    await alice.stepUp(DEMO.alice.totpSecret);
    const pushed = await alice.push([aliceCard.id], CLICK_TO_PAY);
    expect(pushed.status).toBe(201);
    const id = pushed.body.id as string;
    const atClickToPay = await atTokenRequestor(pushed.body.redirectUrl as string);
    expect((await alice.call('GET', atClickToPay.callbackUrl ?? '')).status).toBe(200);
    await vi.waitFor(
      async () => expect((await alice.call('GET', `/v1/provisionings/${id}`)).body.state).toBe('completed'),
      { timeout: 15_000, interval: 100 },
    );
    const result = await page(alice, `/app/provisionings/${id}`);
    expect(result.html).toMatch(new RegExp(`<li>[^<]+ •••• ${aliceCard.lastFour}`));
    expect(result.html).toContain(`href="/app/cards/${aliceCard.id}/saved"`);

    const tokens = (await alice.call('GET', `/v1/cards/${aliceCard.id}/tokens`)).body.tokens as {
      id: string;
    }[];
    expect(tokens).toHaveLength(1);
    const { html } = await page(alice, `/app/cards/${aliceCard.id}/saved?changed=${tokens[0]?.id}`);
    expect(html).toContain(`data-token-id="${tokens[0]?.id}" data-status="ACTIVE"`);
    expect(html).toContain('<h2>Click to Pay</h2>');
    expect(html).toContain('data-action="suspend"');
    expect(html).toContain('data-action="remove"');
    expect(html).not.toContain('data-action="resume"');
    // `changed` names what Mastercard just confirmed.
    expect(html).toMatch(/id="flash"[^>]*>Your card at Click to Pay can be used again\./);
    // Bob cannot see alice's page, nor the token through it.
    expect((await page(bob, `/app/cards/${aliceCard.id}/saved`)).status).toBe(404);
  });
});
