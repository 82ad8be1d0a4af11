import { generate } from 'otplib';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO, type Stack, startStack } from '../support/stack.js';
import { launchChromium, openPage, screenshot, shopAnswer } from './chromium.js';

/**
 * The whole life of a pushed card, as a cardholder watches it in two tabs:
 * the bank pushes the card to the Demo Shop, the shop redeems the receipt
 * (the token decrypted with its own key), a payment goes through, the bank
 * pauses the card, the next payment is declined as paused by the bank, the
 * bank resumes it, a payment goes through again, and the shopper removes
 * the card at the shop, which the bank's page then shows.
 */
describe('a pushed card paying at the Demo Shop, in Chromium', () => {
  let stack: Stack;
  let browser: Browser;

  beforeAll(async () => {
    [stack, browser] = await Promise.all([startStack(), launchChromium()]);
  });
  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  });

  /** A one-time code not used yet: a code is single use within its 30-second window. */
  let lastCode = '';
  async function freshCode(): Promise<string> {
    for (;;) {
      const code = await generate({ secret: DEMO.alice.totpSecret });
      if (code !== lastCode) {
        lastCode = code;
        return code;
      }
      await new Promise((r) => setTimeout(r, 1_000));
    }
  }

  async function pay(shop: Page): Promise<Page> {
    await shop.goto(`${stack.merchant}/`);
    await shop.getByRole('button', { name: 'Pay €12.50 with card ending 4444' }).click();
    await shop.waitForURL(/\/payments\/pay_/);
    return shop;
  }

  it('pushes, redeems, pays, is declined while paused by the bank, pays once resumed, and is removed at the shop', async () => {
    const { context, page: bank, problems } = await openPage(browser, 'desktop');
    await bank.goto(`${stack.issuer}/app/signin`);
    await bank.getByLabel('Username').fill(DEMO.alice.username);
    await bank.getByLabel('Password').fill(DEMO.alice.password);
    await bank.getByRole('button', { name: 'Sign in' }).click();
    await bank.waitForURL(`${stack.issuer}/app/cards`);

    // Push: the bank sends the card to the Demo Shop, which saves it.
    await bank.getByRole('link', { name: /^Add to a merchant or wallet\W.* ending in 4444$/ }).click();
    await bank.getByRole('link', { name: /Demo Shop/ }).click();
    await bank.waitForURL(/\/consent$/);
    await bank.getByLabel(/I agree to share this card/).check();
    await bank.getByLabel('One-time code', { exact: true }).fill(await freshCode());
    await bank.getByRole('button', { name: 'Add to Demo Shop' }).click();
    await bank.waitForURL(`${stack.merchant}/**`);
    await bank.getByRole('button', { name: /Save card/ }).click();
    expect(await shopAnswer(bank)).toContain('Card saved');
    await bank.getByRole('link', { name: 'Continue to your bank' }).click();
    await bank.waitForURL(/\/app\/provisionings\/prv_/);
    await bank.locator('#state[data-state="completed"]').waitFor({ timeout: 60_000 });

    // The shop in a second tab (same browser: the shopper's cookie): the first payment goes through.
    const shop = await context.newPage();
    await pay(shop);
    await expect(shop.getByRole('status').textContent()).resolves.toContain(
      'You paid €12.50 with the Mastercard ending in 4444',
    );
    await screenshot(shop, 'pay-01-approved');

    // The bank pauses the card for the Demo Shop.
    await bank.getByRole('link', { name: 'Where this card is saved' }).click();
    await bank.waitForURL(/\/saved$/);
    const saved = bank.locator('.saved-item', { has: bank.getByRole('heading', { name: 'Demo Shop' }) });
    await saved.getByRole('button', { name: /^Pause/ }).click();
    await bank.locator('#flash').getByText('Demo Shop is paused').waitFor({ timeout: 30_000 });
    await shop.goto(`${stack.merchant}/`);
    await shop.locator('li[data-status="SUSPENDED"]').waitFor();

    // Declined, and the shop says why.
    await pay(shop);
    await expect(shop.getByRole('alert').textContent()).resolves.toContain('paused by your bank');
    await screenshot(shop, 'pay-02-declined-paused-by-bank');

    // Resumed at the bank (a fresh one-time code), the card pays again.
    await saved.getByRole('button', { name: /^Resume/ }).click();
    await saved.getByLabel('One-time code', { exact: true }).fill(await freshCode());
    await saved.getByRole('button', { name: 'Confirm and resume' }).click();
    await bank.locator('#flash').getByText('Demo Shop can be used again').waitFor({ timeout: 30_000 });
    for (let i = 0; i < 100; i++) {
      await shop.goto(`${stack.merchant}/`);
      if ((await shop.locator('li[data-status="ACTIVE"]').count()) > 0) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    await pay(shop);
    await expect(shop.getByRole('status').textContent()).resolves.toContain('You paid €12.50');
    await screenshot(shop, 'pay-03-approved-again');

    // Removed at the shop: deleted at MDES, and the bank hears of it.
    await shop.goto(`${stack.merchant}/`);
    await shop.getByRole('button', { name: 'Remove card ending 4444' }).click();
    await shop.locator('li[data-status="DEACTIVATED"]').waitFor();
    await expect(shop.getByRole('button', { name: /Pay €12.50/ }).count()).resolves.toBe(0);
    await screenshot(shop, 'pay-04-removed-at-shop');
    for (let i = 0; i < 100; i++) {
      await bank.reload();
      if ((await saved.getAttribute('data-status')) === 'DELETED') break;
      await new Promise((r) => setTimeout(r, 200));
    }
    await expect(saved.locator('.token-status').textContent()).resolves.toBe('Removed');
    await screenshot(bank, 'pay-05-bank-shows-removed');
    expect(problems).toEqual([]);
    await context.close();
  });
});
