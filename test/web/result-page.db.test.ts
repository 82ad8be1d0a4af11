import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { atTokenRequestor, CardholderClient, DEMO, type Stack, startStack } from '../support/stack.js';

const DEMO_SHOP = '50182375119';

/** The result page of a push, as served after the cardholder comes back. */
describe('the result page', { timeout: 120_000 }, () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack();
  }, 120_000);
  afterAll(async () => stack?.stop());

  it('says a cancel once, in a neutral tone, with a way to try again', async () => {
    const alice = new CardholderClient(stack.issuer);
    await alice.signIn(DEMO.alice);
    await alice.stepUp(DEMO.alice.totpSecret);
    const card = (
      (await alice.call('GET', '/v1/cards')).body.cards as { id: string; eligible: boolean }[]
    ).find((c) => c.eligible);
    const pushed = await alice.push([card?.id ?? ''], DEMO_SHOP);
    const back = await atTokenRequestor(pushed.body.redirectUrl as string, 'cancel');
    expect((await alice.call('GET', back.callbackUrl ?? '')).body.state).toBe('failed');

    const page = String((await alice.call('GET', `/app/provisionings/${pushed.body.id}`)).body);
    // What the page says (the words app.js may show are also embedded, in a script block).
    const html = page.slice(page.indexOf('<main'), page.indexOf('</main>'));
    expect(html).toContain('class="panel result cancelled"');
    expect(html).toContain('You chose not to add it this time.');
    expect(html.match(/You chose not to add the card/g)).toHaveLength(1);
    expect(html).not.toContain('class="refusal" data-code="CARDHOLDER_CANCELLED"');
    expect(html).toContain(`href="/app/cards/${card?.id}/destinations/${DEMO_SHOP}/consent">Try again</a>`);
    // What now, inside the panel the script swaps as the state moves.
    expect(html).toMatch(
      /<div class="panel result cancelled">[\s\S]*<h2 id="next-title">What now<\/h2>[\s\S]*<\/div>/,
    );
    expect(html).toContain('Nothing was added. You can <a href=');
  });

  it('lists each push with the card it took; an unknown page is a page; the icon is served', async () => {
    const alice = new CardholderClient(stack.issuer);
    await alice.signIn(DEMO.alice);
    const list = String((await alice.call('GET', '/app/provisionings')).body);
    expect(list).toMatch(/Demo Shop<\/a> · [^<·]+ •••• \d{4} · /);
    const unknown = await alice.call('GET', '/app/no-such-page');
    expect(unknown.status).toBe(404);
    expect(unknown.headers.get('content-type')).toContain('text/html');
    expect(String(unknown.body)).toContain('We could not find that page');
    const icon = await fetch(`${stack.issuer}/favicon.ico`);
    expect(icon.status).toBe(200);
    expect(icon.headers.get('content-type')).toBe('image/svg+xml');
  });
});
