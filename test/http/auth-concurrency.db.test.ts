import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { generate } from 'otplib';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import type { Database } from '../../src/core/db.js';
import { createLogger } from '../../src/core/logger.js';
import { createIssuerApp } from '../../src/http/app.js';
import { authGuards } from '../../src/http/auth/guards.js';
import { authRoutes } from '../../src/http/routes/auth.js';
import { DEFAULT_RATE_LIMITS } from '../../src/http/security/index.js';
import { seedDemoCredentials } from '../../src/service/auth/demo.js';
import { type Auth, createAuth } from '../../src/service/auth/index.js';
import { OpsKeys } from '../../src/service/auth/ops-keys.js';
import { type IssuerDb, prepareIssuerStore } from '../../src/store/store.js';
import { Keyring } from '../../src/store/vault/keyring.js';
import { Vault } from '../../src/store/vault/vault.js';
import { insertCardholder } from '../support/auth-fixtures.js';
import { testDatabase } from '../support/database.js';
import { SoftwareAuthenticator } from '../support/webauthn-authenticator.js';

const PASSWORD = 'open sesame, 2026!';
const TOTP_SECRET = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP';
const LIMIT = 5;
const sealer = new Vault(Keyring.generate(new Date()));

/**
 * Lockouts under real concurrency (issue 14): guesses fired all at once over
 * HTTP at an issuer listening on a free port. At most the configured number
 * of attempts may be evaluated, however many arrive together.
 *
 * A starting gate (a hook in front of the handlers) holds the requests until
 * the whole burst has arrived and then lets them all through at once, so
 * every guess is in flight together whatever the machine's speed; the right
 * password is sent once the wrong ones wait at the gate, so it is the last
 * to go through, as it would be after an attacker's burst.
 */
describe('lockouts under concurrent requests', () => {
  let database: Database<unknown>;
  let db: IssuerDb;
  let app: FastifyInstance;
  let auth: Auth;
  let base: string;
  // Every reading is a millisecond later, as on a real server: no two attempts share an instant.
  const clock = new (class extends ManualClock {
    override now(): Date {
      this.advance(1);
      return super.now();
    }
  })(Date.UTC(2026, 0, 1, 12, 0, 1));
  let gate: { expected: number; waiting: (() => void)[] } | undefined;

  /** Holds the next `expected` requests at the gate; resolves once `arrived` of them wait there. */
  const holdRequests = (expected: number) => {
    gate = { expected, waiting: [] };
  };
  const waitingAtGate = (arrived: number) =>
    vi.waitFor(() => expect(gate?.waiting.length ?? 0).toBeGreaterThanOrEqual(arrived), {
      timeout: 10_000,
      interval: 5,
    });

  /** The issuer's sign-in and step-up routes on a free port, behind the starting gate. */
  const startIssuer = async (maxConcurrentSignIns: number | undefined) => {
    const auth = createAuth({
      db,
      clock,
      sealer,
      issuerPublicUrl: 'http://127.0.0.1',
      opsKeys: OpsKeys.from([]),
      attempts: { maxFailures: LIMIT, lockMs: 15 * 60_000 },
      ...(maxConcurrentSignIns !== undefined && { maxConcurrentSignIns }),
    });
    const app = await createIssuerApp({
      db: database.db,
      clock,
      publicUrl: 'http://127.0.0.1',
      logger: createLogger({ level: 'silent' }),
      // The lockouts alone: the per-address sign-in limit would refuse most of the burst first.
      rateLimits: { ...DEFAULT_RATE_LIMITS, signInPerIp: { capacity: 1000, refillPerSecond: 1000 } },
    });
    app.addHook('preHandler', async () => {
      const held = gate;
      if (!held) return;
      await new Promise<void>((release) => {
        held.waiting.push(release);
        if (held.waiting.length < held.expected) return;
        gate = undefined;
        for (const go of held.waiting) go();
      });
    });
    await app.register(authRoutes(auth, authGuards(auth)));
    await app.listen({ host: '127.0.0.1', port: 0 });
    return { app, auth, base: `http://127.0.0.1:${(app.server.address() as AddressInfo).port}` };
  };

  beforeAll(async () => {
    database = await testDatabase();
    db = await prepareIssuerStore(database.db);
    // The lockouts alone: the busy refusal would turn most of the burst away first.
    ({ app, auth, base } = await startIssuer(1000));
  });
  afterAll(async () => {
    await app.close();
    await database.close();
  });

  /** A demo cardholder with a password and a confirmed TOTP authenticator. */
  const cardholder = async () => {
    const id = await insertCardholder(db);
    const username = `user-${id.slice(-8)}`;
    await seedDemoCredentials({
      db,
      sealer,
      clock,
      fixture: {
        cardholders: [{ externalRef: id, demo: { username, password: PASSWORD, totpSecret: TOTP_SECRET } }],
      },
      cardholderIdOf: async (ref) => ref,
    });
    return { id, username };
  };

  const post = async (path: string, body?: unknown, token?: string, at = base) => {
    const response = await fetch(at + path, {
      method: 'POST',
      headers: {
        ...(body !== undefined && { 'content-type': 'application/json' }),
        ...(token && { authorization: `Bearer ${token}` }),
      },
      ...(body !== undefined && { body: JSON.stringify(body) }),
    });
    const json = (await response.json()) as { token?: string; error?: { code: string } };
    return { status: response.status, code: json.error?.code, token: json.token, json };
  };

  const tally = (answers: { status: number; code?: string | undefined }[]) => {
    const counts: Record<string, number> = {};
    for (const a of answers) {
      const key = `${a.status} ${a.code ?? ''}`.trim();
      counts[key] = (counts[key] ?? 0) + 1;
    }
    return counts;
  };

  it('30 wrong passwords and the right one at once: five evaluated at most, the right one locked out', async () => {
    const { username } = await cardholder();
    holdRequests(31);
    const wrong = Array.from({ length: 30 }, (_, i) =>
      post('/v1/session', { username, password: `wrong ${i}` }),
    );
    await waitingAtGate(30);
    const answers = await Promise.all([...wrong, post('/v1/session', { username, password: PASSWORD })]);
    const counts = tally(answers);
    // Evaluated guesses answer 401 (or 201 for the right one); the one that took the last slot answers the lock.
    const evaluated = (counts['401 INVALID_CREDENTIALS'] ?? 0) + (counts['201'] ?? 0);
    expect(evaluated, JSON.stringify(counts)).toBeLessThanOrEqual(LIMIT - 1);
    expect(counts['429 SIGN_IN_LOCKED'], JSON.stringify(counts)).toBeGreaterThanOrEqual(31 - LIMIT + 1);
    expect(answers.at(-1)).toMatchObject({ status: 429, code: 'SIGN_IN_LOCKED' });
    // The lock holds once the burst is over.
    expect(await post('/v1/session', { username, password: PASSWORD })).toMatchObject({
      status: 429,
      code: 'SIGN_IN_LOCKED',
    });
  });

  it('39 wrong one-time codes and the right one at once: five evaluated at most, the right one locked out', async () => {
    const { username } = await cardholder();
    const { token } = await post('/v1/session', { username, password: PASSWORD });
    const epoch = Math.floor(clock.now().getTime() / 1000);
    const near = await Promise.all(
      [-30, 0, 30].map((offset) => generate({ secret: TOTP_SECRET, epoch: epoch + offset })),
    );
    const codes: string[] = [];
    for (let n = 100_000; codes.length < 39; n += 7919) {
      const code = String(n % 1_000_000).padStart(6, '0');
      if (!near.includes(code)) codes.push(code);
    }
    holdRequests(40);
    const wrong = codes.map((code) => post('/v1/sca/totp/verify', { code }, token));
    await waitingAtGate(39);
    const right = await generate({ secret: TOTP_SECRET, epoch });
    const answers = await Promise.all([...wrong, post('/v1/sca/totp/verify', { code: right }, token)]);
    const counts = tally(answers);
    const evaluated = (counts['401 TOTP_CODE_INVALID'] ?? 0) + (counts['201'] ?? 0);
    expect(evaluated, JSON.stringify(counts)).toBeLessThanOrEqual(LIMIT - 1);
    expect(counts['429 TOTP_LOCKED'], JSON.stringify(counts)).toBeGreaterThanOrEqual(40 - LIMIT + 1);
    expect(answers.at(-1)).toMatchObject({ status: 429, code: 'TOTP_LOCKED' });
    expect(await post('/v1/sca/totp/verify', { code: right }, token)).toMatchObject({
      status: 429,
      code: 'TOTP_LOCKED',
    });
  });

  // Passkeys have no failure counter to race: each assertion answers a
  // challenge that is consumed by one DELETE … RETURNING, and the signature
  // counter moves by compare-and-set. Pinned here under the same burst.
  it('one passkey assertion replayed 10 times at once earns one grant', async () => {
    // A cardholder with no step-up method yet, so the first passkey needs no grant.
    const { token } = await auth.sessions!.start(await insertCardholder(db));
    const authenticator = new SoftwareAuthenticator({ origin: 'http://127.0.0.1', rpId: '127.0.0.1' });
    const creation = await post('/v1/sca/webauthn/registration/options', undefined, token);
    expect(creation.status, JSON.stringify(creation.json)).toBe(200);
    const registered = await post(
      '/v1/sca/webauthn/registration/verify',
      authenticator.register(creation.json as never),
      token,
    );
    expect(registered.status, JSON.stringify(registered.json)).toBe(201);
    const request = await post('/v1/sca/webauthn/authentication/options', undefined, token);
    const assertion = authenticator.assert(request.json as never);
    holdRequests(10);
    const answers = await Promise.all(
      Array.from({ length: 10 }, () => post('/v1/sca/webauthn/authentication/verify', assertion, token)),
    );
    expect(tally(answers), JSON.stringify(tally(answers))).toEqual({
      '201': 1,
      '401 WEBAUTHN_CHALLENGE_INVALID': 9,
    });
  });
  it('sign-in is a bounded CPU queue: of 12 sign-ins at once, 8 are checked and the rest refused SIGN_IN_BUSY at once, not counted', {
    timeout: 120_000,
  }, async () => {
    // The issuer as configured by default: 8 password checks at once.
    const busy = await startIssuer(undefined);
    try {
      const people = await Promise.all(Array.from({ length: 12 }, () => cardholder()));
      holdRequests(12);
      const answers = await Promise.all(
        people.map(({ username }) =>
          post('/v1/session', { username, password: PASSWORD }, undefined, busy.base),
        ),
      );
      expect(tally(answers)).toEqual({ '201': 8, '503 SIGN_IN_BUSY': 4 });
      expect(answers.find((a) => a.code === 'SIGN_IN_BUSY')?.json).toMatchObject({
        error: { details: { retryAfterSeconds: 1 } },
      });
      // A refusal for being busy is no attempt: everyone turned away signs in at once afterwards.
      const refused = people.filter((_, i) => answers[i]?.code === 'SIGN_IN_BUSY');
      for (const { username } of refused) {
        expect(
          (await post('/v1/session', { username, password: PASSWORD }, undefined, busy.base)).status,
        ).toBe(201);
      }
    } finally {
      await busy.app.close();
    }
  });
});
