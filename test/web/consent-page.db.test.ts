import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/core/logger.js';
import { captureStream } from '../support/capture.js';
import { CardholderClient, DEMO, type Stack, startStack } from '../support/stack.js';

const CLICK_TO_PAY = '50123197928';
const DEMO_SHOP = '50182375119';

/**
 * The consent page: what the destination receives, said plainly; the
 * cardholder's own details whole (their own signed-in page), while the API
 * and the logs keep them masked or absent; Click to Pay's terms and privacy.
 */
describe('the consent page', { timeout: 120_000 }, () => {
  const capture = captureStream();
  let stack: Stack;
  let alice: CardholderClient;
  let cardId: string;
  beforeAll(async () => {
    stack = await startStack(
      {},
      createLogger({ level: 'trace', format: 'json', destination: capture.stream }),
    );
    alice = new CardholderClient(stack.issuer);
    await alice.signIn(DEMO.alice);
    const cards = (await alice.call('GET', '/v1/cards')).body.cards as { id: string; eligible: boolean }[];
    cardId = cards.find((c) => c.eligible)?.id ?? '';
  }, 120_000);
  afterAll(async () => stack?.stop());

  const page = async (trid: string) =>
    String((await alice.call('GET', `/app/cards/${cardId}/destinations/${trid}/consent`)).body);

  it("shows Click to Pay what it receives, with the cardholder's own details whole, and its terms and privacy", async () => {
    const html = await page(CLICK_TO_PAY);
    expect(html).toContain('<h2>What Click to Pay will receive</h2>');
    expect(html).toContain(
      'so that Click to Pay can recognise you and fill in your card when you pay online',
    );
    expect(html).toMatch(
      /<dt>Your card<\/dt><dd>[^<]+ ending in \d{4}, expires \d\d\/\d\d: as a stand-in number \(a token\), never your card number<\/dd>/,
    );
    for (const [label, value] of [
      ['Your name', 'Alice Martin'],
      ['Your email', 'alice@example.com'],
      ['Your mobile number', '+447700900123'],
    ])
      expect(html).toContain(`<dt>${label}</dt><dd>${value}</dd>`);
    expect(html).toMatch(/<dt>Your billing address<\/dt><dd>12 Example Street, London, SW1A 1AA, GB<\/dd>/);
    expect(html).not.toContain('•••');
    expect(html).toContain('never your card number, security code or PIN');
    expect(html).toMatch(
      /<a href="https:\/\/www\.mastercard\.com\/[^"]+terms-of-use\.html" rel="noopener">terms of use<\/a>/,
    );
    expect(html).toMatch(
      /<a href="https:\/\/www\.mastercard\.com\/[^"]+privacy-notice\.html" rel="noopener">privacy notice<\/a>/,
    );
  });

  it('keeps the API preview masked and the details out of every log line', async () => {
    const api = await alice.call('GET', `/v1/cards/${cardId}/destinations/${CLICK_TO_PAY}/consent`);
    expect(JSON.stringify(api.body)).not.toContain('alice@example.com');
    expect(JSON.stringify(api.body)).toContain('a••••@example.com');
    await page(DEMO_SHOP);
    const logs = capture.text();
    expect(logs).toContain('/consent');
    for (const value of ['alice@example.com', '7700900123', 'Alice Martin', '12 Example Street'])
      expect(logs).not.toContain(value);
  });

  it('names no Click to Pay terms for a merchant, and says why it receives the card', async () => {
    const html = await page(DEMO_SHOP);
    expect(html).toContain('so that Demo Shop can charge your card when you buy there');
    expect(html).not.toContain('terms-of-use');
  });
});
