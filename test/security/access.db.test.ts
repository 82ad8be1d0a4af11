import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CardholderClient, DEMO, type Stack, startStack } from '../support/stack.js';
import { validBodies } from './support.js';

const DEMO_SHOP = '50182375119';
const UNSAFE = new Set(['post', 'put', 'patch', 'delete']);
/** Routes callers reach without a cardholder session, each guarded otherwise (MDES signature, public logos). */
const NOT_CARDHOLDER = [/^\/v1\/ops\//, /^\/v1\/mdes\//, /^\/v1\/assets\//];

/** The push route's required headers (with a grant that is no grant); other routes ignore them. */
const IDEMPOTENT = { 'idempotency-key': 'security-access-0001', 'pushprov-sca-grant': 'not-a-grant' };

interface Route {
  method: string;
  path: string;
}

/** Fills `{param}` from `values`, by name. */
const fill = (path: string, values: Record<string, string>) =>
  (QUERY[path] ?? '') === '' ? fillPath(path, values) : `${fillPath(path, values)}${QUERY[path]}`;

/** Bodies of the right shape for routes with path parameters, so only what is under test refuses them. */
const PATH_BODIES: Record<string, Record<string, unknown>> = {
  'POST /v1/cards/{cardId}/activations/{tokenUniqueReference}/confirm-with-code': {
    activationCode: '123456',
  },
};

/** Routes that check their query before their guard is reached need a well-formed one. */
const QUERY: Record<string, string> = {
  '/v1/provisionings/{id}/callback': '?state=not-the-state&status=success',
};

const fillPath = (path: string, values: Record<string, string>) =>
  path.replace(/\{(\w+)\}/g, (_, name: string) => {
    const value = values[name];
    if (value === undefined) throw new Error(`no value for {${name}} in ${path}`);
    return encodeURIComponent(value);
  });

describe('access control', { timeout: 120_000 }, () => {
  let stack: Stack;
  let alice: CardholderClient;
  let bob: CardholderClient;
  let routes: Route[];
  let aliceIds: Record<string, string>;

  beforeAll(async () => {
    stack = await startStack();
    alice = new CardholderClient(stack.issuer);
    bob = new CardholderClient(stack.issuer);
    await alice.signIn(DEMO.alice);
    await bob.signIn(DEMO.bob);
    await alice.stepUp(DEMO.alice.totpSecret);
    await bob.stepUp(DEMO.bob.totpSecret);
    const doc = (await (await fetch(`${stack.issuer}/docs/json`)).json()) as {
      paths: Record<string, Record<string, unknown>>;
    };
    routes = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.keys(ops).map((method) => ({ method, path })),
    );
    const cards = await alice.call('GET', '/v1/cards');
    const card = (cards.body.cards as { id: string; eligible: boolean }[]).find((c) => c.eligible);
    const pushed = await alice.push([card?.id ?? ''], DEMO_SHOP);
    expect(pushed.status).toBe(201);
    const session = await alice.call('GET', '/v1/session');
    aliceIds = {
      cardId: card?.id ?? '',
      id: pushed.body.id as string,
      tokenRequestorId: DEMO_SHOP,
      // No token exists in this file: the card's owner decides before the token is looked for.
      tokenId: 'tok_0000000000000000',
      tokenUniqueReference: 'DWSPMC000000000000000000000000000000000000000000',
      followUpId: 'tfu_0000000000000000',
      cardholderId: session.body.cardholderId as string,
    };
  }, 120_000);
  afterAll(async () => stack?.stop());

  const cardholderRoutes = () =>
    routes.filter((r) => r.path.startsWith('/v1/') && !NOT_CARDHOLDER.some((p) => p.test(r.path)));
  const bodyFor = (method: string, path: string) =>
    validBodies({ cardId: aliceIds.cardId ?? '', tokenRequestorId: DEMO_SHOP })[`${method} ${path}`] ??
    PATH_BODIES[`${method} ${path}`];
  const opsRoutes = () => routes.filter((r) => r.path.startsWith('/v1/ops/'));

  it('knows the routes it checks', () => {
    expect(cardholderRoutes().length).toBeGreaterThanOrEqual(15);
    expect(opsRoutes().length).toBeGreaterThanOrEqual(3);
  });

  it('refuses an anonymous caller on every cardholder route with 401', async () => {
    const anonymous = new CardholderClient(stack.issuer);
    for (const route of cardholderRoutes()) {
      if (route.method === 'post' && route.path === '/v1/session') continue; // signing in
      const method = route.method.toUpperCase();
      const body = UNSAFE.has(route.method) ? (bodyFor(method, route.path) ?? {}) : undefined;
      const r = await anonymous.call(method, fill(route.path, aliceIds), body, IDEMPOTENT);
      expect(r.status, `${route.method} ${route.path}`).toBe(401);
      expect(r.body.error, `${route.method} ${route.path}`).toMatchObject({ code: 'SESSION_REQUIRED' });
    }
  });

  it('refuses an anonymous caller before reading the body: malformed or invalid bodies hear 401 too', async () => {
    const unsafe = cardholderRoutes().filter(
      (r) => UNSAFE.has(r.method) && !(r.method === 'post' && r.path === '/v1/session'),
    );
    expect(unsafe.length).toBeGreaterThanOrEqual(5);
    for (const route of unsafe) {
      for (const body of ['{"cardIds": [', JSON.stringify({ unexpected: 'x'.repeat(64) })]) {
        const r = await fetch(`${stack.issuer}${fill(route.path, aliceIds)}`, {
          method: route.method.toUpperCase(),
          headers: { 'content-type': 'application/json', ...IDEMPOTENT },
          body,
        });
        expect(r.status, `${route.method} ${route.path} ${body.slice(0, 12)}`).toBe(401);
      }
    }
  });

  // Every cardholder route naming a card or a provisioning, asked by bob about alice's.
  const IDOR: { method: string; path: string; ownerSees?: false }[] = [
    { method: 'GET', path: '/v1/cards/{cardId}/destinations' },
    {
      method: 'GET',
      path: '/v1/cards/{cardId}/destinations/{tokenRequestorId}/consent',
    },
    { method: 'GET', path: '/v1/provisionings/{id}' },
    {
      method: 'GET',
      path: '/v1/provisionings/{id}/callback',
      // A wrong state is not found for the owner too: the callback does not tell which part was wrong.
      ownerSees: false,
    },
    { method: 'GET', path: '/v1/cards/{cardId}/tokens' },
    { method: 'POST', path: '/v1/cards/{cardId}/tokens/{tokenId}/suspend', ownerSees: false },
    { method: 'POST', path: '/v1/cards/{cardId}/tokens/{tokenId}/resume', ownerSees: false },
    { method: 'DELETE', path: '/v1/cards/{cardId}/tokens/{tokenId}', ownerSees: false },
    { method: 'GET', path: '/v1/cards/{cardId}/activations' },
    {
      method: 'POST',
      path: '/v1/cards/{cardId}/activations/{tokenUniqueReference}/confirm',
      ownerSees: false,
    },
    {
      method: 'POST',
      path: '/v1/cards/{cardId}/activations/{tokenUniqueReference}/confirm-with-code',
      ownerSees: false,
    },
    {
      method: 'POST',
      path: '/v1/cards/{cardId}/activations/{tokenUniqueReference}/reject',
      ownerSees: false,
    },
  ];

  it('covers every cardholder route that names a card or a provisioning', () => {
    const named = cardholderRoutes().filter((r) => /\{(cardId|id)\}/.test(r.path));
    for (const route of named)
      expect(
        IDOR.some((i) => i.path === route.path && i.method === route.method.toUpperCase()),
        `${route.method} ${route.path} is missing from the IDOR table`,
      ).toBe(true);
  });

  it.each(IDOR)("$method $path: another cardholder's id is not found (404), its owner's is", async (row) => {
    const path = fill(row.path, aliceIds);
    const body = row.method === 'POST' ? (PATH_BODIES[`${row.method} ${row.path}`] ?? {}) : undefined;
    const stolen = await bob.call(row.method, path, body, { 'pushprov-sca-grant': bob.grant });
    expect(stolen.status).toBe(404);
    expect((stolen.body.error as { code: string }).code).toMatch(/_NOT_FOUND$/);
    expect(JSON.stringify(stolen.body)).not.toContain(aliceIds.cardholderId);
    if (row.ownerSees === false) return;
    const own = await alice.call(row.method, path, body, { 'pushprov-sca-grant': alice.grant });
    expect(own.status).not.toBe(404);
  });

  it("refuses to push another cardholder's card, and lists only one's own cards and provisionings", async () => {
    const stolen = await bob.push([aliceIds.cardId ?? ''], DEMO_SHOP);
    expect(stolen.status).toBe(404);
    expect(stolen.body.error).toMatchObject({ code: 'CARD_NOT_FOUND' });
    const bobsCard = ((await bob.call('GET', '/v1/cards')).body.cards as { id: string }[])[0]?.id ?? '';
    const mixed = await bob.push([bobsCard, aliceIds.cardId ?? ''], DEMO_SHOP);
    expect(mixed.status).toBe(404);
    const cards = JSON.stringify((await bob.call('GET', '/v1/cards')).body);
    expect(cards).not.toContain(aliceIds.cardId);
    const provisionings = JSON.stringify((await bob.call('GET', '/v1/provisionings')).body);
    expect(provisionings).not.toContain(aliceIds.id);
    expect(JSON.stringify((await alice.call('GET', '/v1/provisionings')).body)).toContain(aliceIds.id);
  });

  it('refuses a cardholder session (403 OPS_ONLY) and an anonymous caller (401) on every ops route', async () => {
    const anonymous = new CardholderClient(stack.issuer);
    for (const route of opsRoutes()) {
      const path = fill(route.path, { ...aliceIds, id: aliceIds.cardholderId ?? '' });
      const method = route.method.toUpperCase();
      const body = UNSAFE.has(route.method) ? (bodyFor(method, route.path) ?? {}) : undefined;
      const asCardholder = await alice.call(method, path, body);
      expect(asCardholder.status, `${method} ${path}`).toBe(403);
      expect(asCardholder.body.error, `${method} ${path}`).toMatchObject({ code: 'OPS_ONLY' });
      const asNobody = await anonymous.call(method, path, body);
      expect(asNobody.status, `${method} ${path}`).toBe(401);
      expect(asNobody.body.error, `${method} ${path}`).toMatchObject({ code: 'OPS_AUTH_REQUIRED' });
      const wrongKey = await anonymous.call(method, path, body, { authorization: `Bearer ${stack.opsKey}x` });
      expect(wrongKey.status, `${method} ${path}`).toBe(401);
      const asOps = await anonymous.call(method, path, body, { authorization: `Bearer ${stack.opsKey}` });
      expect([401, 403], `${method} ${path}`).not.toContain(asOps.status);
    }
  });

  it('refuses every unsafe cookie-authenticated cardholder route from another origin (CSRF)', async () => {
    const signIn = await fetch(`${stack.issuer}/v1/session`, {
      method: 'POST',
      headers: { origin: stack.issuer, 'content-type': 'application/json' },
      body: JSON.stringify(DEMO.alice),
    });
    const cookie = signIn.headers.getSetCookie()[0]?.split(';')[0] ?? '';
    expect(cookie).toMatch(/^pushprov_session=./);
    const unsafe = cardholderRoutes().filter((r) => UNSAFE.has(r.method));
    expect(unsafe.length).toBeGreaterThanOrEqual(7);
    const send = (route: Route, headers: Record<string, string>) =>
      fetch(stack.issuer + fill(route.path, aliceIds), {
        method: route.method.toUpperCase(),
        headers: {
          cookie,
          ...IDEMPOTENT,
          ...(route.method !== 'delete' && { 'content-type': 'application/json' }),
          ...headers,
        },
        body:
          route.method === 'delete'
            ? null
            : JSON.stringify(bodyFor(route.method.toUpperCase(), route.path) ?? {}),
      });
    for (const route of unsafe) {
      const crossSite: Record<string, string>[] = [
        { origin: 'https://evil.example' },
        { origin: 'null' },
        { origin: `${stack.issuer}.evil.example` },
        { 'sec-fetch-site': 'cross-site' },
      ];
      for (const headers of crossSite) {
        const r = await send(route, headers);
        const body = (await r.json()) as { error?: { code?: string } };
        expect(r.status, `${route.method} ${route.path} ${JSON.stringify(headers)}`).toBe(403);
        expect(body.error?.code).toBe('CROSS_ORIGIN_REFUSED');
      }
    }
    // The refused sign-out changed nothing; from the issuer's own origin the cookie still works.
    const still = await fetch(`${stack.issuer}/v1/session`, { headers: { cookie } });
    expect(still.status).toBe(200);
    const options = await fetch(`${stack.issuer}/v1/sca/webauthn/authentication/options`, {
      method: 'POST',
      headers: { cookie, origin: stack.issuer },
    });
    expect(options.status).not.toBe(403);
  });

  it('sets the session cookie HttpOnly and SameSite=Lax', async () => {
    const r = await fetch(`${stack.issuer}/v1/session`, {
      method: 'POST',
      headers: { origin: stack.issuer, 'content-type': 'application/json' },
      body: JSON.stringify(DEMO.bob),
    });
    const [cookie] = r.headers.getSetCookie();
    expect(cookie).toMatch(/; HttpOnly(;|$)/);
    expect(cookie).toMatch(/; SameSite=Lax(;|$)/);
    expect(r.headers.get('cache-control')).toBe('no-store');
  });
});
