import fc from 'fast-check';
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { sql } from 'kysely';
import { generate } from 'otplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadDevPki } from '../../src/mastercard/keys/dev-pki.js';
import { FieldLevelPayloadEncrypter } from '../../src/mastercard/token-connect/encrypter.js';
import { type Harness, PATHS, startSimulator } from '../simulator/token-connect-harness.js';
import { mdesAgent, postAsMdes } from '../support/mdes-tls.js';
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
 * (kept before the body is read, so a replay is refused whatever it carries);
 * and the audit sealer chaining entries written before (new entries would show
 * in audit_log itself).
 */
const VOLATILE = {
  skipColumns: ['last_seen_at', 'idle_expires_at'],
  skipTables: ['auth_attempts', 'audit_seals', 'audit_unsealed'],
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
      .filter(([path]) => path.startsWith('/v1/') && !path.startsWith('/v1/assets/'))
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

  it("MDES's Pre-Digitization requests over mutual TLS: nonsense is the spec's ErrorsResponse (400), never a 5xx", async () => {
    const pki = await loadDevPki(issuer.keysDir);
    const { port } = issuer.mdes.server.address() as { port: number };
    const agent = mdesAgent(pki);
    const post = (operation: string, payload: string) =>
      postAsMdes(agent, port, `/issuerServices/1/0/${operation}`, payload);
    const encrypter = new FieldLevelPayloadEncrypter({
      encryptionKey: issuer.keys.issuerEncryption.certificate!,
    });
    const sealed = encrypter.encrypt(
      JSON.stringify({
        cardAccountData: { accountNumber: '5555555555554444' },
        source: 'ACCOUNT_ADDED_MANUALLY',
      }),
    );
    const valid = {
      requestId: 'as-fuzz-0001',
      services: ['DIGITIZATION'],
      fundingAccountInfo: {
        encryptedPayload: {
          encryptedData: sealed.encryptedData,
          encryptedKey: sealed.encryptedKey,
          publicKeyFingerprint: sealed.publicKeyFingerprint,
          ...(sealed.iv && { iv: sealed.iv }),
          ...(sealed.oaepHashingAlgorithm && { oaepHashingAlgorithm: sealed.oaepHashingAlgorithm }),
        },
      },
      correlationId: 'c-fuzz-0001',
      tokenType: 'CLOUD',
    };
    const codes = new Set([
      'INVALID_JSON',
      'MISSING_REQUIRED_FIELD',
      'INVALID_FIELD_FORMAT',
      'INVALID_FIELD_LENGTH',
      'INVALID_FIELD_VALUE',
      'CRYPTOGRAPHY_ERROR',
    ]);
    try {
      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom(
            'authorizeService',
            'notifyServiceActivated',
            'notifyTokenUpdated',
            'deliverActivationCode',
            'validateActivationCode',
            'notifySuspiciousEvents',
          ),
          invalidBody(valid),
          async (operation, payload) => {
            cases++;
            const r = await post(operation, payload);
            expect(r.status, `${operation} ${payload.slice(0, 120)}`).toBe(400);
            const answer = JSON.parse(r.body) as { responseId?: unknown; errorCode?: unknown };
            expect(typeof answer.responseId).toBe('string');
            expect(codes.has(String(answer.errorCode)), String(answer.errorCode)).toBe(true);
            expect(r.body).not.toContain('5555555555554444');
          },
        ),
        // Always tried: a NUL in a free-text field (PostgreSQL text cannot hold one).
        {
          numRuns: RUNS * 2,
          examples: [['authorizeService', JSON.stringify({ ...valid, correlationId: 'c-\u0000' })]],
        },
      );
    } finally {
      agent.destroy();
    }
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
