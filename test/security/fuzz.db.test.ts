import fc from 'fast-check';
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { sql } from 'kysely';
import { generate } from 'otplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MDES_NOTIFICATIONS_PATH } from '../../src/http/routes/mdes.js';
import { OAuthSigner } from '../../src/mastercard/oauth/signer.js';
import { MDES_NOTIFICATION_CONSUMER_KEY } from '../../src/simulator/app.js';
import { type Harness, PATHS, startSimulator } from '../simulator/token-connect-harness.js';
import { DEMO } from '../support/stack.js';
import {
  buildTestIssuer,
  dumpDifference,
  dumpTables,
  expectPrototypeClean,
  expectRefusal,
  hostileString,
  invalidBody,
  malformedBody,
  OPS_KEY,
  type TestIssuer,
  validBodies,
  wrongType,
} from './support.js';

const RUNS = 40;
const DEMO_SHOP = '50182375119';
/**
 * Bookkeeping a refused request may move: a session's last use, failure
 * counters of sign-in and step-up, and the nonces of Mastercard-signed requests
 * (kept before the body is read, so a replay is refused whatever it carries).
 */
const VOLATILE = {
  skipColumns: ['last_seen_at', 'idle_expires_at'],
  skipTables: ['auth_attempts', 'mdes_oauth_nonces'],
};

/** Percent-encodes even a lone surrogate, as the invalid UTF-8 a hostile client can send. */
const pathSegment = (value: string): string => {
  try {
    return encodeURIComponent(value) || '%20';
  } catch {
    return '%ED%A0%80';
  }
};

let cases = 0;
let issuer: TestIssuer;
let sequence = 0;

/** One request from its own address, so the per-address limit never stands in for the refusal under test. */
function send(options: InjectOptions): Promise<LightMyRequestResponse> {
  cases++;
  sequence++;
  return issuer.app.inject({
    remoteAddress: `10.${(sequence >> 16) & 255}.${(sequence >> 8) & 255}.${sequence & 255}`,
    ...options,
  });
}

async function signIn(who: { username: string; password: string }) {
  const r = await send({
    method: 'POST',
    url: '/v1/session',
    headers: { origin: new URL(issuer.publicUrl).origin },
    payload: who,
  });
  return (r.json() as { token: string }).token;
}

describe('hostile input to the issuer', { timeout: 120_000 }, () => {
  let alice: string;
  let clara: string;
  let grant: string;
  let cardId: string;
  let before: Record<string, string[]>;
  const json = { 'content-type': 'application/json' };

  beforeAll(async () => {
    issuer = await buildTestIssuer();
    alice = await signIn(DEMO.alice);
    clara = await signIn({ username: 'clara', password: 'clara-demo-password' });
    const stepUp = await send({
      method: 'POST',
      url: '/v1/sca/totp/verify',
      headers: { authorization: `Bearer ${alice}` },
      payload: { code: await generate({ secret: DEMO.alice.totpSecret }) },
    });
    grant = (stepUp.json() as { grant: string }).grant;
    // From the database: listing cards would ask Mastercard, which is not running here.
    const { rows } = await sql<{ id: string }>`
      select c.id from cards c join auth_passwords p on p.cardholder_id = c.cardholder_id
      where p.username = 'alice' order by c.id limit 1`.execute(issuer.database.db);
    cardId = rows[0]?.id ?? '';
    expect(cardId).toMatch(/^crd_/);
    before = await dumpTables(issuer.database.db, VOLATILE);
  }, 120_000);
  afterAll(async () => {
    expectPrototypeClean();
    console.info(`security fuzz: ${cases} issuer requests`);
    await issuer?.close();
  });

  const bodies = () => validBodies({ cardId, tokenRequestorId: DEMO_SHOP });

  it.each([
    ['POST /v1/session', () => ({ origin: new URL(issuer.publicUrl).origin }), ['username', 'password']],
    ['POST /v1/sca/totp/verify', () => ({ authorization: `Bearer ${clara}` }), ['code']],
    ['POST /v1/sca/webauthn/registration/verify', () => ({ authorization: `Bearer ${alice}` }), ['id']],
    ['POST /v1/sca/webauthn/authentication/verify', () => ({ authorization: `Bearer ${alice}` }), ['id']],
    [
      'POST /v1/provisionings',
      () => ({
        authorization: `Bearer ${alice}`,
        'pushprov-sca-grant': grant,
        'idempotency-key': `fuzz-${sequence}-${Math.random().toString(36).slice(2)}`,
      }),
      ['cardIds', 'tokenRequestorId'],
    ],
    ['POST /v1/ops/cards/import', () => ({ authorization: `Bearer ${OPS_KEY}` }), []],
  ] as const)('%s: an invalid body is a 4xx with a stable code', async (route, headers, hostileOk) => {
    const [method, url] = route.split(' ') as ['POST', string];
    const valid = bodies()[route];
    expect(valid, route).toBeDefined();
    await fc.assert(
      fc.asyncProperty(invalidBody(valid ?? {}, hostileOk), async (payload) => {
        const r = await send({ method, url, headers: { ...json, ...headers() }, payload });
        expectRefusal(r, `${route} ${payload.slice(0, 120)}`);
      }),
      // Always tried, not left to chance: a NUL in each free-text field (PostgreSQL text cannot hold one).
      {
        numRuns: RUNS,
        examples: hostileOk.map((field) => [JSON.stringify({ ...valid, [field]: '\u0000' })]),
      },
    );
  });

  it('every route with path parameters: hostile ids are a 4xx with a stable code', async () => {
    const doc = (await send({ url: '/docs/json' })).json() as {
      paths: Record<string, Record<string, unknown>>;
    };
    const routes = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.keys(ops)
        // Logos are fetched from Mastercard, which is not running here.
        .filter(() => path.includes('{') && !path.startsWith('/v1/assets/'))
        .map((method) => ({ method: method.toUpperCase() as 'GET', path })),
    );
    expect(routes.length).toBeGreaterThanOrEqual(6);
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...routes),
        hostileString.map((s) => s.slice(0, 2000)),
        fc.constantFrom(`Bearer ${alice}`, `Bearer ${OPS_KEY}`),
        async (route, id, authorization) => {
          const url = route.path.replace(/\{\w+\}/g, pathSegment(id));
          const r = await send({
            method: route.method,
            url,
            headers: {
              authorization,
              'pushprov-sca-grant': grant,
              'idempotency-key': 'fuzz-path-0001',
              ...json,
            },
            ...(route.method === 'GET' ? {} : { payload: '{}' }),
          });
          expectRefusal(r, `${route.method} ${url.slice(0, 120)}`);
        },
      ),
      { numRuns: RUNS * 3 },
    );
  });

  it('hostile credentials on every cardholder and ops route are a 4xx with a stable code', async () => {
    const doc = (await send({ url: '/docs/json' })).json() as {
      paths: Record<string, Record<string, unknown>>;
    };
    const routes = Object.entries(doc.paths)
      .filter(
        ([path]) =>
          path.startsWith('/v1/') && path !== MDES_NOTIFICATIONS_PATH && !path.startsWith('/v1/assets/'),
      )
      .flatMap(([path, ops]) => Object.keys(ops).map((method) => ({ method: method.toUpperCase(), path })))
      .filter((r) => !(r.method === 'POST' && r.path === '/v1/session'));
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...routes),
        hostileString.map((s) => s.slice(0, 2000).replace(/[^\x21-\x7e]/g, 'x')),
        fc.constantFrom('bearer', 'cookie', 'grant'),
        async (route, credential, how) => {
          const headers: Record<string, string> =
            how === 'bearer'
              ? { authorization: `Bearer ${credential}` }
              : how === 'cookie'
                ? { cookie: `pushprov_session=${credential}`, origin: new URL(issuer.publicUrl).origin }
                : { 'pushprov-sca-grant': credential };
          const url = route.path.replace(/\{(\w+)\}/g, (_, name: string) =>
            name === 'cardId' ? cardId : name === 'tokenId' ? 'tok_0000000000000000' : 'prv_0000000000000000',
          );
          const r = await send({
            method: route.method as 'GET',
            url,
            headers: { ...headers, ...json },
            ...(route.method === 'GET' || route.method === 'DELETE' ? {} : { payload: '{}' }),
          });
          expect([400, 401, 403, 404], `${route.method} ${url}`).toContain(r.statusCode);
          expectRefusal(r, `${route.method} ${url} ${how}`);
        },
      ),
      { numRuns: RUNS * 3 },
    );
  });

  it('MDES notifications: unsigned or wrongly signed input is 401, signed nonsense is 400', async () => {
    const url = `${issuer.publicUrl}${MDES_NOTIFICATIONS_PATH}`;
    const mdes = new OAuthSigner({
      consumerKey: MDES_NOTIFICATION_CONSUMER_KEY,
      signingKey: issuer.keys.mastercardSigning.privateKey,
      clock: { now: () => new Date() },
    });
    const valid = {
      notificationId: 'ntf-fuzz-0001',
      timestamp: '2026-11-25T10:00:00Z',
      messageType: 'TOKENIZATION_COMPLETE_NOTIFICATION',
      token: {
        tokenUniqueReference: 'DWSPMC000000000001',
        tokenRequestorId: DEMO_SHOP,
        tokenPanSuffix: '1234',
        accountPanSuffix: '4444',
      },
    };
    await fc.assert(
      fc.asyncProperty(
        invalidBody(valid, ['timestamp', 'messageType']),
        fc.constantFrom('signed', 'unsigned', 'hostile'),
        hostileString.map((s) => s.replace(/[^\x20-\x7e]/g, 'x').slice(0, 2000)),
        async (payload, how, junk) => {
          const authorization =
            how === 'signed'
              ? mdes.authorizationHeader('POST', url, payload)
              : how === 'hostile'
                ? `OAuth oauth_consumer_key="${junk}", oauth_signature="${junk}"`
                : undefined;
          const r = await send({
            method: 'POST',
            url: MDES_NOTIFICATIONS_PATH,
            headers: { ...json, ...(authorization && { authorization }) },
            payload,
          });
          const code = expectRefusal(r, `${how} ${payload.slice(0, 120)}`);
          if (how === 'signed' && r.statusCode !== 413) expect(code).toMatch(/^MDES_NOTIFICATION_/);
          else expect(r.statusCode === 401 || r.statusCode === 413, `${how} ${code}`).toBe(true);
        },
      ),
      // Always tried: a NUL in a free-text field, signed (PostgreSQL text cannot hold one).
      {
        numRuns: RUNS * 2,
        examples: [[JSON.stringify({ ...valid, notificationId: 'ntf-\u0000' }), 'signed', '']],
      },
    );
  });

  it('changed no record', async () => {
    expect(dumpDifference(before, await dumpTables(issuer.database.db, VOLATILE))).toEqual({});
  });
});

describe("hostile input to the simulator's Token Connect", { timeout: 60_000 }, () => {
  let sim: Harness;
  let simCases = 0;
  const NONCES = { skipTables: ['mc_oauth_nonces'] };
  beforeAll(async () => {
    sim = await startSimulator();
  });
  afterAll(async () => {
    console.info(`security fuzz: ${simCases} simulator requests`);
    await sim?.close();
  });

  const hostileObject = fc.dictionary(
    fc.oneof(
      fc.constantFrom(
        'requestId',
        'tokenRequestorId',
        'pushFundingAccounts',
        'accountRanges',
        'fundingAccountInfo',
      ),
      hostileString.map((s) => s.slice(0, 100)),
    ),
    fc.oneof(hostileString, wrongType, fc.constantFrom({ encryptedPayload: { encryptedData: 'zz' } })),
    { maxKeys: 4 },
  );

  it('signed or unsigned, every answer to nonsense is a 4xx in MDES error format and nothing is stored', async () => {
    const before = await dumpTables(sim.database.db, NONCES);
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(PATHS.eligible, PATHS.push, PATHS.pushAccount, PATHS.tokenize),
        fc.oneof(
          hostileObject.map((o) => JSON.stringify(o)),
          malformedBody,
        ),
        fc.constantFrom('signed', 'unsigned'),
        async (path, raw, how) => {
          simCases++;
          const as = path === PATHS.tokenize ? 'merchant' : 'issuer';
          const r =
            how === 'signed'
              ? await sim.call('POST', path, undefined, { as, raw })
              : await sim.app.inject({
                  method: 'POST',
                  url: path,
                  headers: { 'content-type': 'application/json' },
                  payload: raw,
                });
          const where = `${how} ${path} ${raw.slice(0, 120)}`;
          expect(r.statusCode, `${where}: ${r.body.slice(0, 300)}`).toBeGreaterThanOrEqual(400);
          expect(r.statusCode, `${where}: ${r.body.slice(0, 300)}`).toBeLessThan(500);
          const body = r.json() as { errors?: { reasonCode?: string }[]; Errors?: unknown };
          const reason = body.errors?.[0]?.reasonCode ?? JSON.stringify(body.Errors ?? body);
          expect(reason, where).toMatch(/[A-Z_]{4,}/);
        },
      ),
      {
        numRuns: RUNS * 4,
        examples: [PATHS.eligible, PATHS.push, PATHS.pushAccount, PATHS.tokenize].map((path) => [
          path,
          JSON.stringify({ requestId: 'req-\u0000', tokenRequestorId: '\u0000' }),
          'signed' as const,
        ]),
      },
    );
    expect(dumpDifference(before, await dumpTables(sim.database.db, NONCES))).toEqual({});
    expectPrototypeClean();
  });
});
