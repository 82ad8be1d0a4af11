import fc from 'fast-check';
import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import type { Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { createLogger } from '../../src/core/logger.js';
import { createIssuerApp } from '../../src/http/app.js';
import { clearSessionCookie, sessionCookieFor, setSessionCookie } from '../../src/http/auth/credentials.js';
import { TokenBuckets } from '../../src/http/security/token-bucket.js';

const logger = createLogger({ level: 'silent' });

/** A route guarded like the cardholder routes: the `x-who` header plays the signed-in cardholder. */
const testRoutes: FastifyPluginAsync = async (app) => {
  app.get(
    '/v1/mine',
    {
      onRequest: async (request) => {
        const who = request.headers['x-who'];
        if (typeof who === 'string') request.cardholder = { cardholderId: who, sessionId: 'ses_x' };
      },
    },
    async () => ({ ok: true }),
  );
  app.post('/v1/echo', async (request) => ({ size: JSON.stringify(request.body).length }));
  app.get('/v1/cached', async (_request, reply) => reply.header('cache-control', 'max-age=60').send('x'));
};

async function issuer(
  publicUrl: string,
  clock = new ManualClock(),
  trustProxy: false | number | string[] = false,
): Promise<FastifyInstance> {
  const app = await createIssuerApp({
    db: {} as Kysely<unknown>,
    logger,
    trustProxy,
    clock,
    publicUrl,
    plugins: [testRoutes],
    rateLimits: {
      perIp: { capacity: 5, refillPerSecond: 1 },
      perCardholder: { capacity: 3, refillPerSecond: 0.5 },
      signInPerIp: { capacity: 2, refillPerSecond: 0.5 },
    },
  });
  await app.ready();
  return app;
}

describe('security headers', () => {
  let http: FastifyInstance;
  let https: FastifyInstance;
  beforeAll(async () => {
    http = await issuer('http://localhost:8080');
    https = await issuer('https://bank.example');
  });
  afterAll(async () => Promise.all([http.close(), https.close()]));

  it('are on every response: API, pages, errors, 404s', async () => {
    for (const url of ['/v1/mine', '/healthz', '/nowhere', '/docs/json'])
      for (const app of [http, https]) {
        const response = await app.inject({ url, remoteAddress: `10.0.0.${url.length}` });
        expect(response.headers['content-security-policy']).toContain("frame-ancestors 'none'");
        expect(response.headers['content-security-policy']).toContain("script-src 'self'");
        expect(response.headers['x-content-type-options']).toBe('nosniff');
        expect(response.headers['x-frame-options']).toBe('DENY');
        expect(response.headers['referrer-policy']).toBe('no-referrer');
      }
  });

  it('ask for HSTS only when the issuer is served over https', async () => {
    expect((await https.inject({ url: '/healthz' })).headers['strict-transport-security']).toMatch(
      /^max-age=31536000/,
    );
    expect((await http.inject({ url: '/healthz' })).headers['strict-transport-security']).toBeUndefined();
  });

  it('keep API answers out of caches unless a route chose otherwise', async () => {
    expect((await http.inject({ url: '/v1/mine', remoteAddress: '10.1.0.1' })).headers['cache-control']).toBe(
      'no-store',
    );
    expect(
      (await http.inject({ url: '/v1/cached', remoteAddress: '10.1.0.2' })).headers['cache-control'],
    ).toBe('max-age=60');
  });

  it('refuses a body over 64 KiB with 413 BODY_TOO_LARGE', async () => {
    const response = await http.inject({
      method: 'POST',
      url: '/v1/echo',
      remoteAddress: '10.2.0.1',
      payload: { text: 'x'.repeat(70 * 1024) },
    });
    expect(response.statusCode).toBe(413);
    expect(response.json().error.code).toBe('BODY_TOO_LARGE');
    const fits = await http.inject({
      method: 'POST',
      url: '/v1/echo',
      remoteAddress: '10.2.0.1',
      payload: { text: 'x'.repeat(60 * 1024) },
    });
    expect(fits.statusCode).toBe(200);
  });
});

describe('session cookie', () => {
  it('is HttpOnly and SameSite=Lax, Secure with the __Host- prefix over https, and cleared the same way', () => {
    const written: string[] = [];
    const reply = { header: (_name: string, value: string) => written.push(value) };
    const expires = new Date(Date.UTC(2030, 0, 1));
    setSessionCookie(reply as never, sessionCookieFor('https://bank.example'), 'tok', expires);
    setSessionCookie(reply as never, sessionCookieFor('http://localhost:8080'), 'tok', expires);
    clearSessionCookie(reply as never, sessionCookieFor('https://bank.example'));
    const [secure, plain, cleared] = written;
    expect(secure).toMatch(/^__Host-pushprov_session=tok; Path=\//);
    expect(secure).toContain('; HttpOnly');
    expect(secure).toContain('; SameSite=Lax');
    expect(secure).toContain('; Secure');
    expect(plain).toMatch(/^pushprov_session=tok;.*; HttpOnly; SameSite=Lax$/);
    expect(plain).not.toContain('Secure');
    expect(cleared).toMatch(
      /^__Host-pushprov_session=; .*Expires=Thu, 01 Jan 1970.*; HttpOnly; SameSite=Lax; Secure$/,
    );
  });
});

describe('rate limits', () => {
  it('answer 429 RATE_LIMITED with Retry-After per address, and refill with time', async () => {
    const clock = new ManualClock();
    const app = await issuer('http://localhost:8080', clock);
    const call = (remoteAddress: string) => app.inject({ url: '/v1/mine', remoteAddress });
    for (let i = 0; i < 5; i++) expect((await call('10.9.0.1')).statusCode).toBe(200);
    const limited = await call('10.9.0.1');
    expect(limited.statusCode).toBe(429);
    expect(limited.json().error).toMatchObject({ code: 'RATE_LIMITED', details: { retryAfterSeconds: 1 } });
    expect(limited.headers['retry-after']).toBe('1');
    expect(limited.headers['x-content-type-options']).toBe('nosniff');
    // Another address is not affected; probes are never limited.
    expect((await call('10.9.0.2')).statusCode).toBe(200);
    expect((await app.inject({ url: '/healthz', remoteAddress: '10.9.0.1' })).statusCode).toBe(200);
    clock.advance(1000);
    expect((await call('10.9.0.1')).statusCode).toBe(200);
    expect((await call('10.9.0.1')).statusCode).toBe(429);
    await app.close();
  });

  it('hold sign-ins from one address to their own, tighter limit, leaving its other requests alone', async () => {
    const clock = new ManualClock();
    const app = await issuer('http://localhost:8080', clock);
    const signIn = (path: string, remoteAddress = '10.6.0.1') =>
      app.inject({ method: 'POST', url: path, remoteAddress, payload: {} });
    expect((await signIn('/v1/session')).statusCode).not.toBe(429);
    expect((await signIn('/app/signin')).statusCode).not.toBe(429);
    const limited = await signIn('/v1/session');
    expect(limited.statusCode).toBe(429);
    expect(limited.json().error).toMatchObject({ code: 'RATE_LIMITED', details: { retryAfterSeconds: 2 } });
    // The address's other requests, and another address's sign-in, go on.
    expect((await app.inject({ url: '/v1/mine', remoteAddress: '10.6.0.1' })).statusCode).toBe(200);
    expect((await signIn('/v1/session', '10.6.0.2')).statusCode).not.toBe(429);
    await app.close();
  });

  it('answer 429 per cardholder whatever address they come from', async () => {
    const clock = new ManualClock();
    const app = await issuer('http://localhost:8080', clock);
    const call = (who: string, i: number) =>
      app.inject({ url: '/v1/mine', headers: { 'x-who': who }, remoteAddress: `10.8.0.${i}` });
    for (let i = 0; i < 3; i++) expect((await call('chd_alice', i)).statusCode).toBe(200);
    const limited = await call('chd_alice', 9);
    expect(limited.statusCode).toBe(429);
    expect(limited.headers['retry-after']).toBe('2');
    expect((await call('chd_bob', 10)).statusCode).toBe(200);
    clock.advance(2000);
    expect((await call('chd_alice', 11)).statusCode).toBe(200);
    await app.close();
  });
});

describe('behind a proxy', () => {
  const limitedAfterFive = async (app: FastifyInstance, forwardedFor: (i: number) => string) => {
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) {
      const response = await app.inject({
        url: '/v1/mine',
        remoteAddress: '10.7.0.1',
        headers: { 'x-forwarded-for': forwardedFor(i) },
      });
      statuses.push(response.statusCode);
    }
    return statuses.at(-1) === 429;
  };

  it('limits per client address from X-Forwarded-For only when the proxy is trusted', async () => {
    // Trusted by hop count or by address: clients behind the proxy have their own buckets.
    for (const trust of [1, ['10.7.0.0/24']]) {
      const app = await issuer('http://localhost:8080', new ManualClock(), trust);
      expect(await limitedAfterFive(app, (i) => `203.0.113.${i}`)).toBe(false);
      expect(await limitedAfterFive(app, () => '203.0.113.99')).toBe(true);
      await app.close();
    }
    // Not trusted (the default), or another proxy: a forged header buys no fresh bucket.
    for (const trust of [false, ['192.0.2.1']] as const) {
      const app = await issuer(
        'http://localhost:8080',
        new ManualClock(),
        trust === false ? false : [...trust],
      );
      expect(await limitedAfterFive(app, (i) => `203.0.113.${i}`)).toBe(true);
      await app.close();
    }
  });
});

describe('TokenBuckets', () => {
  it('never allows more than capacity plus what the elapsed time refills', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 20 }),
        fc.double({ min: 0.1, max: 10, noNaN: true }),
        fc.array(fc.tuple(fc.integer({ min: 0, max: 2000 }), fc.constantFrom('a', 'b')), { maxLength: 80 }),
        (capacity, refillPerSecond, steps) => {
          const clock = new ManualClock();
          const buckets = new TokenBuckets({ capacity, refillPerSecond }, clock);
          const allowed = { a: 0, b: 0 };
          let elapsed = 0;
          for (const [ms, key] of steps) {
            clock.advance(ms);
            elapsed += ms;
            const take = buckets.take(key);
            if (take.allowed) allowed[key]++;
            else expect(take.retryAfterSeconds).toBeGreaterThan(0);
          }
          for (const key of ['a', 'b'] as const)
            expect(allowed[key]).toBeLessThanOrEqual(capacity + (elapsed / 1000) * refillPerSecond + 1e-9);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('forgets the least recently used keys beyond its bound', () => {
    const buckets = new TokenBuckets({ capacity: 1, refillPerSecond: 0.001 }, new ManualClock(), 2);
    expect(buckets.take('a').allowed).toBe(true);
    expect(buckets.take('b').allowed).toBe(true);
    expect(buckets.take('a').allowed).toBe(false);
    expect(buckets.take('c').allowed).toBe(true); // evicts b, the least recently used
    expect(buckets.take('a').allowed).toBe(false);
    expect(buckets.take('b').allowed).toBe(true);
  });
});
