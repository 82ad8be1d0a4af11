import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { atTokenRequestor, CardholderClient, DEMO, type Stack, startStack } from '../support/stack.js';

const CLICK_TO_PAY = '50123197928';

/** A card in Click to Pay is shown as added, managed where it is saved, and not pushed there twice. */
describe('a card already in Click to Pay', { timeout: 120_000 }, () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack();
  }, 120_000);
  afterAll(async () => stack?.stop());

  it('shows as added with a way to manage it, is marked on the destinations page, and a repeat push is refused', async () => {
    const bob = new CardholderClient(stack.issuer);
    await bob.signIn(DEMO.bob);
    await bob.stepUp(DEMO.bob.totpSecret);
    type Card = { id: string; clickToPay: boolean; inClickToPay: boolean; lastFour: string };
    const cards = async () => (await bob.call('GET', '/v1/cards')).body.cards as Card[];
    const card = (await cards()).find((c) => c.clickToPay);
    expect(card?.inClickToPay).toBe(false);

    const first = await bob.push([card?.id ?? ''], CLICK_TO_PAY);
    await bob.call('GET', (await atTokenRequestor(first.body.redirectUrl as string)).callbackUrl ?? '');
    await vi.waitFor(
      async () => expect((await cards()).find((c) => c.id === card?.id)?.inClickToPay).toBe(true),
      {
        timeout: 15_000,
        interval: 100,
      },
    );

    const page = String((await bob.call('GET', '/app/cards')).body);
    expect(page).toContain(`href="/app/cards/${card?.id}/saved">Manage<span class="sr-only">`);
    expect(page).toContain('Added to Click to Pay');
    const destinations = (await bob.call('GET', `/v1/cards/${card?.id}/destinations`)).body.destinations as {
      tokenRequestorId: string;
      alreadyAdded: boolean;
    }[];
    expect(destinations.find((d) => d.tokenRequestorId === CLICK_TO_PAY)?.alreadyAdded).toBe(true);
    expect(
      destinations.filter((d) => d.tokenRequestorId !== CLICK_TO_PAY).every((d) => !d.alreadyAdded),
    ).toBe(true);
    expect(String((await bob.call('GET', `/app/cards/${card?.id}/destinations`)).body)).toContain(
      'Already added · manage it',
    );

    await bob.stepUp(DEMO.bob.totpSecret).catch(() => undefined);
    const again = await bob.push([card?.id ?? ''], CLICK_TO_PAY);
    expect([again.status, (again.body.error as { code: string } | undefined)?.code]).toEqual([
      409,
      'ALREADY_ADDED',
    ]);
  });
});
