import { readFileSync } from 'node:fs';
import { generate } from 'otplib';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/core/clock.js';
import { CustomerServiceClient } from '../../src/mastercard/customer-service/client.js';
import { loadDevKeys } from '../../src/mastercard/keys/generate.js';
import { OAuthSigner } from '../../src/mastercard/oauth/signer.js';
import { DEMO, type Stack, startStack } from '../support/stack.js';
import { tokenizeTypedIn } from '../support/typed-in.js';
import { accessibilityProblems, launchChromium, openPage, screenshot } from './chromium.js';

const fixture = JSON.parse(
  readFileSync(new URL('../../fixtures/demo-cards.json', import.meta.url), 'utf8'),
) as {
  cardholders: { externalRef: string; cards: { pan: string; expiryMonth: number; expiryYear: number }[] }[];
};
const aliceCard = fixture.cardholders.find((c) => c.externalRef === 'demo-alice')!.cards[0]!;

/** Reloads the saved-cards page until MDES has activated `count` tokens and said so (Notify Service Activated). */
const savedActive = (page: Page, count: number) =>
  expect
    .poll(
      async () => {
        await page.reload();
        return page.locator('.saved-item[data-status="ACTIVE"]').count();
      },
      { timeout: 15_000, interval: 300 },
    )
    .toBe(count);

/** The bank's customer service agent, as MDES Customer Service's AuditInfo names who acted. */
const AGENT = { UserId: 'agent-7', UserName: 'Bank agent', Organization: 'Demo Bank' };

/**
 * "Was this you?" in a real browser: a merchant tokenizes Alice's card typed
 * in by a shopper; the bank (policy additional-authentication) answers MDES's
 * Authorize Service with REQUIRE_ADDITIONAL_AUTHENTICATION, so MDES holds the
 * token inactive; Alice finds the request on her card's "where it is saved"
 * page, confirms it with her one-time code, and the card shows saved there
 * once MDES has activated it (Customer Service activate, then Notify Service
 * Activated over mutual TLS). Then a second request, which she refuses,
 * and a third that she confirms with the activation code MDES had the bank
 * deliver (Deliver Activation Code) instead of her authenticator's code.
 */
describe('confirming a held tokenization in Chromium', () => {
  let stack: Stack;
  let browser: Browser;
  /** What the development sender shows on the terminal alone: the activation codes it "sent". */
  const terminal: string[] = [];

  beforeAll(async () => {
    [stack, browser] = await Promise.all([
      startStack({ PUSHPROV_UNMATCHED_TOKENIZATION: 'additional-authentication' }, undefined, (line) =>
        terminal.push(line),
      ),
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
    await savedActive(page, 1);
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

    // A third request, confirmed with the code the bank sent: the bank's agent has MDES make a new code
    // and send it by text (Customer Service resendactivationcode → Deliver Activation Code over mTLS).
    const texted = await tokenizeTypedIn(stack, keys, aliceCard);
    expect(texted.body.decision).toBe('REQUIRE_ADDITIONAL_AUTHENTICATION');
    const agent = new CustomerServiceClient({
      environment: { baseUrl: `${stack.simulator}/mdes/csapi/v2` },
      signer: new OAuthSigner({
        consumerKey: keys.consumerKey,
        signingKey: keys.issuerSigning.privateKey,
        clock: systemClock,
      }),
    });
    const reference = texted.body.tokenUniqueReference as string;
    const methods = await agent.activationMethods(reference, AGENT);
    const byText = methods.find((m) => m.ActivationMethodType === 'SMS');
    expect(byText).toBeDefined();
    await agent.resendActivationCode({
      tokenUniqueReference: reference,
      activationMethodId: byText?.ActivationMethodId ?? '',
      auditInfo: AGENT,
    });
    const code = terminal.map((line) => /^activation code for .+: (\d{6})$/.exec(line)?.[1]).find(Boolean);
    expect(code).toMatch(/^\d{6}$/);
    await page.reload();
    const third = page.locator(`.pending-activation[data-token-unique-reference="${reference}"]`);
    await expect(third.textContent()).resolves.toMatch(/Or enter the code we sent to \+/);
    await third.getByLabel('Code we sent you').fill(code ?? '');
    await third.getByRole('button', { name: 'Yes, it was me' }).click();
    await page.waitForURL(/activation=requested/);
    await savedActive(page, 2);
    await expect(page.locator('.pending-activation').count()).resolves.toBe(0);
    await screenshot(page, '42-confirmed-with-code');
    expect(problems).toEqual([]);
    await context.close();
  });
});
