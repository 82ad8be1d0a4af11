import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { reimportDemoCard } from '../support/card-import.js';
import { atTokenRequestor, CardholderClient, DEMO, type Stack, startStack } from '../support/stack.js';

const DEMO_SHOP = '50182375119';
// In the same MDES account range as Alice's card (555555555): MDES moves a token to a new number only within it.
const REPLACEMENT_PAN = '5555555551234561';

/**
 * The life of a pushed card at the demo shop, over real HTTP with `npm
 * start`'s three servers: pushed by the bank, redeemed (the token decrypted
 * by the shop), a payment, a pause in the bank's pages, a declined payment
 * ("paused by your bank"), a resume, a payment, and the shopper removing
 * the card at the shop, which the bank's "where this card is saved" shows.
 */
describe('paying with a pushed card', { timeout: 120_000 }, () => {
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

  /** The shopper's browser at the shop: a cookie jar, the home page and its forms. */
  class Shopper {
    constructor(public cookie: string) {}

    #keep(response: Response) {
      const jar = new Map(this.cookie.split('; ').map((c) => c.split('=') as [string, string]));
      for (const set of response.headers.getSetCookie()) {
        const [pair] = set.split(';');
        const [name, value] = (pair ?? '').split('=');
        if (name && value !== undefined) jar.set(name, value);
      }
      this.cookie = [...jar].map(([n, v]) => `${n}=${v}`).join('; ');
    }

    async home(): Promise<string> {
      const response = await fetch(`${stack.merchant}/`, { headers: { cookie: this.cookie } });
      this.#keep(response);
      return response.text();
    }

    /** The home page's form whose action ends with `/pay` or `/remove`, as the browser would send it. */
    async form(action: 'pay' | 'remove'): Promise<{ action: string; fields: URLSearchParams }> {
      const page = await this.home();
      const form = [...page.matchAll(/<form method="post" action="([^"]+)">(.*?)<\/form>/gs)].find((m) =>
        m[1]?.endsWith(`/${action}`),
      );
      if (!form) throw new Error(`no ${action} form on the shop's page`);
      const fields = new URLSearchParams();
      for (const m of (form[2] ?? '').matchAll(/name="([^"]+)" value="([^"]*)"/g))
        fields.append(m[1] ?? '', m[2] ?? '');
      return { action: form[1] ?? '', fields };
    }

    /** Submits the home page's form for `action`; the page it leads to. */
    async submit(action: 'pay' | 'remove'): Promise<{ status: number; page: string }> {
      return this.send(await this.form(action));
    }

    /** Sends a form (perhaps one taken from an earlier page, as a tab left open would). */
    async send(form: { action: string; fields: URLSearchParams }): Promise<{ status: number; page: string }> {
      const posted = await fetch(`${stack.merchant}${form.action}`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: this.cookie },
        body: form.fields,
        redirect: 'manual',
      });
      expect(posted.status).toBe(303);
      const next = await fetch(new URL(posted.headers.get('location') ?? '/', stack.merchant), {
        headers: { cookie: this.cookie },
      });
      return { status: next.status, page: await next.text() };
    }
  }

  const until = (what: () => Promise<boolean>) =>
    vi.waitFor(async () => expect(await what()).toBe(true), { timeout: 15_000, interval: 100 });
  const tokenAtBank = async () =>
    (
      (await alice.call('GET', `/v1/cards/${cardId}/tokens`)).body.tokens as {
        id: string;
        tokenRequestorId: string;
        status: string;
      }[]
    )
      // The latest: an earlier token of the card at the shop may still be listed, deleted.
      .filter((t) => t.tokenRequestorId === DEMO_SHOP)
      .at(-1);

  it('pays, is declined while the bank pauses it, pays again once resumed, and is removed at the shop', async () => {
    await alice.stepUp(DEMO.alice.totpSecret);
    const pushed = await alice.push([cardId], DEMO_SHOP);
    expect(pushed.status).toBe(201);
    const saved = await atTokenRequestor(pushed.body.redirectUrl as string);
    expect(saved.page).toContain('ending in 4444');
    const shopper = new Shopper(saved.cookie);
    await until(async () => (await tokenAtBank())?.status === 'ACTIVE');

    const paid = await shopper.submit('pay');
    expect(paid.page).toContain('data-outcome="approved"');
    expect(paid.page).toContain('You paid €12.50 with the Mastercard ending in 4444');

    // The cardholder pauses the card for this shop in the bank's pages.
    const token = await tokenAtBank();
    const pause = await alice.call('POST', `/v1/cards/${cardId}/tokens/${token?.id}/suspend`);
    expect(pause.status).toBe(202);
    // MDES tells the shop (Notify Token Updated, encrypted): its page shows the card suspended.
    await until(async () => (await shopper.home()).includes('ending in 4444 — suspended'));
    const declined = await shopper.submit('pay');
    expect(declined.page).toContain('data-reason="TOKEN_SUSPENDED_BY_ISSUER"');
    expect(declined.page).toContain('This card is paused by your bank.');

    // The grant of the step-up before the push is still valid (a one-time code is single use within its window).
    const resume = await alice.call('POST', `/v1/cards/${cardId}/tokens/${token?.id}/resume`, undefined, {
      'pushprov-sca-grant': alice.grant,
    });
    expect(resume.status).toBe(202);
    await until(async () => (await shopper.home()).includes('ending in 4444 — active'));
    expect((await shopper.submit('pay')).page).toContain('data-outcome="approved"');

    // The shopper removes the card at the shop: deleted at MDES, and gone from the bank's list.
    const removed = await shopper.submit('remove');
    expect(removed.page).toContain('ending in 4444 — removed');
    expect(removed.page).not.toContain('/pay"');
    await until(async () => (await tokenAtBank())?.status === 'DELETED');
  });
  const importAlice = async (change: Record<string, unknown>) => {
    const imported = await reimportDemoCard(stack, 'demo-alice', change);
    expect(imported.status).toBe(200);
    return imported.body as { tokenFollowUps: Record<string, number> };
  };

  it('pays on the replacement card after the bank imports it, is declined while the bank blocks the card, and once the bank removes the token', async () => {
    if (!alice.grant) await alice.stepUp(DEMO.alice.totpSecret);
    const pushed = await alice.push([cardId], DEMO_SHOP);
    expect(pushed.status).toBe(201);
    const shopper = new Shopper((await atTokenRequestor(pushed.body.redirectUrl as string)).cookie);
    await until(async () => (await tokenAtBank())?.status === 'ACTIVE');
    expect((await shopper.submit('pay')).page).toContain('with the Mastercard ending in 4444');

    // The card is replaced in the bank's card system (same reference, new number and expiry): MDES maps the
    // same token to the new card (Customer Service token update), and the token pays on it.
    const replaced = await importAlice({ pan: REPLACEMENT_PAN, expiryMonth: 3, expiryYear: 2032 });
    expect(replaced.tokenFollowUps).toMatchObject({ replaced: 1 });
    await until(async () => (await tokenAtBank())?.status === 'ACTIVE');
    const onNewCard = async () => (await shopper.submit('pay')).page;
    await until(async () =>
      (await onNewCard()).includes('You paid €12.50 with the Mastercard ending in 4561'),
    );

    // The bank blocks the card: its tokens are suspended by the issuer, and the shop's payment is declined.
    const blocked = await importAlice({
      pan: REPLACEMENT_PAN,
      expiryMonth: 3,
      expiryYear: 2032,
      status: 'blocked',
    });
    expect(blocked.tokenFollowUps).toMatchObject({ blocked: 1 });
    await until(async () => (await tokenAtBank())?.status === 'SUSPENDED');
    const whileBlocked = await shopper.submit('pay');
    expect(whileBlocked.page).toContain('data-reason="TOKEN_SUSPENDED_BY_ISSUER"');
    expect(whileBlocked.page).toContain('This card is paused by your bank.');

    // Unblocked, it pays again; then the bank removes the token (from the cardholder's "where it is saved").
    await importAlice({ pan: REPLACEMENT_PAN, expiryMonth: 3, expiryYear: 2032, status: 'active' });
    await until(async () => (await tokenAtBank())?.status === 'ACTIVE');
    await until(async () => (await shopper.home()).includes('ending in 4561 — active'));
    // The shopper's tab still holds the pay form from before the removal.
    const payForm = await shopper.form('pay');
    const token = await tokenAtBank();
    const removal = await alice.call('DELETE', `/v1/cards/${cardId}/tokens/${token?.id}`, undefined, {
      'pushprov-sca-grant': alice.grant,
    });
    expect(removal.status).toBe(202);
    await until(async () => (await tokenAtBank())?.status === 'DELETED');
    const afterRemoval = await shopper.send(payForm);
    expect(afterRemoval.page).toContain('data-reason="TOKEN_DEACTIVATED"');
    expect(afterRemoval.page).toContain('This card has been removed and can no longer be used.');
    expect(afterRemoval.page).not.toContain('You paid');
  });
});
