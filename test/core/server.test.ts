import { Type } from '@sinclair/typebox';
import { describe, expect, it } from 'vitest';
import { PushprovError } from '../../src/core/errors.js';
import { createLogger } from '../../src/core/logger.js';
import { createServer } from '../../src/core/server.js';

const logger = createLogger({ level: 'silent' });

describe('server plumbing', () => {
  it('lets an in-flight request finish when the server closes', async () => {
    const app = createServer({ name: 't', logger, readiness: async () => [] });
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    app.get('/slow', async () => {
      await gate;
      return { done: true };
    });
    await app.listen({ port: 0, host: '127.0.0.1' });
    const address = app.server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    const inFlight = fetch(`http://127.0.0.1:${port}/slow`);
    await new Promise((r) => setTimeout(r, 100));
    const closing = app.close();
    release();
    const response = await inFlight;
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ done: true });
    await closing;
  });

  it('answers errors with the stable envelope and hides unexpected ones', async () => {
    const app = createServer({ name: 't', logger, readiness: async () => ['database unreachable'] });
    app.get('/known', async () => {
      throw new PushprovError('CARD_EXPIRED', 'card is not eligible', { status: 422 });
    });
    app.get('/boom', async () => {
      throw new Error('secret internals');
    });
    app.post('/echo', async (request) => request.body);

    const known = await app.inject({ url: '/known', headers: { 'x-request-id': 'req-12345678' } });
    expect(known.statusCode).toBe(422);
    expect(known.json()).toEqual({
      error: { code: 'CARD_EXPIRED', message: 'card is not eligible', requestId: 'req-12345678' },
    });

    const boom = await app.inject({ url: '/boom' });
    expect(boom.statusCode).toBe(500);
    expect(boom.json().error.code).toBe('INTERNAL');
    expect(boom.body).not.toContain('secret internals');

    const malformed = await app.inject({
      method: 'POST',
      url: '/echo',
      payload: '{bad',
      headers: { 'content-type': 'application/json' },
    });
    expect(malformed.statusCode).toBe(400);
    expect(malformed.json().error.code).toBe('MALFORMED_JSON');

    const big = await app.inject({
      method: 'POST',
      url: '/echo',
      payload: JSON.stringify({ s: 'x'.repeat(70_000) }),
      headers: { 'content-type': 'application/json' },
    });
    expect(big.statusCode).toBe(413);
    expect(big.json().error.code).toBe('BODY_TOO_LARGE');

    const missing = await app.inject({ url: '/nowhere?pan=1' });
    expect(missing.statusCode).toBe(404);
    expect(missing.json().error.message).toBe('no such GET route');
    const withPan = await app.inject({ url: '/cards/5555555555554444' });
    expect(withPan.body).not.toContain('5555555555554444');

    const ready = await app.inject({ url: '/readyz' });
    expect(ready.statusCode).toBe(503);
    expect(ready.json()).toMatchObject({ status: 'not ready', problems: ['database unreachable'] });
  });

  it('refuses U+0000 anywhere in a body, query or parameter before a handler runs', async () => {
    const app = createServer({ name: 't', logger, readiness: async () => [] });
    let reached = 0;
    app.post('/echo/:id', async () => {
      reached += 1;
      return { accepted: true };
    });
    const post = (url: string, body: unknown) =>
      app.inject({
        method: 'POST',
        url,
        payload: JSON.stringify(body),
        headers: { 'content-type': 'application/json' },
      });

    for (const [url, body] of [
      ['/echo/a', { username: '\u0000' }],
      ['/echo/a', { nested: [{ deep: ['ok', 'n\u0000ul'] }] }],
      ['/echo/a', { 'k\u0000ey': 'value' }],
      ['/echo/a?name=%00', { ok: true }],
      ['/echo/%00', { ok: true }],
    ] as const) {
      const refused = await post(url, body);
      expect(refused.statusCode, url).toBe(400);
      expect(refused.json().error.code).toBe('VALIDATION_FAILED');
    }
    expect(reached).toBe(0);

    expect((await post('/echo/a', { name: 'plain' })).statusCode).toBe(200);
    expect(reached).toBe(1);
  });

  it('bounds JSON nesting before parsing: 32 levels pass, one more is JSON_TOO_DEEP, brackets in strings do not count', async () => {
    const app = createServer({ name: 't', logger, readiness: async () => [] });
    let reached = 0;
    app.post('/echo', async () => {
      reached += 1;
      return { accepted: true };
    });
    const post = (payload: string, type = 'application/json') =>
      app.inject({ method: 'POST', url: '/echo', payload, headers: { 'content-type': type } });
    const nested = (levels: number) => `${'{"a":'.repeat(levels - 1)}[]${'}'.repeat(levels - 1)}`;

    expect((await post(nested(32))).statusCode).toBe(200);
    expect((await post(JSON.stringify({ text: '['.repeat(1_000) }))).statusCode).toBe(200);
    // Deep but small: well under the body limit, so only the bound refuses it.
    for (const body of [nested(33), `${'['.repeat(30_000)}${']'.repeat(30_000)}`]) {
      for (const type of ['application/json', 'application/json; charset=utf-8']) {
        const refused = await post(body, type);
        expect(refused.statusCode).toBe(400);
        expect(refused.json().error).toMatchObject({
          code: 'JSON_TOO_DEEP',
          message: 'the JSON body nests deeper than 32 levels',
        });
      }
    }
    expect(reached).toBe(2);
    // Fastify's own parser still stands behind the bound: prototype poisoning and non-JSON are refused.
    expect((await post('{"__proto__":{"x":1}}')).statusCode).toBe(400);
    expect((await post('{not json')).json().error.code).toBe('MALFORMED_JSON');
  });

  it('takes JSON bodies as typed: no coercion of strings, numbers, booleans or arrays (issuer, simulator and merchant alike)', async () => {
    const app = createServer({ name: 't', logger, readiness: async () => [] });
    const Body = Type.Object({
      ids: Type.Array(Type.String()),
      id: Type.String(),
      yes: Type.Boolean(),
      n: Type.Optional(Type.Integer()),
    });
    app.post('/typed', { schema: { body: Body } }, async (request) => request.body);
    const post = (payload: unknown) =>
      app.inject({ method: 'POST', url: '/typed', payload: payload as object });
    const good = { ids: ['a'], id: '50182375119', yes: true, n: 3 };
    expect((await post(good)).json()).toEqual(good);
    for (const bad of [
      { ...good, yes: 'true' },
      { ...good, yes: 1 },
      { ...good, yes: [true] },
      { ...good, ids: 'a' },
      { ...good, id: 50182375119 },
      { ...good, id: true },
      { ...good, n: '3' },
    ]) {
      const res = await post(bad);
      expect([res.statusCode, res.json().error.code], JSON.stringify(bad)).toEqual([
        400,
        'VALIDATION_FAILED',
      ]);
    }
  });
});
