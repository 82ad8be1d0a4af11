import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { eventually } from '../support/eventually.js';
import { atTokenRequestor, CardholderClient, DEMO, type Stack, startStack } from '../support/stack.js';

const DEMO_SHOP = '50182375119';

/** Use case 2 from the cardholder's first click to the merchant's callback, over real HTTP. */
describe('Secure Card on File end to end', { timeout: 120_000 }, () => {
  let stack: Stack;
  let alice: CardholderClient;
  let cardId: string;

  beforeAll(async () => {
    stack = await startStack();
    alice = new CardholderClient(stack.issuer);
    await alice.signIn(DEMO.alice);
    const cards = await alice.call('GET', '/v1/cards');
    cardId = (cards.body.cards as { id: string; eligible: boolean }[]).find((c) => c.eligible)?.id ?? '';
  }, 120_000);
  afterAll(async () => stack?.stop());

  it('refuses the push without a step-up, then pushes, redirects, saves at the merchant and completes on return', async () => {
    const destinations = await alice.call('GET', `/v1/cards/${cardId}/destinations`);
    expect(destinations.status).toBe(200);
    const names = (destinations.body.destinations as { name: string }[]).map((d) => d.name);
    expect(names[0]).toBe('Click to Pay');
    expect(names).toContain('Demo Shop');

    const noGrant = await alice.push([cardId], DEMO_SHOP);
    expect(noGrant.status).toBe(401);
    expect(noGrant.body.error).toMatchObject({ code: 'SCA_REQUIRED' });

    await alice.stepUp(DEMO.alice.totpSecret);
    const key = 'scof-e2e-0001';
    const pushed = await alice.push([cardId], DEMO_SHOP, key);
    expect(pushed.status).toBe(201);
    expect(pushed.body).toMatchObject({ state: 'receipt_issued', destination: 'merchant' });
    const replay = await alice.push([cardId], DEMO_SHOP, key);
    expect(replay.status).toBe(200);
    expect(replay.body.id).toBe(pushed.body.id);

    // The cardholder's browser goes to the merchant with MDES's signed push data alone (MDESRQ p. 41).
    const redirect = new URL(pushed.body.redirectUrl as string);
    expect([...redirect.searchParams.keys()]).toEqual(['pushAccountData']);
    expect((pushed.body.pushLinks as { type: string }[]).map((l) => l.type)).toEqual([
      'WEB',
      'ANDROID',
      'IOS',
    ]);
    const merchant = await atTokenRequestor(redirect.toString());
    expect(merchant.landingStatus).toBe(200);
    expect(merchant.status).toBe(200);
    expect(merchant.page).toContain('ending in 4444');

    // Back at the bank through the callback URL inside the JWS, with the merchant's result for the receipt.
    const back = merchant.callbackUrl ?? '';
    expect(back.startsWith(`${stack.issuer}/v1/provisionings/${pushed.body.id}/callback?state=`)).toBe(true);
    expect(decodeURIComponent(new URL(back).search)).toMatch(
      /&results\[MCC-[^\]]+\]=APPROVED\|DWSPMC[0-9a-f]+$/,
    );
    const callback = await alice.call('GET', back);
    expect(callback.status).toBe(200);
    // Completed on MDES's notification of the token, never on the browser's word alone.
    const view = await eventually(
      async () => (await alice.call('GET', `/v1/provisionings/${pushed.body.id}`)).body,
      (provisioning) => provisioning.state === 'completed',
    );
    expect(view).toMatchObject({
      state: 'completed',
      cards: [{ state: 'completed', reportedResult: 'APPROVED' }],
    });

    // A receipt makes one token: the merchant answers a resubmission from its record, and Back shows the result.
    const again = await merchant.again();
    expect(again.status).toBe(200);
    expect(again.page).toContain('ending in 4444');
    const backAgain = await fetch(redirect, { headers: { cookie: merchant.cookie }, redirect: 'manual' });
    expect(backAgain.status).toBe(303);
    expect(backAgain.headers.get('location')).toMatch(/^\/push\/result\?receipts=MCC-/);
  });

  it('pushes two cards to the merchant in one request and saves both', async () => {
    const cards = (await alice.call('GET', '/v1/cards')).body.cards as { id: string; eligible: boolean }[];
    const both = cards.filter((c) => c.eligible).map((c) => c.id);
    expect(both).toHaveLength(2);
    // The grant of the first step-up is still valid: no new authentication for another push.
    const pushed = await alice.push(both, DEMO_SHOP);
    expect(pushed.status).toBe(201);
    const saved = await atTokenRequestor(pushed.body.redirectUrl as string);
    expect(saved.page.match(/ending in \d{4}/g)).toHaveLength(2);
    // MDES reports both tokens: the provisioning completes even before the cardholder returns.
    await vi.waitFor(
      async () =>
        expect((await alice.call('GET', `/v1/provisionings/${pushed.body.id}`)).body.state).toBe('completed'),
      { timeout: 10_000, interval: 100 },
    );
  });

  it("gives ops a cardholder's provisionings with their audit trail, and refuses cardholders there", async () => {
    const whoami = await alice.call('GET', '/v1/session');
    const cardholderId = whoami.body.cardholderId as string;
    const ops = await fetch(`${stack.issuer}/v1/ops/cardholders/${cardholderId}/history`, {
      headers: { authorization: `Bearer ${stack.opsKey}` },
    });
    expect(ops.status).toBe(200);
    const history = (await ops.json()) as { provisionings: unknown[]; audit: { action: string }[] };
    expect(history.provisionings.length).toBeGreaterThanOrEqual(2);
    expect(history.audit.map((a) => a.action)).toEqual(
      expect.arrayContaining(['provisioning.requested', 'provisioning.pushed', 'provisioning.token_created']),
    );
    expect(JSON.stringify(history)).not.toMatch(/5555555555554444|alice@/);
    const asCardholder = await alice.call('GET', `/v1/ops/cardholders/${cardholderId}/history`);
    expect(asCardholder.status).toBe(403);
  });

  it("keeps another cardholder's card and provisioning out of reach", async () => {
    const bob = new CardholderClient(stack.issuer);
    await bob.signIn(DEMO.bob);
    expect((await bob.call('GET', `/v1/cards/${cardId}/destinations`)).status).toBe(404);
    const mine = await alice.call('GET', '/v1/provisionings');
    const id = (mine.body.provisionings as { id: string }[])[0]?.id;
    expect((await bob.call('GET', `/v1/provisionings/${id}`)).status).toBe(404);
    await bob.stepUp(DEMO.bob.totpSecret);
    const stolen = await bob.push([cardId], DEMO_SHOP);
    expect(stolen.status).toBe(404);
    expect(stolen.body.error).toMatchObject({ code: 'CARD_NOT_FOUND' });
  });

  it('refuses a card from a country where the service is not offered, with its own code', async () => {
    const elodie = new CardholderClient(stack.issuer);
    await elodie.signIn(DEMO.elodie);
    const cards = await elodie.call('GET', '/v1/cards');
    const card = (cards.body.cards as { id: string; refusal: { code: string } | null }[])[0];
    expect(card?.refusal?.code).toBe('CARD_COUNTRY_NOT_SERVED');
    await elodie.stepUp(DEMO.elodie.totpSecret);
    const refused = await elodie.push([card?.id ?? ''], DEMO_SHOP);
    expect(refused.status).toBe(422);
    expect(refused.body.error).toMatchObject({ code: 'CARD_COUNTRY_NOT_SERVED' });
  });
});
