import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import type { Database } from '../../src/core/db.js';
import { createAuth } from '../../src/service/auth/index.js';
import type { OidcOptions } from '../../src/service/auth/oidc/options.js';
import { OpsKeys } from '../../src/service/auth/ops-keys.js';
import { type IssuerDb, prepareIssuerStore } from '../../src/store/store.js';
import { Keyring } from '../../src/store/vault/keyring.js';
import { Vault } from '../../src/store/vault/vault.js';
import { authProbeApp } from '../support/auth-app.js';
import { insertCardholder } from '../support/auth-fixtures.js';
import { captureStream } from '../support/capture.js';
import { testDatabase } from '../support/database.js';
import { PUSHPROV_CLIENT, STRONG, startTestIdp, type TestIdp, WEAK } from '../support/oidc-provider.js';

/**
 * pushprov as a resource server of a real OpenID provider (oidc-provider, in
 * process): the bank app's access tokens sign the cardholder in, a recent
 * strong authentication there yields the SCA grant, and every token that is
 * not good enough is refused with the codes a bad session gets.
 */
const ISSUER = 'https://bank.example';
const OPS_KEY = 'ppo_test-ops-key-0123456789abcdefghijklmnopq';
const TOLERANCE_S = 5;
const SCA_MAX_AGE_S = 120;
const sealer = new Vault(Keyring.generate(new Date()));

/** The auth routes of an issuer app that accepts `provider`'s access tokens, `oidc` over these defaults. */
async function oidcIssuerApp(
  {
    database,
    db,
    logs,
  }: { database: Database<unknown>; db: IssuerDb; logs: ReturnType<typeof captureStream> },
  provider: TestIdp,
  oidc: Partial<OidcOptions>,
) {
  const clock = new ManualClock(new Date());
  const auth = createAuth({
    db,
    clock,
    sealer,
    issuerPublicUrl: ISSUER,
    opsKeys: OpsKeys.from([OPS_KEY]),
    oidc: {
      issuer: provider.issuer,
      audience: ISSUER,
      algorithms: ['RS256'],
      cardholderClaim: 'sub',
      clockToleranceSeconds: TOLERANCE_S,
      clientId: PUSHPROV_CLIENT.clientId,
      clientSecret: PUSHPROV_CLIENT.clientSecret,
      scopes: ['openid'],
      sca: { acr: [STRONG.acr], amr: [], maxAgeSeconds: SCA_MAX_AGE_S },
      ...oidc,
    },
  });
  const app = await authProbeApp({ database, auth, clock, publicUrl: ISSUER, logs: logs.stream });
  return { app, clock };
}

describe('the bank’s OpenID provider, for the API', () => {
  let database: Database<unknown>;
  let db: IssuerDb;
  let idp: TestIdp;
  let foreignIdp: TestIdp;
  const logs = captureStream();
  const tokensSeen: string[] = [];

  beforeAll(async () => {
    database = await testDatabase();
    db = await prepareIssuerStore(database.db);
    idp = await startTestIdp({ audience: ISSUER });
    foreignIdp = await startTestIdp({ audience: ISSUER });
  });
  afterAll(async () => {
    const text = logs.text();
    expect(text.length).toBeGreaterThan(0);
    for (const token of tokensSeen) expect(text).not.toContain(token);
    await idp.close();
    await foreignIdp.close();
    await database.close();
  });

  const issuerApp = (oidc: Partial<OidcOptions> = {}) =>
    // Every unknown key id fetches the key set again: the rotation below happens within seconds.
    oidcIssuerApp({ database, db, logs }, idp, { jwksCooldownMs: 0, ...oidc });

  /** A cardholder whose card import gave them an external reference, and that reference. */
  const cardholder = async () => {
    const id = await insertCardholder(db);
    return { id, ref: `test-${id}` };
  };

  const tokenFor = async (
    provider: TestIdp,
    login: Parameters<TestIdp['bankAppTokens']>[0],
    step = false,
  ) => {
    const { accessToken } = await provider.bankAppTokens(
      login,
      step ? { prompt: 'login', acr_values: STRONG.acr, max_age: String(SCA_MAX_AGE_S) } : {},
    );
    tokensSeen.push(accessToken);
    return accessToken;
  };

  const whoAmI = (app: FastifyInstance, token: string) =>
    app.inject({ method: 'GET', url: '/v1/session', headers: { authorization: `Bearer ${token}` } });
  const stepUp = (app: FastifyInstance, token: string) =>
    app.inject({ method: 'POST', url: '/v1/sca/oidc', headers: { authorization: `Bearer ${token}` } });

  it('signs the cardholder in with the provider’s access token; the password sign-in is not offered', async () => {
    const { app } = await issuerApp();
    const alice = await cardholder();
    const token = await tokenFor(idp, { accountId: alice.ref, ...WEAK });
    const res = await whoAmI(app, token);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ cardholderId: alice.id, sessionId: expect.stringMatching(/^idp_/) });
    expect(new Date(res.json().expiresAt).getTime()).toBeGreaterThan(Date.now());

    const password = await app.inject({
      method: 'POST',
      url: '/v1/session',
      payload: { username: 'alice', password: 'whatever-it-is' },
    });
    expect(password.statusCode).toBe(404);
  });

  it('maps the subject by a configured claim holding the card import’s external reference', async () => {
    const { app } = await issuerApp({ cardholderClaim: 'customer_ref' });
    const bob = await cardholder();
    const token = await tokenFor(idp, {
      accountId: 'provider-subject-4711',
      ...WEAK,
      claims: { customer_ref: bob.ref },
    });
    expect((await whoAmI(app, token)).json().cardholderId).toBe(bob.id);
  });

  it('refuses a subject that names no cardholder of the bank, plainly', async () => {
    const { app } = await issuerApp();
    const token = await tokenFor(idp, { accountId: 'somebody-not-imported', ...WEAK });
    const res = await whoAmI(app, token);
    expect(res.statusCode).toBe(403);
    expect(res.json().error.code).toBe('CARDHOLDER_UNKNOWN');
  });

  it('yields the SCA grant after a recent strong authentication at the provider, and the push goes through', async () => {
    const { app } = await issuerApp();
    const alice = await cardholder();
    const token = await tokenFor(idp, { accountId: alice.ref, ...STRONG }, true);
    const res = await stepUp(app, token);
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject({ method: 'oidc', grant: expect.stringMatching(/^ppg_/) });
    tokensSeen.push(res.json().grant);

    const push = await app.inject({
      method: 'POST',
      url: '/v1/push-probe',
      headers: { authorization: `Bearer ${token}`, 'pushprov-sca-grant': res.json().grant },
    });
    expect(push.statusCode).toBe(200);
    expect(push.json().cardholderId).toBe(alice.id);

    // The same audit event as after a one-time code or a passkey, the method named.
    const audit = await db
      .selectFrom('audit_log')
      .selectAll()
      .where('actor', '=', alice.id)
      .where('action', '=', 'sca.grant')
      .execute();
    expect(audit).toHaveLength(1);
    expect(audit[0]?.details).toMatchObject({ method: 'oidc' });
  });

  it('gives no grant for a sign-in without the step-up, and no push without a grant', async () => {
    const { app } = await issuerApp();
    const alice = await cardholder();
    const token = await tokenFor(idp, { accountId: alice.ref, ...WEAK });
    const res = await stepUp(app, token);
    expect(res.statusCode).toBe(401);
    expect(res.json().error.code).toBe('SCA_REQUIRED');
    const push = await app.inject({
      method: 'POST',
      url: '/v1/push-probe',
      headers: { authorization: `Bearer ${token}` },
    });
    expect(push.json().error.code).toBe('SCA_REQUIRED');
  });

  it('accepts an amr value as strong when so configured', async () => {
    const { app } = await issuerApp({ sca: { acr: [], amr: ['otp'], maxAgeSeconds: SCA_MAX_AGE_S } });
    const alice = await cardholder();
    const strong = await tokenFor(idp, { accountId: alice.ref, acr: 'urn:other', amr: ['pwd', 'otp'] });
    expect((await stepUp(app, strong)).statusCode).toBe(201);
    const weak = await tokenFor(idp, { accountId: alice.ref, acr: 'urn:other', amr: ['pwd'] });
    expect((await stepUp(app, weak)).json().error.code).toBe('SCA_REQUIRED');
  });

  it('gives no grant once the strong authentication is older than the configured window', async () => {
    const { app, clock } = await issuerApp();
    const alice = await cardholder();
    const token = await tokenFor(idp, { accountId: alice.ref, ...STRONG }, true);
    clock.advance((SCA_MAX_AGE_S + TOLERANCE_S + 5) * 1000);
    expect((await whoAmI(app, token)).statusCode).toBe(200);
    const res = await stepUp(app, token);
    expect(res.statusCode).toBe(401);
    expect(res.json().error.code).toBe('SCA_REQUIRED');
  });

  it('refuses an expired access token as an expired session', async () => {
    const { app, clock } = await issuerApp();
    const alice = await cardholder();
    const token = await tokenFor(idp, { accountId: alice.ref, ...WEAK });
    expect((await whoAmI(app, token)).statusCode).toBe(200);
    clock.advance((300 + TOLERANCE_S + 1) * 1000);
    const res = await whoAmI(app, token);
    expect(res.statusCode).toBe(401);
    expect(res.json().error.code).toBe('SESSION_EXPIRED');
  });

  it('refuses a token of another issuer, for another audience, or not a token at all', async () => {
    const { app } = await issuerApp();
    const alice = await cardholder();
    const foreign = await tokenFor(foreignIdp, { accountId: alice.ref, ...STRONG });
    const otherAudience = await issuerApp({ audience: 'https://other.example' });
    const ours = await tokenFor(idp, { accountId: alice.ref, ...WEAK });
    for (const [target, token] of [
      [app, foreign],
      [otherAudience.app, ours],
      [app, 'not-a-jwt'],
    ] as const) {
      const res = await whoAmI(target, token);
      expect(res.statusCode).toBe(401);
      expect(res.json().error.code).toBe('SESSION_INVALID');
    }
    expect((await whoAmI(app, ours)).statusCode).toBe(200);
  });

  it('accepts access tokens typed JWT only when so configured, and never an ID token as one', async () => {
    const alice = await cardholder();
    const { idToken } = await idp.bankAppTokens({ accountId: alice.ref, ...WEAK });
    tokensSeen.push(idToken);
    idp.accessTokenTyp = 'JWT';
    let typedJwt: string;
    try {
      typedJwt = await tokenFor(idp, { accountId: alice.ref, ...WEAK });
    } finally {
      idp.accessTokenTyp = undefined;
    }
    expect(JSON.parse(Buffer.from(typedJwt.split('.')[0] ?? '', 'base64url').toString()).typ).toBe('JWT');

    const strict = await issuerApp();
    const lenient = await issuerApp({ accessTokenTypes: ['at+jwt', 'JWT'] });
    const refused = async (app: FastifyInstance, token: string) => {
      const res = await whoAmI(app, token);
      expect([res.statusCode, res.json().error?.code]).toEqual([401, 'SESSION_INVALID']);
    };
    await refused(strict.app, typedJwt);
    const accepted = await whoAmI(lenient.app, typedJwt);
    expect(accepted.statusCode).toBe(200);
    expect(accepted.json().cardholderId).toBe(alice.id);
    // RFC 9068's own type still passes.
    expect(
      (await whoAmI(lenient.app, await tokenFor(idp, { accountId: alice.ref, ...WEAK }))).statusCode,
    ).toBe(200);

    // An ID token is the client's, not pushprov's: its audience (and its typ) keep it out either way.
    expect(idToken).toMatch(/^eyJ/);
    await refused(strict.app, idToken);
    await refused(lenient.app, idToken);
  });

  it('answers 503 while the provider cannot be reached, rather than calling the cardholder signed out', async () => {
    const { app } = await issuerApp({ issuer: 'http://127.0.0.1:9' });
    const res = await whoAmI(app, 'eyJhbGciOiJSUzI1NiJ9.e30.c2ln');
    expect(res.statusCode).toBe(503);
    expect(res.json().error.code).toBe('IDENTITY_PROVIDER_UNAVAILABLE');
  });

  it('follows the provider’s key rotation: a new key is fetched, a retired one no longer accepted', async () => {
    const { app } = await issuerApp();
    const alice = await cardholder();
    const before = await tokenFor(idp, { accountId: alice.ref, ...WEAK });
    expect((await whoAmI(app, before)).statusCode).toBe(200);

    await idp.rotateKeys();
    const after = await tokenFor(idp, { accountId: alice.ref, ...WEAK });
    expect(JSON.parse(Buffer.from(after.split('.')[0] ?? '', 'base64url').toString()).kid).not.toBe(
      JSON.parse(Buffer.from(before.split('.')[0] ?? '', 'base64url').toString()).kid,
    );
    expect((await whoAmI(app, after)).statusCode).toBe(200);
    const retired = await whoAmI(app, before);
    expect(retired.statusCode).toBe(401);
    expect(retired.json().error.code).toBe('SESSION_INVALID');
  });
});

/**
 * Token introspection (RFC 7662) at the same real provider: a token revoked
 * there is refused once the cache window has passed, the endpoint out of
 * reach refuses every token with 503, and with introspection off nothing is
 * asked (a token is good until it expires).
 */
describe('the bank’s OpenID provider, asked whether a token is still active', () => {
  let database: Database<unknown>;
  let db: IssuerDb;
  let idp: TestIdp;
  let withoutIntrospection: TestIdp;
  const logs = captureStream();
  const tokensSeen: string[] = [];

  beforeAll(async () => {
    database = await testDatabase();
    db = await prepareIssuerStore(database.db);
    idp = await startTestIdp({ audience: ISSUER });
    withoutIntrospection = await startTestIdp({ audience: ISSUER, introspection: false });
  });
  afterAll(async () => {
    const text = logs.text();
    for (const secret of [...tokensSeen, PUSHPROV_CLIENT.clientSecret, WRONG_SECRET])
      expect(text).not.toContain(secret);
    await idp.close();
    await withoutIntrospection.close();
    await database.close();
  });

  const WRONG_SECRET = 'not-the-client-secret-0123456789';
  const introspecting = (cacheSeconds: number, clientSecret = PUSHPROV_CLIENT.clientSecret) => ({
    introspection: { clientId: PUSHPROV_CLIENT.clientId, clientSecret, cacheSeconds },
  });

  const issuerApp = (oidc: Partial<OidcOptions> = {}, provider = idp) =>
    oidcIssuerApp({ database, db, logs }, provider, oidc);

  const signedIn = async (provider = idp) => {
    const id = await insertCardholder(db);
    const { accessToken } = await provider.bankAppTokens({ accountId: `test-${id}`, ...WEAK });
    tokensSeen.push(accessToken);
    return { id, token: accessToken };
  };

  const whoAmI = (app: FastifyInstance, token: string) =>
    app.inject({ method: 'GET', url: '/v1/session', headers: { authorization: `Bearer ${token}` } });
  const answer = async (app: FastifyInstance, token: string) => {
    const res = await whoAmI(app, token);
    return [res.statusCode, res.json().error?.code ?? res.json().cardholderId];
  };

  it('accepts a token until it is revoked at the provider, and refuses it once the cache window has passed', async () => {
    const { app, clock } = await issuerApp(introspecting(1));
    const alice = await signedIn();
    const before = idp.introspections;
    expect(await answer(app, alice.token)).toEqual([200, alice.id]);
    expect(idp.introspections).toBe(before + 1);
    // Within the window the provider's answer is kept: not asked again.
    expect(await answer(app, alice.token)).toEqual([200, alice.id]);
    expect(idp.introspections).toBe(before + 1);

    await idp.revoke(alice.token);
    // The documented window: a revocation is not seen before the kept answer runs out.
    expect(await answer(app, alice.token)).toEqual([200, alice.id]);
    clock.advance(1_001);
    expect(await answer(app, alice.token)).toEqual([401, 'SESSION_INVALID']);
    // An inactive answer is not kept: asked again, refused again.
    expect(await answer(app, alice.token)).toEqual([401, 'SESSION_INVALID']);
    expect(idp.introspections).toBe(before + 3);
  });

  it('with no cache, asks on every request and refuses a revoked token at once; the step-up too', async () => {
    const { app } = await issuerApp(introspecting(0));
    const alice = await signedIn();
    const before = idp.introspections;
    expect(await answer(app, alice.token)).toEqual([200, alice.id]);
    expect(await answer(app, alice.token)).toEqual([200, alice.id]);
    expect(idp.introspections).toBe(before + 2);
    await idp.revoke(alice.token);
    expect(await answer(app, alice.token)).toEqual([401, 'SESSION_INVALID']);
    const stepUp = await app.inject({
      method: 'POST',
      url: '/v1/sca/oidc',
      headers: { authorization: `Bearer ${alice.token}` },
    });
    expect([stepUp.statusCode, stepUp.json().error.code]).toEqual([401, 'SESSION_INVALID']);
  });

  it('refuses every token with 503 while the introspection endpoint cannot be reached, and keeps no failure', async () => {
    const { app } = await issuerApp(introspecting(30));
    const alice = await signedIn();
    idp.introspectionDown = true;
    try {
      expect(await answer(app, alice.token)).toEqual([503, 'IDENTITY_PROVIDER_UNAVAILABLE']);
    } finally {
      idp.introspectionDown = false;
    }
    // Back: the very next request is asked about and accepted.
    expect(await answer(app, alice.token)).toEqual([200, alice.id]);

    // An endpoint that refuses pushprov's client is no answer either: closed, not open.
    const wrongSecret = await issuerApp(introspecting(30, WRONG_SECRET));
    expect(await answer(wrongSecret.app, alice.token)).toEqual([503, 'IDENTITY_PROVIDER_UNAVAILABLE']);
  });

  it('refuses every token with 503 while the discovery document names no introspection endpoint', async () => {
    const { app } = await issuerApp(introspecting(30), withoutIntrospection);
    const alice = await signedIn(withoutIntrospection);
    expect(await answer(app, alice.token)).toEqual([503, 'IDENTITY_PROVIDER_UNAVAILABLE']);
    // The log says why, for whoever configured it.
    expect(logs.text()).toContain('the discovery document names no introspection_endpoint');
    // The same provider with introspection off: today's behaviour.
    expect(await answer((await issuerApp({}, withoutIntrospection)).app, alice.token)).toEqual([
      200,
      alice.id,
    ]);
  });

  it('with introspection off, asks nothing: a revoked token is accepted until it expires', async () => {
    const { app } = await issuerApp();
    const alice = await signedIn();
    const before = idp.introspections;
    expect(await answer(app, alice.token)).toEqual([200, alice.id]);
    await idp.revoke(alice.token);
    expect(await answer(app, alice.token)).toEqual([200, alice.id]);
    expect(idp.introspections).toBe(before);
  });
});
