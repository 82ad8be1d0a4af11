import type { FastifyInstance } from 'fastify';
import { generate } from 'otplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import type { Database } from '../../src/core/db.js';
import { AuthError } from '../../src/core/errors.js';
import { sessionCookieFor } from '../../src/http/auth/credentials.js';
import { seedDemoCredentials } from '../../src/service/auth/demo.js';
import { type AuthOptions, createAuth } from '../../src/service/auth/index.js';
import { OpsKeys } from '../../src/service/auth/ops-keys.js';
import { type IssuerDb, prepareIssuerStore } from '../../src/store/store.js';
import { Keyring } from '../../src/store/vault/keyring.js';
import { Vault } from '../../src/store/vault/vault.js';
import { authProbeApp } from '../support/auth-app.js';
import { insertCardholder } from '../support/auth-fixtures.js';
import { captureStream } from '../support/capture.js';
import { testDatabase } from '../support/database.js';
import { SoftwareAuthenticator } from '../support/webauthn-authenticator.js';

const ISSUER = 'https://bank.example';
const OPS_KEY = 'ppo_test-ops-key-0123456789abcdefghijklmnopq';
const TOTP_SECRET = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP';
const PASSWORD = 'open sesame, 2026!';
const MINUTE = 60_000;
const sealer = new Vault(Keyring.generate(new Date()));

describe('authentication API', () => {
  let database: Database<unknown>;
  let db: IssuerDb;
  const logs = captureStream();
  const secretsSeen: string[] = [PASSWORD, TOTP_SECRET, OPS_KEY];

  beforeAll(async () => {
    database = await testDatabase();
    db = await prepareIssuerStore(database.db);
  });
  afterAll(async () => {
    // Whatever happened above, no secret reached a log line.
    const text = logs.text();
    expect(text.length).toBeGreaterThan(0);
    for (const secret of secretsSeen) expect(text).not.toContain(secret);
    await database.close();
  });

  /** An issuer app with the auth routes, a stand-in push route and a stand-in ops route. */
  const issuerApp = async (options: Partial<AuthOptions> = {}) => {
    const clock = new ManualClock();
    const auth = createAuth({
      db,
      clock,
      sealer,
      issuerPublicUrl: ISSUER,
      opsKeys: OpsKeys.from([OPS_KEY]),
      ...options,
    });
    const app = await authProbeApp({ database, auth, clock, publicUrl: ISSUER, logs: logs.stream });
    return { app, clock, auth };
  };

  /** A demo cardholder able to sign in, with TOTP enrolled. */
  const demoCardholder = async (clock: ManualClock) => {
    const id = await insertCardholder(db);
    const username = `alice-${id.slice(-6)}`;
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

  const signIn = async (app: FastifyInstance, username: string, password = PASSWORD) =>
    app.inject({ method: 'POST', url: '/v1/session', payload: { username, password } });

  const code = (clock: ManualClock) =>
    generate({ secret: TOTP_SECRET, epoch: Math.floor(clock.now().getTime() / 1000) });

  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

  describe('POST /v1/session', () => {
    it('signs in: a session cookie for browsers, the same token for apps, never cached', async () => {
      const { app, clock } = await issuerApp();
      const alice = await demoCardholder(clock);
      const res = await signIn(app, alice.username);
      expect(res.statusCode).toBe(201);
      const body = res.json();
      expect(body).toMatchObject({ cardholderId: alice.id, sessionId: expect.stringMatching(/^ses_/) });
      secretsSeen.push(body.token);
      expect(res.headers['cache-control']).toBe('no-store');
      const cookie = String(res.headers['set-cookie']);
      expect(cookie).toMatch(new RegExp(`^__Host-pushprov_session=${body.token};`));
      expect(cookie).toMatch(/; HttpOnly/);
      expect(cookie).toMatch(/; SameSite=Lax/);
      expect(cookie).toMatch(/; Secure/);
      expect(cookie).toMatch(/; Path=\//);
      expect(cookie).toContain(`Expires=${new Date(body.expiresAt).toUTCString()}`);
    });

    it('names the cookie plainly and drops Secure when the issuer is served over http', () => {
      expect(sessionCookieFor('http://localhost:8080')).toEqual({ name: 'pushprov_session', secure: false });
      expect(sessionCookieFor('https://bank.example')).toEqual({
        name: '__Host-pushprov_session',
        secure: true,
      });
    });

    it('refuses wrong credentials with one generic error and no cookie', async () => {
      const { app, clock } = await issuerApp();
      const alice = await demoCardholder(clock);
      for (const res of [await signIn(app, alice.username, 'wrong'), await signIn(app, 'nobody')]) {
        expect(res.statusCode).toBe(401);
        expect(res.json()).toEqual({
          error: {
            code: 'INVALID_CREDENTIALS',
            message: 'the username or password is not right',
            requestId: res.headers['x-request-id'],
          },
        });
        expect(res.headers['set-cookie']).toBeUndefined();
      }
    });

    it('locks after repeated failures and says when to retry', async () => {
      const { app, clock } = await issuerApp({ attempts: { maxFailures: 2, lockMs: 10 * MINUTE } });
      const alice = await demoCardholder(clock);
      await signIn(app, alice.username, 'wrong');
      const locked = await signIn(app, alice.username, 'wrong again');
      expect(locked.statusCode).toBe(429);
      expect(locked.headers['retry-after']).toBe('600');
      expect(locked.json().error).toMatchObject({
        code: 'SIGN_IN_LOCKED',
        details: { retryAfterSeconds: 600 },
      });
    });

    it('validates the body', async () => {
      const { app } = await issuerApp();
      const res = await app.inject({ method: 'POST', url: '/v1/session', payload: { username: 'alice' } });
      expect(res.statusCode).toBe(400);
      expect(res.json().error.code).toBe('VALIDATION_FAILED');
    });

    it('refuses a sign-in posted from another origin (login CSRF)', async () => {
      const { app, clock } = await issuerApp();
      const alice = await demoCardholder(clock);
      const res = await app.inject({
        method: 'POST',
        url: '/v1/session',
        headers: { origin: 'https://evil.example' },
        payload: { username: alice.username, password: PASSWORD },
      });
      expect(res.statusCode).toBe(403);
      expect(res.json().error.code).toBe('CROSS_ORIGIN_REFUSED');
    });
  });

  describe('GET and DELETE /v1/session', () => {
    it('says who is signed in, by cookie or bearer token', async () => {
      const { app, clock } = await issuerApp();
      const alice = await demoCardholder(clock);
      const { token, sessionId } = (await signIn(app, alice.username)).json();
      const expected = { cardholderId: alice.id, sessionId, sca: { totp: true, passkeys: 0 } };
      const byCookie = await app.inject({
        url: '/v1/session',
        cookies: { '__Host-pushprov_session': token },
      });
      expect(byCookie.json()).toMatchObject(expected);
      const byBearer = await app.inject({ url: '/v1/session', headers: bearer(token) });
      expect(byBearer.json()).toMatchObject(expected);
    });

    it('answers 401 SESSION_REQUIRED without credentials and SESSION_EXPIRED after the idle time', async () => {
      const { app, clock } = await issuerApp();
      const alice = await demoCardholder(clock);
      const { token } = (await signIn(app, alice.username)).json();
      const none = await app.inject({ url: '/v1/session' });
      expect([none.statusCode, none.json().error.code]).toEqual([401, 'SESSION_REQUIRED']);
      clock.advance(30 * MINUTE);
      const expired = await app.inject({ url: '/v1/session', headers: bearer(token) });
      expect([expired.statusCode, expired.json().error.code]).toEqual([401, 'SESSION_EXPIRED']);
    });

    it('signs out: the cookie is cleared and the token stops working', async () => {
      const { app, clock } = await issuerApp();
      const alice = await demoCardholder(clock);
      const { token } = (await signIn(app, alice.username)).json();
      const out = await app.inject({ method: 'DELETE', url: '/v1/session', headers: bearer(token) });
      expect(out.statusCode).toBe(204);
      expect(String(out.headers['set-cookie'])).toMatch(
        /^__Host-pushprov_session=; .*Expires=Thu, 01 Jan 1970/,
      );
      const after = await app.inject({ url: '/v1/session', headers: bearer(token) });
      expect([after.statusCode, after.json().error.code]).toEqual([401, 'SESSION_INVALID']);
    });

    it('refuses a cookie-authenticated change from another origin, not a bearer one', async () => {
      const { app, clock } = await issuerApp();
      const alice = await demoCardholder(clock);
      const { token } = (await signIn(app, alice.username)).json();
      const cookies = { '__Host-pushprov_session': token };
      const crossSite = await app.inject({
        method: 'DELETE',
        url: '/v1/session',
        cookies,
        headers: { 'sec-fetch-site': 'cross-site' },
      });
      expect([crossSite.statusCode, crossSite.json().error.code]).toEqual([403, 'CROSS_ORIGIN_REFUSED']);
      const foreign = await app.inject({
        method: 'DELETE',
        url: '/v1/session',
        cookies,
        headers: { origin: 'https://bank.example.evil' },
      });
      expect(foreign.statusCode).toBe(403);
      const appClient = await app.inject({
        method: 'POST',
        url: '/v1/sca/totp/verify',
        headers: { ...bearer(token), origin: 'https://elsewhere.example' },
        payload: { code: await code(clock) },
      });
      expect(appClient.statusCode).toBe(201);
      const sameOrigin = await app.inject({
        method: 'DELETE',
        url: '/v1/session',
        cookies,
        headers: { origin: ISSUER },
      });
      expect(sameOrigin.statusCode).toBe(204);
    });
  });

  it('names the field a body is refused for (never its value), so that pages can word it', async () => {
    const { app, clock } = await issuerApp();
    const alice = await demoCardholder(clock);
    const { token } = (await signIn(app, alice.username)).json();
    const empty = await app.inject({
      method: 'POST',
      url: '/v1/sca/totp/verify',
      headers: bearer(token),
      payload: { code: '' },
    });
    expect(empty.statusCode).toBe(400);
    expect(empty.json().error).toMatchObject({
      code: 'VALIDATION_FAILED',
      details: { in: 'body', field: 'code' },
    });
    const missing = await app.inject({ method: 'POST', url: '/v1/session', payload: { username: 'alice' } });
    expect(missing.json().error).toMatchObject({ details: { in: 'body', field: 'password' } });
  });

  describe('step-up and the push grant', () => {
    const stepUp = async (options: Partial<AuthOptions> = {}) => {
      const { app, clock, auth } = await issuerApp(options);
      const alice = await demoCardholder(clock);
      const { token } = (await signIn(app, alice.username)).json();
      const res = await app.inject({
        method: 'POST',
        url: '/v1/sca/totp/verify',
        headers: bearer(token),
        payload: { code: await code(clock) },
      });
      expect(res.statusCode).toBe(201);
      const grant = res.json();
      secretsSeen.push(token, grant.grant);
      return { app, clock, auth, alice, token, grant };
    };

    const push = (app: FastifyInstance, token: string, grant?: string) =>
      app.inject({
        method: 'POST',
        url: '/v1/push-probe',
        headers: { ...bearer(token), ...(grant ? { 'pushprov-sca-grant': grant } : {}) },
      });

    it('a one-time code earns a five-minute grant that lets every push of the session through', async () => {
      const { app, clock, alice, token, grant } = await stepUp();
      expect(grant).toEqual({
        grant: expect.stringMatching(/^ppg_/),
        method: 'totp',
        expiresAt: new Date(clock.now().getTime() + 5 * MINUTE).toISOString(),
      });
      for (let i = 0; i < 3; i++) {
        const res = await push(app, token, grant.grant);
        expect(res.statusCode).toBe(200);
        expect(res.json()).toEqual({ cardholderId: alice.id, grantId: expect.stringMatching(/^scg_/) });
        clock.advance(MINUTE);
      }
    });

    it('refuses a push without a grant, with an expired one, and with another cardholder’s', async () => {
      const { app, clock, token, grant } = await stepUp();
      const none = await push(app, token);
      expect([none.statusCode, none.json().error.code]).toEqual([401, 'SCA_REQUIRED']);

      const bob = await demoCardholder(clock);
      const bobToken = (await signIn(app, bob.username)).json().token;
      const wrong = await push(app, bobToken, grant.grant);
      expect([wrong.statusCode, wrong.json().error.code]).toEqual([403, 'SCA_WRONG_CARDHOLDER']);

      clock.advance(5 * MINUTE);
      const expired = await push(app, token, grant.grant);
      expect([expired.statusCode, expired.json().error.code]).toEqual([401, 'SCA_EXPIRED']);
    });

    it('refuses a push without a session even with a grant', async () => {
      const { app, grant } = await stepUp();
      const res = await app.inject({
        method: 'POST',
        url: '/v1/push-probe',
        headers: { 'pushprov-sca-grant': grant.grant },
      });
      expect([res.statusCode, res.json().error.code]).toEqual([401, 'SESSION_REQUIRED']);
    });

    it('refuses a replayed code over HTTP', async () => {
      const { app, clock, token } = await stepUp();
      const res = await app.inject({
        method: 'POST',
        url: '/v1/sca/totp/verify',
        headers: bearer(token),
        payload: { code: await code(clock) },
      });
      expect([res.statusCode, res.json().error.code]).toEqual([401, 'TOTP_CODE_REUSED']);
    });

    it('enrols TOTP over HTTP; replacing it needs the grant', async () => {
      const { app, clock } = await issuerApp();
      const alice = await demoCardholder(clock);
      const session = (await signIn(app, alice.username)).json().token;
      const refused = await app.inject({
        method: 'POST',
        url: '/v1/sca/totp/enroll',
        headers: bearer(session),
      });
      expect([refused.statusCode, refused.json().error.code]).toEqual([401, 'SCA_REQUIRED']);
      const grant = (
        await app.inject({
          method: 'POST',
          url: '/v1/sca/totp/verify',
          headers: bearer(session),
          payload: { code: await code(clock) },
        })
      ).json().grant;
      const enrolled = await app.inject({
        method: 'POST',
        url: '/v1/sca/totp/enroll',
        headers: { ...bearer(session), 'pushprov-sca-grant': grant },
      });
      expect(enrolled.statusCode).toBe(201);
      expect(enrolled.headers['cache-control']).toBe('no-store');
      expect(enrolled.json()).toEqual({
        secret: expect.stringMatching(/^[A-Z2-7]{32}$/),
        otpauthUri: expect.stringMatching(/^otpauth:\/\/totp\//),
      });
      secretsSeen.push(enrolled.json().secret);
    });

    it('a passkey registered and used over HTTP earns a grant too', async () => {
      const { app, auth } = await issuerApp();
      const cardholderId = await insertCardholder(db);
      const started = await auth.sessions!.start(cardholderId);
      const headers = bearer(started.token);
      const authenticator = new SoftwareAuthenticator({ origin: ISSUER, rpId: 'bank.example' });

      const creation = await app.inject({
        method: 'POST',
        url: '/v1/sca/webauthn/registration/options',
        headers,
      });
      expect(creation.statusCode).toBe(200);
      expect(creation.json()).toMatchObject({ rp: { id: 'bank.example' }, user: { name: cardholderId } });
      const registered = await app.inject({
        method: 'POST',
        url: '/v1/sca/webauthn/registration/verify',
        headers,
        payload: authenticator.register(creation.json()),
      });
      expect([registered.statusCode, registered.json()]).toEqual([201, { credentialId: authenticator.id }]);

      const request = await app.inject({
        method: 'POST',
        url: '/v1/sca/webauthn/authentication/options',
        headers,
      });
      expect(request.json().allowCredentials).toEqual([
        { id: authenticator.id, type: 'public-key', transports: ['internal'] },
      ]);
      const verified = await app.inject({
        method: 'POST',
        url: '/v1/sca/webauthn/authentication/verify',
        headers,
        payload: authenticator.assert(request.json()),
      });
      expect(verified.statusCode).toBe(201);
      expect(verified.json().method).toBe('webauthn');
      const pushed = await push(app, started.token, verified.json().grant);
      expect(pushed.statusCode).toBe(200);
    });

    it('validates WebAuthn bodies', async () => {
      const { app, auth } = await issuerApp();
      const started = await auth.sessions!.start(await insertCardholder(db));
      const res = await app.inject({
        method: 'POST',
        url: '/v1/sca/webauthn/authentication/verify',
        headers: bearer(started.token),
        payload: { id: 'x', rawId: 'x', type: 'public-key', response: { clientDataJSON: '!!' } },
      });
      expect([res.statusCode, res.json().error.code]).toEqual([400, 'VALIDATION_FAILED']);
      // A post-quantum authenticator's signature (ML-DSA: up to 4,627 bytes) is read and judged, not refused by size.
      const long = await app.inject({
        method: 'POST',
        url: '/v1/sca/webauthn/authentication/verify',
        headers: bearer(started.token),
        payload: {
          id: 'AAAA',
          rawId: 'AAAA',
          type: 'public-key',
          response: { clientDataJSON: 'AAAA', authenticatorData: 'AAAA', signature: 'A'.repeat(6170) },
          clientExtensionResults: {},
        },
      });
      expect(long.json().error.code).not.toBe('VALIDATION_FAILED');
    });
  });

  describe('ops access', () => {
    it('accepts an ops key and names it by a digest prefix', async () => {
      const { app } = await issuerApp();
      const res = await app.inject({ url: '/v1/ops/probe', headers: bearer(OPS_KEY) });
      expect(res.statusCode).toBe(200);
      expect(res.json().keyId).toMatch(/^[0-9a-f]{12}$/);
    });

    it('refuses a cardholder session, by bearer or cookie, with OPS_ONLY', async () => {
      const { app, clock } = await issuerApp();
      const alice = await demoCardholder(clock);
      const { token } = (await signIn(app, alice.username)).json();
      for (const options of [{ headers: bearer(token) }, { cookies: { '__Host-pushprov_session': token } }]) {
        const res = await app.inject({ url: '/v1/ops/probe', ...options });
        expect([res.statusCode, res.json().error.code]).toEqual([403, 'OPS_ONLY']);
      }
    });

    it('refuses a wrong key and no key', async () => {
      const { app } = await issuerApp();
      const wrong = await app.inject({ url: '/v1/ops/probe', headers: bearer(`${OPS_KEY}x`) });
      expect([wrong.statusCode, wrong.json().error.code]).toEqual([401, 'OPS_KEY_INVALID']);
      const none = await app.inject({ url: '/v1/ops/probe' });
      expect([none.statusCode, none.json().error.code]).toEqual([401, 'OPS_AUTH_REQUIRED']);
    });
  });

  describe("an issuer's own identity provider", () => {
    it('replaces sessions: requests are identified by it, grants bind to its session ids, sign-in is not offered', async () => {
      await insertCardholder(db, 'chd_issueralice');
      const { app, clock } = await issuerApp({
        identity: {
          async identify(token) {
            if (token !== 'issuer-access-token-alice')
              throw new AuthError('SESSION_INVALID', 'not signed in');
            return { cardholderId: 'chd_issueralice', sessionId: 'issuer-sid-1' };
          },
        },
      });
      await seedDemoCredentials({
        db,
        sealer,
        clock,
        fixture: {
          cardholders: [
            {
              externalRef: 'x',
              demo: { username: 'issuer-alice', password: PASSWORD, totpSecret: TOTP_SECRET },
            },
          ],
        },
        cardholderIdOf: async () => 'chd_issueralice',
      });
      const headers = bearer('issuer-access-token-alice');
      const me = await app.inject({ url: '/v1/session', headers });
      expect(me.json()).toEqual({
        cardholderId: 'chd_issueralice',
        sessionId: 'issuer-sid-1',
        sca: { totp: true, passkeys: 0 },
      });
      const grant = await app.inject({
        method: 'POST',
        url: '/v1/sca/totp/verify',
        headers,
        payload: { code: await code(clock) },
      });
      expect(grant.statusCode).toBe(201);
      const pushed = await app.inject({
        method: 'POST',
        url: '/v1/push-probe',
        headers: { ...headers, 'pushprov-sca-grant': grant.json().grant },
      });
      expect(pushed.statusCode).toBe(200);
      expect((await signIn(app, 'issuer-alice')).statusCode).toBe(404);
    });
  });

  it('documents the routes in the OpenAPI description', async () => {
    const { app } = await issuerApp();
    const spec = (await app.inject({ url: '/docs/json' })).json();
    for (const path of [
      '/v1/session',
      '/v1/sca/totp/enroll',
      '/v1/sca/totp/verify',
      '/v1/sca/webauthn/registration/options',
      '/v1/sca/webauthn/registration/verify',
      '/v1/sca/webauthn/authentication/options',
      '/v1/sca/webauthn/authentication/verify',
    ]) {
      expect(spec.paths).toHaveProperty([path]);
    }
    expect(Object.keys(spec.paths['/v1/session'])).toEqual(expect.arrayContaining(['get', 'post', 'delete']));
  });
});
