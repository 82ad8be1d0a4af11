import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Stack, startStack } from '../support/stack.js';

/** A body of 20,000 nested arrays (40 kB, under every body limit) reaches every server's JSON routes. */
const DEEP = `${'['.repeat(20_000)}${']'.repeat(20_000)}`;

describe('requests a parser refuses', { timeout: 120_000 }, () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack();
  }, 120_000);
  afterAll(async () => stack?.stop());

  it('deeply nested JSON is refused with a client error in each server’s envelope, never a 500', async () => {
    const targets = [
      `${stack.issuer}/v1/session`,
      `${stack.issuer}/v1/mdes/notifications`,
      `${stack.simulator}/mdes/connect/1/0/pushMultipleAccounts`,
      `${stack.simulator}/mdes/csapi/v2/search`,
      `${stack.merchant}/mdes/digitization/static/1/0/notifyTokenUpdated`,
      `${stack.simulator}/mdes/digitization/static/1/0/getToken`,
    ];
    for (const url of targets) {
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', origin: new URL(url).origin },
        body: DEEP,
      });
      expect(response.status, url).toBeGreaterThanOrEqual(400);
      expect(response.status, url).toBeLessThan(500);
      const body = (await response.json()) as Record<string, unknown>;
      expect(body.error ?? body.Errors ?? body.errors, url).toBeDefined();
    }
  });

  it('headers over the HTTP parser’s limit are answered 431 in the envelope, by every server', async () => {
    for (const base of [stack.issuer, stack.simulator, stack.merchant]) {
      const response = await fetch(`${base}/readyz`, { headers: { 'x-padding': 'x'.repeat(20_000) } });
      expect(response.status, base).toBe(431);
      expect(await response.json(), base).toMatchObject({ error: { code: 'HEADERS_TOO_LARGE' } });
    }
  });
});
