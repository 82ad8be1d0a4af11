import { readFileSync } from 'node:fs';
import { generate } from 'otplib';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadDevKeys } from '../../src/mastercard/keys/generate.js';
import { DEMO, type Stack, startStack } from '../support/stack.js';
import { tokenizeTypedIn } from '../support/typed-in.js';
import { accessibilityProblems, launchChromium, openPage, screenshot } from './chromium.js';

const fixture = JSON.parse(
  readFileSync(new URL('../../fixtures/demo-cards.json', import.meta.url), 'utf8'),
) as {
  cardholders: { externalRef: string; cards: { pan: string; expiryMonth: number; expiryYear: number }[] }[];
};
const aliceCard = fixture.cardholders.find((c) => c.externalRef === 'demo-alice')!.cards[0]!;

/**
 * "Was this you?" in a real browser: a merchant tokenizes Alice's card typed
 * in by a shopper; the bank (policy additional-authentication) answers MDES's
 * Authorize Service with REQUIRE_ADDITIONAL_AUTHENTICATION, so MDES holds the
 * token inactive; Alice finds the request on her card's "where it is saved"
 * page, confirms it with her one-time code, and the card shows saved there
 * once MDES has activated it (Customer Service activate, then Notify Service
 * Activated over mutual TLS). Then a second request, which she refuses.
 */
describe('confirming a held tokenization in Chromium', () => {
  let stack: Stack;
  let browser: Browser;

  beforeAll(async () => {
    [stack, browser] = await Promise.all([
      startStack({ PUSHPROV_UNMATCHED_TOKENIZATION: 'additional-authentication' }),
      launchChromium(),
    ]);
  });
  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  });

  it('holds a card typed in at a merchant until Alice says it was her, and removes one she did not ask for', async () => {
    const keys = await loadDevKeys(stack.keysDir);
    const held = await tokenizeTypedIn(stack, keys, aliceCard);
    expect(held.body.decision).toBe('REQUIRE_ADDITIONAL_AUTHENTICATION');

    const { context, page, problems } = await openPage(browser, 'phone');
    await page.goto(`${stack.issuer}/app/signin`);
    await page.getByLabel('Username').fill(DEMO.alice.username);
    await page.getByLabel('Password').fill(DEMO.alice.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${stack.issuer}/app/cards`);
    await page
      .getByRole('link', { name: new RegExp(`^Where this card is saved.*${aliceCard.pan.slice(-4)}`) })
      .first()
      .click();
    await page.waitForURL(/\/saved$/);
    const waiting = page.locator(
      `.pending-activation[data-token-unique-reference="${held.body.tokenUniqueReference}"]`,
    );
    await expect(waiting.getByRole('heading').textContent()).resolves.toContain('asked to save this card');
    await screenshot(page, '40-was-this-you');
    expect(await accessibilityProblems(page)).toEqual([]);

    await waiting
      .getByLabel('One-time code from your authenticator app')
      .fill(await generate({ secret: DEMO.alice.totpSecret }));
    await waiting.getByRole('button', { name: 'Yes, it was me' }).click();
    await page.waitForURL(/activation=requested/);
    // MDES activates it and says so; the page shows it saved at the merchant once that has happened.
    await expect
      .poll(
        async () => {
          await page.reload();
          return page.locator('.saved-item[data-status="ACTIVE"]').count();
        },
        { timeout: 15_000, interval: 300 },
      )
      .toBe(1);
    await expect(page.locator('.pending-activation').count()).resolves.toBe(0);
    await screenshot(page, '41-confirmed');

    // A second request Alice did not make: "No, it was not me" has MDES remove it.
    const unwanted = await tokenizeTypedIn(stack, keys, aliceCard);
    expect(unwanted.body.decision).toBe('REQUIRE_ADDITIONAL_AUTHENTICATION');
    await page.reload();
    const second = page.locator(
      `.pending-activation[data-token-unique-reference="${unwanted.body.tokenUniqueReference}"]`,
    );
    await second.getByRole('button', { name: 'No, it was not me' }).click();
    await page.waitForURL(/activation=rejected/);
    await expect(page.locator('.pending-activation').count()).resolves.toBe(0);
    await expect(page.locator('.saved-item[data-status="ACTIVE"]').count()).resolves.toBe(1);
    expect(problems).toEqual([]);
    await context.close();
  });
});
