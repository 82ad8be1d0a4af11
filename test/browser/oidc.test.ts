import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PUSHPROV_CLIENT, STRONG, startTestIdp, type TestIdp, WEAK } from '../support/oidc-provider.js';
import { type Stack, startStack } from '../support/stack.js';
import { launchChromium, openPage, screenshot } from './chromium.js';

/**
 * The bank pages with the bank's OpenID provider in a real browser: the
 * authorization code flow's redirects, its cookies across the two origins
 * (the flow's SameSite=Lax cookie must come back on the provider's redirect),
 * and the step-ups (a consent, a resume) leaving the bank's origin despite its CSP.
 */
describe('bank pages signed in at the bank’s OpenID provider, in Chromium', () => {
  let stack: Stack;
  let browser: Browser;
  let idp: TestIdp & { setPushprovRedirectUri(uri: string): Promise<void> };

  beforeAll(async () => {
    idp = await startTestIdp({ audience: 'https://bank.example' });
    [stack, browser] = await Promise.all([
      startStack({
        PUSHPROV_OIDC_ISSUER: idp.issuer,
        PUSHPROV_OIDC_CLIENT_ID: PUSHPROV_CLIENT.clientId,
        PUSHPROV_OIDC_CLIENT_SECRET: PUSHPROV_CLIENT.clientSecret,
        PUSHPROV_OIDC_SCA_ACR: STRONG.acr,
      }),
      launchChromium(),
    ]);
    await idp.setPushprovRedirectUri(`${stack.issuer}/app/oidc/callback`);
  });
  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
    await idp?.close();
  });

  it('signs in at the provider, adds a card to Click to Pay and resumes it there after strong step-ups at the provider', async () => {
    const { context, page, problems } = await openPage(browser);
    idp.nextLogin = { accountId: 'demo-bob', ...WEAK };
    await page.goto(`${stack.issuer}/app/cards`);
    await page.waitForURL(`${stack.issuer}/app/cards`);
    await screenshot(page, 'oidc-01-cards');

    await page.getByRole('link', { name: /^Add to Click to Pay\W.* ending in 5100$/ }).click();
    await page.waitForURL(/\/consent$/);
    // No code to type: the bank's sign-in confirms it is them.
    await expect(page.getByLabel('One-time code').count()).resolves.toBe(0);
    await page.getByLabel(/^I agree to share this card/).check();

    // A weak sign-in at the provider is not enough: back at the consent, saying so.
    await page.getByRole('button', { name: 'Add to Click to Pay' }).click();
    await page.waitForURL(/\/consent\?problem=SCA_REQUIRED$/);
    await expect(page.locator('#error').getAttribute('data-code')).resolves.toBe('SCA_REQUIRED');

    idp.nextLogin = { accountId: 'demo-bob', ...STRONG };
    await page.getByLabel(/^I agree to share this card/).check();
    await page.getByRole('button', { name: 'Add to Click to Pay' }).click();
    await page.waitForURL(/\/app\/provisionings\/prv_[a-z0-9]+$/);
    await expect(page.getByRole('link', { name: 'Continue to Click to Pay' }).count()).resolves.toBe(1);
    await screenshot(page, 'oidc-02-pushed');

    // Added at Click to Pay, then paused, then resumed: the resume confirmed at the bank's sign-in.
    await page.getByRole('link', { name: 'Continue to Click to Pay' }).click();
    await page.waitForURL(`${stack.simulator}/click-to-pay/provision?pushAccountData=*`);
    await page.getByRole('button', { name: 'Add to Click to Pay' }).click();
    await page.waitForURL(/\/app\/provisionings\/prv_/);
    await page.locator('#state[data-state="completed"]').waitFor({ timeout: 30_000 });
    await page.getByRole('link', { name: 'Where this card is saved' }).click();
    await page.waitForURL(/\/app\/cards\/crd_[a-z0-9]+\/saved$/);
    const c2p = page.locator('.saved-item', { has: page.getByRole('heading', { name: 'Click to Pay' }) });
    await c2p.getByRole('button', { name: /^Pause/ }).click();
    await page.locator('#flash').getByText('Click to Pay is paused').waitFor({ timeout: 30_000 });

    // A weak sign-in there: back on the page, the card still paused, saying why.
    idp.nextLogin = { accountId: 'demo-bob', ...WEAK };
    await c2p.getByRole('button', { name: /^Resume/ }).click();
    await expect(c2p.getByLabel('One-time code').count()).resolves.toBe(0);
    await screenshot(page, 'oidc-03-resume-at-the-bank');
    await c2p.getByRole('button', { name: 'Confirm and resume' }).click();
    await page.waitForURL(/\/saved\?resume=tok_[a-z0-9]+&problem=SCA_REQUIRED$/);
    await expect(page.locator('#error').getAttribute('data-code')).resolves.toBe('SCA_REQUIRED');
    await expect(c2p.locator('.token-status').getAttribute('data-status')).resolves.toBe('SUSPENDED');

    idp.nextLogin = { accountId: 'demo-bob', ...STRONG };
    await c2p.getByRole('button', { name: 'Confirm and resume' }).click();
    await page.waitForURL(/\/saved\?changed=tok_[a-z0-9]+$/);
    await expect(page.locator('#flash').textContent()).resolves.toBe(
      'Your card at Click to Pay can be used again.',
    );
    await expect(c2p.locator('.token-status').getAttribute('data-status')).resolves.toBe('ACTIVE');
    await screenshot(page, 'oidc-04-resumed');
    expect(problems).toEqual([]);
    await context.close();
  });
});
