import { sql } from 'kysely';
import { generate } from 'otplib';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO, type Stack, startStack } from '../support/stack.js';
import {
  accessibilityProblems,
  addVirtualAuthenticator,
  launchChromium,
  openPage,
  screenshot,
  shopAnswer,
} from './chromium.js';

/** The reference web experience in a real browser, from sign-in to result, against the whole stack. */
describe('bank pages in Chromium', () => {
  let stack: Stack;
  let browser: Browser;

  beforeAll(async () => {
    [stack, browser] = await Promise.all([startStack(), launchChromium()]);
  });
  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  });

  async function signIn(page: Page, who: { username: string; password: string }, shot?: string) {
    await page.goto(`${stack.issuer}/app/signin`);
    if (shot) await screenshot(page, shot);
    await page.getByLabel('Username').fill(who.username);
    await page.getByLabel('Password').fill(who.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${stack.issuer}/app/cards`);
  }

  /**
   * A one-time code of a time step that begins after this call: an earlier
   * test may have spent the current step's code, and a code is single use.
   */
  async function codeOfNextStep(secret: string): Promise<string> {
    await new Promise((resolve) => setTimeout(resolve, 30_000 - (Date.now() % 30_000) + 250));
    return generate({ secret });
  }

  /** A one-time code of the step after the next (allowed by the one-step tolerance), once the next step begins. */
  async function codeOfStepAfterNext(secret: string): Promise<string> {
    await codeOfNextStep(secret);
    return generate({ secret, epoch: Math.floor(Date.now() / 1000) + 30 });
  }

  /** Adds the page's (virtual) authenticator as a passkey on the Security page, confirmed with `code`. */
  async function addPasskey(page: Page, code: string): Promise<void> {
    await page.locator('#passkey-register').getByLabel('One-time code', { exact: true }).fill(code);
    await page.getByRole('button', { name: 'Add a passkey' }).click();
  }

  const waitForState = (page: Page, state: string) =>
    page.locator(`#state[data-state="${state}"]`).waitFor({ timeout: 60_000 });

  it('adds a card to Click to Pay: sign-in, banner, consent, one-time code, progress, completed', async () => {
    // A cardholder in New York: times are shown in their zone, not the server's UTC.
    const { context, page, problems } = await openPage(browser, 'phone', { timezoneId: 'America/New_York' });
    // The sign-in page marks the demo cardholders as such (simulator mode only).
    await page.goto(`${stack.issuer}/app/signin`);
    await expect(page.locator('#demo-title .tag').textContent()).resolves.toBe('demo');
    // Empty fields are worded per field, never in the validator's words.
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').filter({ hasText: 'Enter your username.' }).waitFor();
    await page.getByLabel('Username').fill(DEMO.bob.username);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').filter({ hasText: 'Enter your password.' }).waitFor();
    await signIn(page, DEMO.bob, '01-sign-in');
    await screenshot(page, '02-cards');
    expect(await accessibilityProblems(page)).toEqual([]);
    // The expired card says why it cannot be added.
    await expect(page.locator('.refusal[data-code="CARD_EXPIRED"]').textContent()).resolves.toContain(
      'expired',
    );

    await page.getByRole('link', { name: /^Add to Click to Pay\W.* ending in 5100$/ }).click();
    await page.waitForURL(/\/consent$/);
    await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toContain('Click to Pay');
    await screenshot(page, '03-consent');
    expect(await accessibilityProblems(page)).toEqual([]);
    // Bob has no passkey: none is offered, the way to add one is.
    await expect(page.getByLabel('Passkey on this device').count()).resolves.toBe(0);
    await expect(page.getByRole('link', { name: 'add one under Security' }).count()).resolves.toBe(1);

    // A refused field is worded for people, never the validator's text.
    await page.getByLabel(/I agree to share this card/).check();
    await page.getByRole('button', { name: 'Add to Click to Pay' }).click();
    await expect(page.getByRole('alert').textContent()).resolves.toBe(
      'Enter the 6-digit code from your authenticator app.',
    );
    await page.getByLabel(/I agree to share this card/).uncheck();

    // No consent, no push.
    await page
      .getByLabel('One-time code', { exact: true })
      .fill(await generate({ secret: DEMO.bob.totpSecret }));
    await page.getByRole('button', { name: 'Add to Click to Pay' }).click();
    await expect(page.getByRole('alert').textContent()).resolves.toContain('Tick the box');

    await page.getByLabel(/I agree to share this card/).check();
    await page.getByRole('button', { name: 'Add to Click to Pay' }).click();
    // Click to Pay is a token requestor: the cardholder goes to its push URI with MDES's signed push data.
    await page.waitForURL(`${stack.simulator}/click-to-pay/provision?pushAccountData=*`);
    await page.getByRole('heading', { name: 'Add your card to Click to Pay' }).waitFor();
    await screenshot(page, '04a-at-click-to-pay');
    await page.getByRole('button', { name: 'Add to Click to Pay' }).click();
    await page.waitForURL(/\/app\/provisionings\/prv_/);
    await screenshot(page, '04-click-to-pay-result-first-view');
    // The page updates its live region in place: it is never reloaded under the cardholder.
    await page.evaluate('window.pushprovStillHere = true');
    await waitForState(page, 'completed');
    await expect(page.evaluate('window.pushprovStillHere')).resolves.toBe(true);
    await expect(page.locator('#state').textContent()).resolves.toContain('your card was added');
    await screenshot(page, '05-click-to-pay-completed');
    expect(await accessibilityProblems(page)).toEqual([]);

    // "Cards you added" says when, in the cardholder's own time: the hour in New York, no "UTC".
    await page.goto(`${stack.issuer}/app/provisionings`);
    const added = page.locator('.plain li time').first();
    const [iso, shown] = [await added.getAttribute('datetime'), await added.textContent()];
    const newYork = new Intl.DateTimeFormat('en-US', {
      timeZone: 'America/New_York',
      hour: 'numeric',
      minute: '2-digit',
    }).formatToParts(new Date(iso ?? ''));
    const hm = `${newYork.find((p) => p.type === 'hour')?.value}:${newYork.find((p) => p.type === 'minute')?.value}`;
    expect(shown).not.toContain('UTC');
    expect(shown).toContain(hm);
    await screenshot(page, '05b-cards-you-added');
    await page.goBack();

    // Where the card is saved, at phone width and by keyboard only.
    await page.getByRole('link', { name: 'Where this card is saved' }).focus();
    await page.keyboard.press('Enter');
    await page.waitForURL(/\/saved$/);
    const c2p = page.locator('.saved-item', { has: page.getByRole('heading', { name: 'Click to Pay' }) });
    await expect(c2p.locator('.token-status').getAttribute('data-status')).resolves.toBe('ACTIVE');
    await screenshot(page, '17-saved-cards-keyboard');
    expect(await accessibilityProblems(page)).toEqual([]);

    // While MDES is asked, the focus stays on the pressed button (held here until checked).
    let release = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    await page.route('**/suspend', async (route) => {
      await held;
      await route.continue();
    });
    await c2p.getByRole('button', { name: /^Pause/ }).focus();
    await page.keyboard.press('Enter');
    await expect(page.locator('#progress').textContent()).resolves.toBe('Asking Mastercard…');
    await expect(c2p.locator('[data-action="suspend"]:focus').getAttribute('aria-disabled')).resolves.toBe(
      'true',
    );
    release();
    await page.locator('#flash').getByText('Click to Pay is paused').waitFor({ timeout: 30_000 });
    await expect(page.locator('#flash:focus').count()).resolves.toBe(1);
    await page.unroute('**/suspend');

    // An expired confirmation says so and empties the spent code (MDES and the grant are stood in for here).
    await c2p.getByRole('button', { name: /^Resume/ }).focus();
    await page.keyboard.press('Enter');
    const code = c2p.getByLabel('One-time code', { exact: true });
    await expect(c2p.locator('input[name="code"]:focus').count()).resolves.toBe(1);
    const refuse = (status: number, errorCode: string) => ({
      status,
      contentType: 'application/json',
      body: JSON.stringify({ error: { code: errorCode, message: errorCode } }),
    });
    await page.route('**/v1/sca/totp/verify', (route) =>
      route.fulfill({ contentType: 'application/json', body: JSON.stringify({ grant: 'stale' }) }),
    );
    await page.route('**/resume', (route) => route.fulfill(refuse(403, 'SCA_EXPIRED')));
    await page.keyboard.type('123456');
    await page.keyboard.press('Enter');
    await expect(page.getByRole('alert').textContent()).resolves.toContain('Your confirmation has expired');
    await expect(code.inputValue()).resolves.toBe('');
    await page.unroute('**/v1/sca/totp/verify');
    await page.unroute('**/resume');

    // Then for real: the push spent this time step's code, the next one is still accepted.
    await code.fill(
      await generate({ secret: DEMO.bob.totpSecret, epoch: Math.floor(Date.now() / 1000) + 30 }),
    );
    await page.keyboard.press('Enter');
    await page.locator('#flash').getByText('Click to Pay can be used again').waitFor({ timeout: 30_000 });

    // Token management unavailable: the message, and the confirmation stays open to try again.
    await page.route('**/tokens/tok_*', (route) =>
      route.request().method() === 'DELETE'
        ? route.fulfill(refuse(503, 'TOKEN_MANAGEMENT_UNAVAILABLE'))
        : route.continue(),
    );
    await c2p.getByRole('button', { name: /^Remove/ }).focus();
    await page.keyboard.press('Enter');
    await expect(page.locator(':focus').textContent()).resolves.toBe('Yes, remove it');
    await page.keyboard.press('Enter');
    await expect(page.getByRole('alert').textContent()).resolves.toContain('cannot reach Mastercard');
    await expect(c2p.getByRole('button', { name: 'Yes, remove it' }).isVisible()).resolves.toBe(true);
    await screenshot(page, '18-saved-card-unavailable');
    await page.unroute('**/tokens/tok_*');

    // A session that ends while Mastercard's answer is awaited says so at once, not "not confirmed".
    await page.route('**/tokens', (route) => route.fulfill(refuse(401, 'SESSION_EXPIRED')));
    await c2p.getByRole('button', { name: /^Pause/ }).focus();
    await page.keyboard.press('Enter');
    await expect(page.getByRole('alert').textContent()).resolves.toContain('Your session has ended');
    await page.unroute('**/tokens');
    expect(problems.filter((p) => !p.includes('status of 503'))).toEqual([]);
    await context.close();
  });

  it('saves a card at the Demo Shop with a passkey: register, step up, merchant and back', async () => {
    const { context, page, problems } = await openPage(browser, 'desktop');
    await addVirtualAuthenticator(context, page);
    await signIn(page, DEMO.alice);

    await page.getByRole('link', { name: 'Security' }).click();
    await addPasskey(page, await generate({ secret: DEMO.alice.totpSecret }));
    await page.getByText('Passkey added').waitFor();
    // The Security page lists it, with its removal.
    await expect(page.locator('.passkey strong').textContent()).resolves.toBe('Passkey 1');
    await expect(page.locator('.passkey summary').textContent()).resolves.toBe('Remove passkey 1');
    await screenshot(page, '06-passkey-added');
    expect(await accessibilityProblems(page)).toEqual([]);

    await page.getByRole('link', { name: 'Your cards' }).click();
    // Logos come from the issuer's asset route (a CSP refusal would show among `problems`).
    const logo = page.waitForResponse((r) => r.url().includes('/v1/assets/'));
    await page.getByRole('link', { name: /^Add to a merchant or wallet\W.* ending in 4444$/ }).click();
    const logoResponse = await logo;
    expect(logoResponse.status()).toBe(200);
    expect(logoResponse.headers()['content-type']).toContain('image/svg+xml');
    await page.locator('.destination img').first().waitFor();
    await screenshot(page, '07-destinations');
    await page.getByRole('link', { name: /Demo Shop/ }).click();
    await page.waitForURL(/\/consent$/);
    await page.getByLabel(/I agree to share this card/).check();
    await page.getByLabel('Passkey on this device').check();
    await expect(page.getByLabel('One-time code', { exact: true }).isHidden()).resolves.toBe(true);
    await page.getByRole('button', { name: 'Add to Demo Shop' }).click();

    await page.waitForURL(`${stack.merchant}/**`);
    await screenshot(page, '08-merchant');
    await page.getByRole('button', { name: /Save card/ }).click();
    expect(await shopAnswer(page)).toContain('Card saved');
    await expect(page.getByRole('img', { name: /ending in 4444/ }).count()).resolves.toBe(1);
    await screenshot(page, '09-merchant-saved');
    await page.getByRole('link', { name: 'Continue to your bank' }).click();

    await page.waitForURL(/\/app\/provisionings\/prv_/);
    await waitForState(page, 'completed');
    // The result names the card as well as the destination.
    await expect(page.locator('.result-cards').textContent()).resolves.toMatch(/•••• 4444/);
    await screenshot(page, '10-demo-shop-completed');

    // Where the card is saved: pause, resume (with the passkey), remove (after a confirmation).
    await page.getByRole('link', { name: 'Where this card is saved' }).click();
    await page.waitForURL(/\/app\/cards\/crd_[a-z0-9]+\/saved$/);
    const shop = page.locator('.saved-item', { has: page.getByRole('heading', { name: 'Demo Shop' }) });
    await expect(shop.locator('.token-status').getAttribute('data-status')).resolves.toBe('ACTIVE');
    await screenshot(page, '13-saved-cards');
    expect(await accessibilityProblems(page)).toEqual([]);

    await shop.getByRole('button', { name: /^Pause/ }).click();
    await page.locator('#flash').getByText('Demo Shop is paused').waitFor({ timeout: 30_000 });
    await expect(page.locator('#flash:focus').count()).resolves.toBe(1);
    await expect(shop.locator('.token-status').getAttribute('data-status')).resolves.toBe('SUSPENDED');
    await screenshot(page, '14-saved-card-paused');
    // The Demo Shop heard it from MDES: its page shows the card paused.
    const shopPage = await context.newPage();
    await shopPage.goto(`${stack.merchant}/`);
    await shopPage.locator('li[data-status="SUSPENDED"]').waitFor();
    await expect(shopPage.getByText(/ending in 4444 — suspended/).count()).resolves.toBe(1);
    await screenshot(shopPage, '14b-merchant-sees-paused');
    await shopPage.close();

    await shop.getByRole('button', { name: /^Resume/ }).click();
    await shop.getByLabel('Passkey on this device').check();
    await shop.getByRole('button', { name: 'Confirm and resume' }).click();
    await page.locator('#flash').getByText('Demo Shop can be used again').waitFor({ timeout: 30_000 });
    await expect(shop.locator('.token-status').getAttribute('data-status')).resolves.toBe('ACTIVE');

    // Remove asks first; "Keep it" changes nothing and gives the focus back.
    await shop.getByRole('button', { name: /^Remove/ }).click();
    await screenshot(page, '15-saved-card-remove-confirm');
    expect(await accessibilityProblems(page)).toEqual([]);
    await shop.getByRole('button', { name: 'Keep it' }).click();
    await expect(shop.locator('[data-action="remove"]:focus').count()).resolves.toBe(1);
    await shop.getByRole('button', { name: /^Remove/ }).click();
    await shop.getByRole('button', { name: 'Yes, remove it' }).click();
    await page.locator('#flash').getByText('Demo Shop was removed').waitFor({ timeout: 30_000 });
    await expect(shop.locator('.token-status').textContent()).resolves.toBe('Removed');
    await expect(shop.getByRole('button').count()).resolves.toBe(0);
    // Set apart without fading its text below a readable contrast.
    await expect(
      page.evaluate(`getComputedStyle(document.querySelector('.saved-item[data-status="DELETED"]')).opacity`),
    ).resolves.toBe('1');
    await screenshot(page, '16-saved-card-removed');
    expect(problems).toEqual([]);
    await context.close();
  });

  it('works without JavaScript: sign-in, consent with a one-time code, Click to Pay and back, by POSTs and redirects', {
    timeout: 120_000,
  }, async () => {
    const { context, page } = await openPage(browser, 'phone', { javaScript: false });
    const urls: string[] = [];
    page.on('request', (request) => urls.push(request.url()));
    await page.goto(`${stack.issuer}/app/signin`);
    await page.getByLabel('Username').fill(DEMO.alice.username);
    await page.getByLabel('Password').fill('wrong password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(/\/app\/signin\?problem=INVALID_CREDENTIALS$/);
    await expect(page.getByRole('alert').textContent()).resolves.toContain('not right');
    await screenshot(page, '19-no-script-sign-in-refused');
    await page.getByLabel('Username').fill(DEMO.alice.username);
    await page.getByLabel('Password').fill(DEMO.alice.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${stack.issuer}/app/cards`);

    await page.getByRole('link', { name: /^Add to Click to Pay\W.* ending in 4444$/ }).click();
    await page.waitForURL(/\/consent$/);
    await page.getByLabel(/I agree to share this card/).check();
    // Alice's code of this 30-second step may have been spent by an earlier test: a one-time code is single use.
    await page.waitForTimeout(30_000 - (Date.now() % 30_000) + 500);
    await page
      .getByLabel('One-time code', { exact: true })
      .fill(await generate({ secret: DEMO.alice.totpSecret }));
    await screenshot(page, '20-no-script-consent');
    await page.getByRole('button', { name: 'Add to Click to Pay' }).click();
    // The push's own page first (the pages' CSP keeps a form's redirect at home), then on to Click to Pay.
    await page.waitForURL(/\/app\/provisionings\/prv_/);
    await screenshot(page, '21-no-script-pushed');
    await page.getByRole('link', { name: 'Continue to Click to Pay' }).click();
    await page.waitForURL(`${stack.simulator}/click-to-pay/provision?pushAccountData=*`);
    await page.getByRole('button', { name: 'Add to Click to Pay' }).click();
    await page.waitForURL(/\/app\/provisionings\/prv_/);
    await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toContain('Click to Pay');
    await screenshot(page, '22-no-script-result');
    // Nothing updates a page without script: "Check again" until Mastercard's confirmation is in.
    for (let i = 0; i < 50 && (await page.locator('#state[data-state="completed"]').count()) === 0; i++) {
      await page.waitForTimeout(200);
      await page.getByRole('link', { name: 'Check again' }).click();
    }
    await expect(page.locator('#state').getAttribute('data-state')).resolves.toBe('completed');
    // Pause it where it is saved, by the form's POST: the page comes back saying so.
    await page.getByRole('link', { name: 'Where this card is saved' }).click();
    const c2p = page.locator('.saved-item', { has: page.getByRole('heading', { name: 'Click to Pay' }) });
    await c2p.getByRole('button', { name: /^Pause/ }).click();
    await page.locator('#flash').getByText('Click to Pay is paused').waitFor({ timeout: 30_000 });
    await expect(c2p.locator('.token-status').getAttribute('data-status')).resolves.toBe('SUSPENDED');
    // Remove asks first, without script too: the confirmation opens, then the POST removes it.
    await c2p.getByRole('button', { name: /^Remove/ }).click();
    await screenshot(page, '22b-no-script-remove-confirm');
    await page.getByRole('button', { name: 'Yes, remove it' }).click();
    await page.locator('#flash').getByText('Click to Pay was removed').waitFor({ timeout: 30_000 });
    await screenshot(page, '22c-no-script-removed');
    // No password, no one-time code in any URL the browser asked for.
    expect(urls.filter((u) => /password|code=|alice-demo/.test(u))).toEqual([]);
    await context.close();
  });

  it('refuses a card from a country not served, on the card list and on a direct consent URL', async () => {
    const { context, page, problems } = await openPage(browser, 'phone');
    // Keyboard only: the skip link comes first, then the form, and Enter signs in.
    const signInPage = await page.goto(`${stack.issuer}/app/signin`);
    const csp = signInPage?.headers()['content-security-policy'] ?? '';
    const scripts = csp.split(';').find((d) => d.trim().startsWith('script-src'));
    expect(scripts?.trim()).toBe("script-src 'self'");
    expect(await accessibilityProblems(page)).toEqual([]);
    // At phone width nothing widens the page: the demo table scrolls in its own box.
    await expect(page.evaluate('document.documentElement.scrollWidth')).resolves.toBeLessThanOrEqual(390);
    await page.keyboard.press('Tab');
    await expect(page.locator(':focus').textContent()).resolves.toBe('Skip to content');
    await page.getByLabel('Username').focus();
    await page.keyboard.type(DEMO.elodie.username);
    await page.keyboard.press('Tab');
    await page.keyboard.type('not-her-password');
    await page.keyboard.press('Enter');
    await page.getByRole('alert').waitFor();
    await expect(page.getByRole('alert').textContent()).resolves.toContain(
      'username or password is not right',
    );
    await page.getByLabel('Password').fill(DEMO.elodie.password);
    await page.keyboard.press('Enter');
    await page.waitForURL(`${stack.issuer}/app/cards`);
    const refusal = page.locator('.refusal[data-code="CARD_COUNTRY_NOT_SERVED"]');
    await expect(refusal.textContent()).resolves.toContain('country where this service is not offered');
    await expect(page.getByRole('link', { name: /Click to Pay/ }).count()).resolves.toBe(0);
    await screenshot(page, '11-refused-card');

    const cardId = await page.evaluate(async () => {
      const r = await fetch('/v1/cards');
      return ((await r.json()) as { cards: { id: string }[] }).cards[0]?.id;
    });
    const response = await page.goto(`${stack.issuer}/app/cards/${cardId}/destinations/50182375119/consent`);
    expect(response?.status()).toBe(422);
    await expect(page.locator('.refusal').getAttribute('data-code')).resolves.toBe('CARD_COUNTRY_NOT_SERVED');
    await screenshot(page, '11b-refused-consent');
    // The remaining screens: an unknown page, and the bank's front page.
    expect((await page.goto(`${stack.issuer}/app/no-such-page`))?.status()).toBe(404);
    await screenshot(page, '23-not-found');
    await page.goto(`${stack.issuer}/`);
    await screenshot(page, '00-home');
    expect(problems).toEqual([]);
    await context.close();
  });

  it('shows the ops dashboard: funnel, latency, failures, saved cards, stuck card changes and a cardholder’s audit trail', async () => {
    const { context, page, problems } = await openPage(browser, 'desktop');
    await signIn(page, DEMO.alice);
    const { cardholderId, cardId } = await page.evaluate(async () => {
      const session = (await (await fetch('/v1/session')).json()) as { cardholderId: string };
      const cards = (await (await fetch('/v1/cards')).json()) as { cards: { id: string }[] };
      return { cardholderId: session.cardholderId, cardId: cards.cards[0]?.id ?? '' };
    });
    // A card change that ran out of attempts while MDES was away (an unblock: harmless to take again).
    const db = stack.running.database.db;
    await sql`insert into token_follow_ups
        (id, card_id, kind, state, attempts, next_attempt_at, last_error, created_at, updated_at)
      values ('tfu_browsertest0000000000', ${cardId}, 'unblocked', 'failed', 10, now(),
        'TOKEN_MANAGEMENT_UNAVAILABLE', now(), now())`.execute(db);
    // Everything the dashboard loads comes from the bank's own origin (the chart library too).
    const loaded: string[] = [];
    page.on('request', (request) => loaded.push(request.url()));
    await page.goto(`${stack.issuer}/ops`);
    // Nothing to forget before a key was given (`hidden` is not overridden by the button's display).
    await expect(page.locator('[data-action="ops-forget"]').isVisible()).resolves.toBe(false);
    await page.getByLabel('Ops API key').fill(stack.opsKey);
    await page.getByRole('button', { name: 'Open the dashboard' }).click();
    const totals = page.locator('#ops-totals');
    await totals.locator('tbody tr').first().waitFor();
    // States and destinations in words, a cancel apart from failures; no stored names.
    await expect(totals.textContent()).resolves.toMatch(/Click to Pay/);
    await expect(totals.textContent()).resolves.toMatch(/Merchants/);
    await expect(totals.locator('thead').textContent()).resolves.toBe(
      'DestinationSending to MastercardWaiting for the cardholderCompletedCancelled by the cardholderFailedExpired',
    );
    await expect(page.locator('#ops').textContent()).resolves.not.toMatch(/receipt_issued|click_to_pay/);
    await expect(page.locator('#ops-latency tbody').textContent()).resolves.toMatch(/Click to Pay\d+/);
    await expect(page.locator('#ops-tokens tbody').textContent()).resolves.toMatch(
      /Demo Shop(Active|Paused|Removed)\d+/,
    );
    // Charts beside the tables: funnel, daily volume by destination, settle-time percentiles, failure codes;
    // drawn on canvases hidden from screen readers, which read the tables.
    for (const id of ['chart-funnel', 'chart-daily', 'chart-latency']) {
      const canvas = page.locator(`#${id} canvas`);
      await expect(canvas.count()).resolves.toBe(1);
      expect((await canvas.boundingBox())?.width).toBeGreaterThan(400);
      await expect(page.locator(`#${id}`).getAttribute('aria-hidden')).resolves.toBe('true');
    }
    // The failures chart draws what the failures table lists, and says so when there is nothing.
    // (An empty table holds one row saying "Nothing yet.".)
    const failures = await page.locator('#ops-failures tbody tr', { hasNotText: 'Nothing yet.' }).count();
    await expect(page.locator('#chart-failures canvas').count()).resolves.toBe(failures > 0 ? 1 : 0);
    if (failures === 0)
      await expect(page.locator('#chart-failures').textContent()).resolves.toBe('Nothing yet.');
    await expect(page.locator('#chart-failures').getAttribute('aria-hidden')).resolves.toBe('true');
    expect(loaded.every((url) => url.startsWith(stack.issuer))).toBe(true);
    expect(loaded).toContain(`${stack.issuer}/assets/uplot.js`);

    const stuck = page.locator('#ops-follow-ups tbody tr', { hasText: 'TOKEN_MANAGEMENT_UNAVAILABLE' });
    await expect(stuck.textContent()).resolves.toContain('unblocked');
    await page.locator('#follow-ups-title').scrollIntoViewIfNeeded();
    await screenshot(page, '12a-ops-card-change-failed');
    await stuck.getByRole('button', { name: `Retry the unblocked change of card ${cardId}` }).click();
    await page.getByText(`The unblocked change of card ${cardId} is queued again.`).waitFor();
    // The job, kicked by the retry, takes it to MDES: it leaves the list of unfinished changes.
    const state = async () =>
      (
        await sql<{
          state: string;
        }>`select state from token_follow_ups where id = 'tfu_browsertest0000000000'`.execute(db)
      ).rows[0]?.state;
    for (let i = 0; i < 100 && (await state()) !== 'done'; i++) await page.waitForTimeout(100);
    expect(await state()).toBe('done');

    // Found by name as a caller gives it, not by pushprov's id; one match opens its history.
    await page.getByLabel('Name, username, email or last four digits').fill('alice martin');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.getByRole('heading', { name: 'Audit trail' }).waitFor();
    await expect(page.locator('#ops-found').textContent()).resolves.toContain(cardholderId);
    await expect(page.getByRole('button', { name: 'Show history of Alice Martin' }).count()).resolves.toBe(1);
    await expect(page.locator('#ops-history').textContent()).resolves.toContain('Demo Shop');
    // Times in the reader's zone and words, not ISO strings.
    const when = await page
      .locator('#ops-history table.audit tbody tr td:nth-child(2)')
      .first()
      .textContent();
    expect(when).not.toMatch(/\d{4}-\d\d-\d\dT/);
    // The audit trail fits a desktop window: long ids wrap instead of widening the table.
    await expect(page.evaluate('document.documentElement.scrollWidth')).resolves.toBeLessThanOrEqual(1280);
    await expect(
      page.evaluate(
        `[...document.querySelectorAll('#ops-history .scroll')].every((s) => s.scrollWidth <= s.clientWidth)`,
      ),
    ).resolves.toBe(true);
    await screenshot(page, '12-ops');
    expect(await accessibilityProblems(page)).toEqual([]);

    // The key stays for the tab: a reload shows the figures without asking again.
    await page.reload();
    await totals.locator('tbody tr').first().waitFor();
    expect(problems).toEqual([]);
    await context.close();
  });

  // With Élodie: no test spends her one-time codes, so this step's and the next are both unspent.
  it('says a passkey is already registered when the same device is registered twice, and removes it with a one-time code', async () => {
    const { context, page, problems } = await openPage(browser, 'phone');
    await addVirtualAuthenticator(context, page);
    await signIn(page, DEMO.elodie);
    await page.goto(`${stack.issuer}/app/security`);
    const register = async (epoch: number) =>
      addPasskey(page, await generate({ secret: DEMO.elodie.totpSecret, epoch }));
    await register(Math.floor(Date.now() / 1000));
    await page.getByText('Passkey added').waitFor();
    // The same device again: the authenticator already holds it, and the page says so (not "cancelled").
    await register(Math.floor(Date.now() / 1000) + 30);
    await expect(page.getByRole('alert').textContent()).resolves.toContain(
      'already has a passkey registered',
    );
    await expect(page.locator('.passkey').count()).resolves.toBe(1);
    await screenshot(page, '06b-passkey-already-registered');

    // She removes the passkey from the Security page, confirming with a one-time code: one of the
    // step after the next, since this step's and the next one's codes are spent above.
    await page.goto(`${stack.issuer}/app/security`);
    await page.locator('.passkey summary').click();
    await screenshot(page, '30-passkey-remove-confirm');
    await page
      .locator('.passkey')
      .getByLabel('One-time code', { exact: true })
      .fill(await codeOfStepAfterNext(DEMO.elodie.totpSecret));
    await page.getByRole('button', { name: 'Remove passkey 1' }).click();
    await page.getByText('Passkey removed').waitFor();
    await expect(page.locator('.passkey').count()).resolves.toBe(0);
    await screenshot(page, '31-passkey-removed');
    expect(await accessibilityProblems(page)).toEqual([]);
    expect(problems.filter((p) => !p.includes('status of 4'))).toEqual([]);
    await context.close();
  });

  // Bob's pushes are confirmed with a passkey, registered with a code no earlier test of his spent.
  it('shows a Click to Pay decline and the Demo Shop’s expired link', async () => {
    const { context, page, problems } = await openPage(browser, 'desktop');
    await addVirtualAuthenticator(context, page);
    await signIn(page, DEMO.bob);
    await page.goto(`${stack.issuer}/app/security`);
    await addPasskey(page, await codeOfStepAfterNext(DEMO.bob.totpSecret));
    await page.getByText('Passkey added').waitFor();

    // Click to Pay declines: the card is blocked while he is at Click to Pay, so the bank declines
    // MDES's question and Click to Pay sends him back with DECLINED.
    const db = stack.running.database.db;
    await page.getByRole('link', { name: 'Your cards' }).click();
    await page.getByRole('link', { name: /^Add to Click to Pay\W.* ending in 3222$/ }).click();
    await page.waitForURL(/\/consent$/);
    const cardId = /\/app\/cards\/([^/]+)\//.exec(page.url())?.[1] ?? '';
    await page.getByLabel(/I agree to share this card/).check();
    await page.getByLabel('Passkey on this device').check();
    await page.getByRole('button', { name: 'Add to Click to Pay' }).click();
    await page.waitForURL(`${stack.simulator}/click-to-pay/provision?pushAccountData=*`);
    await sql`update cards set status = 'blocked' where id = ${cardId}`.execute(db);
    await page.getByRole('button', { name: 'Add to Click to Pay' }).click();
    await page.waitForURL(/\/app\/provisionings\/prv_/);
    await waitForState(page, 'failed');
    await expect(
      page.locator('[data-code="TOKENIZATION_DECLINED"]').first().textContent(),
    ).resolves.toContain('could not be added there');
    await screenshot(page, '28-click-to-pay-declined');
    expect(await accessibilityProblems(page)).toEqual([]);
    await sql`update cards set status = 'active' where id = ${cardId}`.execute(db);

    // The Demo Shop's link from the bank has expired by the time he saves the card there.
    await page.goto(`${stack.issuer}/app/cards`);
    await page.getByRole('link', { name: /^Add to a merchant or wallet\W.* ending in 5100$/ }).click();
    await page.getByRole('link', { name: /Demo Shop/ }).click();
    await page.waitForURL(/\/consent$/);
    await page.getByLabel(/I agree to share this card/).check();
    await page.getByLabel('Passkey on this device').check();
    await page.getByRole('button', { name: 'Add to Demo Shop' }).click();
    await page.waitForURL(`${stack.merchant}/**`);
    await sql`update mc_receipts set expires_at = now() - interval '1 second' where redeemed_at is null`.execute(
      db,
    );
    await page.getByRole('button', { name: /Save card/ }).click();
    expect(await shopAnswer(page)).toContain('The link from your bank has expired');
    await screenshot(page, '29-shop-link-expired');
    expect(await accessibilityProblems(page)).toEqual([]);

    expect(problems.filter((p) => !p.includes('status of 4'))).toEqual([]);
    await context.close();
  });

  it('speaks German to Clara (her locale), dates included, with a passkey added from the Security page', async () => {
    const { context, page, problems } = await openPage(browser, 'desktop', { timezoneId: 'Europe/Berlin' });
    await addVirtualAuthenticator(context, page);
    await signIn(page, { username: 'clara', password: 'clara-demo-password' });
    await expect(page.evaluate('document.documentElement.lang')).resolves.toBe('de');
    await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('Ihre Karten');
    await screenshot(page, '24-german-cards');
    expect(await accessibilityProblems(page)).toEqual([]);
    await page.getByRole('link', { name: 'Sicherheit' }).click();
    await page
      .locator('#passkey-register')
      .getByLabel('Einmalcode', { exact: true })
      .fill(await generate({ secret: 'JRMQJJIPFCCEX2IAHZFFRAVMWLCI573G' }));
    await page.getByRole('button', { name: 'Passkey hinzufügen' }).click();
    await page.getByText('Passkey hinzugefügt').waitFor();
    // When it was added, in German and in Berlin time (the page script, from the page's language).
    const added = page.locator('.passkey time').first();
    const shown = await added.textContent();
    expect(shown).toMatch(/^\d\d\.\d\d\.\d{4}, \d\d:\d\d$/);
    const berlin = new Intl.DateTimeFormat('de-DE', {
      timeZone: 'Europe/Berlin',
      hour: '2-digit',
      minute: '2-digit',
    }).format(new Date((await added.getAttribute('datetime')) ?? ''));
    expect(shown).toContain(berlin);
    await screenshot(page, '25-german-security');
    expect(await accessibilityProblems(page)).toEqual([]);
    expect(problems).toEqual([]);
    await context.close();
  });
  it('lets the cardholder change their mind at the Demo Shop: a cancel said once and neutrally, and Back', async () => {
    const { context, page, problems } = await openPage(browser, 'phone');
    await signIn(page, DEMO.alice);
    await page.getByRole('link', { name: /^Add to a merchant or wallet\W.* ending in 8210$/ }).click();
    await page.getByRole('link', { name: /Demo Shop/ }).click();
    await page.waitForURL(/\/consent$/);
    await page.getByLabel(/I agree to share this card/).check();
    await page.getByLabel('One-time code', { exact: true }).fill(await codeOfNextStep(DEMO.alice.totpSecret));
    await page.getByRole('button', { name: 'Add to Demo Shop' }).click();
    await page.waitForURL(`${stack.merchant}/**`);
    await page.getByRole('button', { name: /^Not now/ }).click();

    // Back at the bank: the cardholder's choice, once, without a failure's alarm, and a way to try again.
    await page.waitForURL(/\/app\/provisionings\/prv_/);
    const result = page.locator('.result.cancelled');
    await result.waitFor({ timeout: 60_000 });
    await expect(page.getByText('You chose not to add it this time.').count()).resolves.toBe(1);
    await expect(result.locator('.refusal').count()).resolves.toBe(0);
    await expect(page.getByRole('link', { name: /Try again/ }).count()).resolves.toBeGreaterThan(0);
    await screenshot(page, '26-cancelled-at-shop');
    expect(await accessibilityProblems(page)).toEqual([]);

    // Back to the shop: the answered handover shows its result there, nothing is saved and nothing resubmitted.
    await page.goBack();
    await page.waitForURL(`${stack.merchant}/push/result**`);
    expect(await shopAnswer(page)).toContain('You chose not to save the card.');
    await screenshot(page, '27-shop-after-cancel');
    expect(problems.filter((p) => !p.includes('status of 4'))).toEqual([]);
    await context.close();
  });
});
