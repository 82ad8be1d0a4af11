import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/core/logger.js';
import { captureStream } from '../support/capture.js';
import { type Stack, startStack } from '../support/stack.js';

/**
 * Ops find a cardholder as a support agent hears them: by name, username,
 * email or the last four digits of a card (not only pushprov's chd_ id); the
 * words stay out of URLs and logs.
 */
describe('ops cardholder search', { timeout: 120_000 }, () => {
  const capture = captureStream();
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack(
      {},
      createLogger({ level: 'trace', format: 'json', destination: capture.stream }),
    );
  }, 120_000);
  afterAll(async () => stack?.stop());

  const search = async (query: unknown, key = stack.opsKey) => {
    const r = await fetch(`${stack.issuer}/v1/ops/cardholders/search`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ query }),
    });
    return { status: r.status, body: (await r.json()) as Record<string, unknown> };
  };
  const names = async (query: string) =>
    ((await search(query)).body.cardholders as { name: string }[]).map((c) => c.name).sort();

  it('finds by name (any part, accents and case folded), username, email, last four, and combinations', async () => {
    expect(await names('Martin')).toEqual(['Alice Martin']);
    expect(await names('elodie dubois')).toEqual(['Élodie Dubois']);
    expect(await names('bob')).toEqual(['Bob Smith']);
    expect(await names('CLARA@example.com')).toEqual(['Clara Schmidt']);
    expect(await names('4444')).toEqual(['Alice Martin']);
    expect(await names('alice 9913')).toEqual([]);
    expect(await names('smith 9913')).toEqual(['Bob Smith']);
    expect(await names('nobody')).toEqual([]);
  });

  it('answers with the cardholder id, masked email, usernames and cards, to open their history', async () => {
    const { status, body } = await search('alice@example.com');
    expect(status).toBe(200);
    const [alice] = body.cardholders as {
      cardholderId: string;
      email: string;
      usernames: string[];
      cards: { lastFour: string }[];
    }[];
    expect(alice?.cardholderId).toMatch(/^chd_/);
    expect(alice?.email).toBe('a••••@example.com');
    expect(alice?.usernames).toEqual(['alice']);
    expect(alice?.cards.map((c) => c.lastFour).sort()).toEqual(['4444', '8210']);
    expect(await names(alice?.cardholderId ?? '')).toEqual(['Alice Martin']);
    expect(body.truncated).toBe(false);
  });

  it('is for ops only, refuses an empty query, and logs no word of it', async () => {
    expect((await search('Martin', 'not-the-key-'.repeat(4))).status).toBe(401);
    expect((await search('')).status).toBe(400);
    expect((await search('   ')).body).toMatchObject({ error: { code: 'SEARCH_INVALID' } });
    const logs = capture.text();
    expect(logs).toContain('/v1/ops/cardholders/search');
    for (const word of ['Martin', 'CLARA@example.com', 'elodie dubois']) expect(logs).not.toContain(word);
  });
});
