import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/core/logger.js';
import { REDACTED } from '../../src/core/redact.js';
import { captureStream } from '../support/capture.js';
import { atTokenRequestor, CardholderClient, DEMO, type Stack, startStack } from '../support/stack.js';

const DEMO_SHOP = '50182375119';

/**
 * Request lines keep query values out of the logs (issue 14, finding 6):
 * the demo merchant's push URL carries MDES's signed push data (receipts, the
 * callback URL and its `state`), and the issuer's callback URL carries the
 * `state` that proves a return came through it and the receipts' results.
 */
describe('request URLs in the logs', { timeout: 120_000 }, () => {
  let stack: Stack;
  const capture = captureStream();

  beforeAll(async () => {
    stack = await startStack(
      {},
      createLogger({ level: 'info', format: 'json', destination: capture.stream }),
    );
  }, 120_000);
  afterAll(async () => stack?.stop());

  it('a push to the demo merchant and the return: paths logged, no state, signature or receipt', async () => {
    const alice = new CardholderClient(stack.issuer);
    await alice.signIn(DEMO.alice);
    await alice.stepUp(DEMO.alice.totpSecret);
    const cards = await alice.call('GET', '/v1/cards');
    const cardId = (cards.body.cards as { id: string; eligible: boolean }[]).find((c) => c.eligible)?.id;
    const pushed = await alice.push([cardId ?? ''], DEMO_SHOP);
    expect(pushed.status).toBe(201);
    const pushLink = new URL(pushed.body.redirectUrl as string);
    const merchant = await atTokenRequestor(pushLink.toString());
    const callback = new URL(merchant.callbackUrl ?? '');
    expect((await alice.call('GET', callback.toString())).status).toBe(200);
    await new Promise((r) => setTimeout(r, 200));

    const secrets: [string, string][] = [
      ['the signed push data', pushLink.searchParams.get('pushAccountData') ?? ''],
      ['its signature', (pushLink.searchParams.get('pushAccountData') ?? '').split('.')[2] ?? ''],
      ['the callback state', callback.searchParams.get('state') ?? ''],
      ...[...callback.searchParams.keys()]
        .filter((k) => k.startsWith('results['))
        .map((k): [string, string] => ['a receipt', k.slice('results['.length, -1)]),
    ];
    expect(secrets.filter(([, value]) => value.length < 8)).toEqual([]);
    expect(secrets.length).toBeGreaterThanOrEqual(4);
    const text = capture.text();
    for (const [what, value] of secrets) {
      expect(text.includes(value), `${what} is in the logs`).toBe(false);
      expect(text.includes(encodeURIComponent(value)), `${what} is in the logs, encoded`).toBe(false);
    }
    // The requests are still there, by path.
    const urls = capture
      .lines()
      .map((line) => (JSON.parse(line) as { req?: { url?: string } }).req?.url)
      .filter((url): url is string => url !== undefined);
    expect(urls).toContain(`${pushLink.pathname}?pushAccountData=${REDACTED}`);
    expect(urls).toContainEqual(
      expect.stringMatching(
        new RegExp(`^${callback.pathname}\\?state=\\[REDACTED\\]&\\[REDACTED\\]=\\[REDACTED\\]$`),
      ),
    );
  });
});
