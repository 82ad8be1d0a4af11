import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadDevPki } from '../../src/mastercard/keys/dev-pki.js';
import { mdesAgent, postAsMdes } from '../support/mdes-tls.js';
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
    // The issuer's own JSON routes refuse it with pushprov's code; the simulated Mastercard's gateway refuses an
    // unsigned request before its body is read, the merchant's Notify Token Updated in the spec's envelope.
    const targets: [string, string][] = [
      [`${stack.issuer}/v1/session`, 'JSON_TOO_DEEP'],
      [`${stack.simulator}/mdes/connect/1/0/pushMultipleAccounts`, ''],
      [`${stack.simulator}/mdes/csapi/v2/search`, ''],
      [`${stack.merchant}/mdes/digitization/static/1/0/notifyTokenUpdated`, ''],
      [`${stack.simulator}/mdes/digitization/static/1/0/getToken`, ''],
    ];
    for (const [url, code] of targets) {
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', origin: new URL(url).origin },
        body: DEEP,
      });
      expect(response.status, url).toBeGreaterThanOrEqual(400);
      expect(response.status, url).toBeLessThan(500);
      const body = (await response.json()) as Record<string, unknown>;
      const envelope = body.error ?? body.Errors ?? body.errors;
      expect(envelope, url).toBeDefined();
      if (code) expect(JSON.stringify(envelope), url).toContain(code);
    }
  });

  it('deeply nested JSON to the issuer’s MDES listener (mutual TLS) is the spec’s INVALID_JSON, recording nothing', async () => {
    const agent = mdesAgent(await loadDevPki(stack.keysDir));
    const recorded = () =>
      sql<{ n: number }>`select count(*)::int as n from mdes_notifications`.execute(
        stack.running.database.db,
      );
    const before = (await recorded()).rows[0]?.n;
    try {
      const root = new URL(stack.running.mdesUrl ?? '');
      // The whole body, and a deep value in a member the spec names: refused before it is parsed.
      for (const body of [DEEP, `{"requestId":"1","tokens":${'['.repeat(40)}${']'.repeat(40)}}`]) {
        const answer = await postAsMdes(
          agent,
          Number(root.port),
          `${root.pathname}/notifyTokenUpdated`,
          body,
        );
        expect(answer.status).toBe(400);
        expect(JSON.parse(answer.body)).toMatchObject({ errorCode: 'INVALID_JSON' });
      }
      expect((await recorded()).rows[0]?.n).toBe(before);
    } finally {
      agent.destroy();
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
