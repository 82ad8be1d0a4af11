import type { Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createLogger } from '../../src/core/logger.js';
import { cardholderIdByExternalRef } from '../../src/store/auth/cardholder-refs.js';
import { PasskeyStore } from '../../src/store/auth/webauthn.js';
import type { IssuerSchema } from '../../src/store/schema.js';
import { captureStream } from '../support/capture.js';
import { PUSHPROV_CLIENT, STRONG, startTestIdp, type TestIdp, WEAK } from '../support/oidc-provider.js';
import { atTokenRequestor, type Stack, startStack } from '../support/stack.js';

type Login = TestIdp['nextLogin'];

/**
 * The bank pages signed in and stepped up at the bank's OpenID provider (a
 * real one, in process), as a browser without script goes through them:
 * the authorization code flow with PKCE, a pushprov session after it, and a
 * consent confirmed there yielding the grant and the push.
 */
describe('the bank pages with the bank’s OpenID provider', { timeout: 120_000 }, () => {
  let stack: Stack;
  let idp: TestIdp & { setPushprovRedirectUri(uri: string): Promise<void> };
  const logs = captureStream();
  const alice = { accountId: 'demo-alice' };
  const bob = { accountId: 'demo-bob' };

  beforeAll(async () => {
    idp = await startTestIdp({ audience: 'https://bank.example' });
    stack = await startStack(
      {
        PUSHPROV_OIDC_ISSUER: idp.issuer,
        PUSHPROV_OIDC_CLIENT_ID: PUSHPROV_CLIENT.clientId,
        PUSHPROV_OIDC_CLIENT_SECRET: PUSHPROV_CLIENT.clientSecret,
        PUSHPROV_OIDC_SCA_ACR: STRONG.acr,
        PUSHPROV_OIDC_ALGORITHMS: 'RS256',
      },
      createLogger({ level: 'info', format: 'json', destination: logs.stream }),
    );
    await idp.setPushprovRedirectUri(`${stack.issuer}/app/oidc/callback`);
  }, 120_000);
  afterAll(async () => {
    await stack?.stop();
    await idp?.close();
  });

  const get = async (path: string, cookie = '') => {
    const r = await fetch(new URL(path, stack.issuer), { headers: { cookie }, redirect: 'manual' });
    return {
      status: r.status,
      html: await r.text(),
      location: r.headers.get('location') ?? '',
      cookies: cookiesOf(r),
    };
  };
  const post = async (path: string, fields: Record<string, string>, cookie: string) => {
    const r = await fetch(new URL(path, stack.issuer), {
      method: 'POST',
      headers: { origin: stack.issuer, 'content-type': 'application/x-www-form-urlencoded', cookie },
      body: new URLSearchParams(fields),
      redirect: 'manual',
    });
    return {
      status: r.status,
      html: await r.text(),
      location: r.headers.get('location') ?? '',
      cookies: cookiesOf(r),
    };
  };
  const cookiesOf = (r: Response) =>
    Object.fromEntries(
      r.headers.getSetCookie().map((c) => {
        const [pair = ''] = c.split(';');
        return [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)];
      }),
    );

  /** Signs in through the provider; the session cookie, and the callback URL the provider sent back. */
  const signIn = async (login = { ...alice, ...WEAK }) => {
    const start = await get('/app/signin?next=/app/provisionings');
    expect(start.status).toBe(303);
    const flow = `pushprov_oidc_flow=${start.cookies.pushprov_oidc_flow}`;
    const callback = await idp.authorize(start.location, login);
    const back = await get(`${callback.pathname}${callback.search}`, flow);
    return { start, callback, back, flow };
  };

  it('sends the sign-in to the provider with PKCE, and signs in with a pushprov session on return', async () => {
    expect((await get('/app/cards')).location).toBe('/app/signin?next=%2Fapp%2Fcards');
    const { start, callback, back } = await signIn();
    const authorize = new URL(start.location);
    expect(authorize.origin).toBe(idp.issuer);
    expect(Object.fromEntries(authorize.searchParams)).toMatchObject({
      client_id: PUSHPROV_CLIENT.clientId,
      response_type: 'code',
      redirect_uri: `${stack.issuer}/app/oidc/callback`,
      scope: 'openid',
      code_challenge_method: 'S256',
      state: expect.any(String),
      nonce: expect.any(String),
    });
    expect(authorize.searchParams.has('prompt')).toBe(false);
    // The flow's cookie holds it sealed: neither the verifier nor the state reads in it.
    expect(start.cookies.pushprov_oidc_flow).not.toContain(authorize.searchParams.get('state'));

    expect(callback.pathname).toBe('/app/oidc/callback');
    expect(back.status).toBe(303);
    expect(back.location).toBe('/app/provisionings');
    expect(back.cookies.pushprov_session).toMatch(/^pps_/);
    expect(back.cookies.pushprov_oidc_flow).toBe('');
    const page = await get('/app/cards', `pushprov_session=${back.cookies.pushprov_session}`);
    expect(page.status).toBe(200);
    expect(page.html).toContain('/destinations');

    // The password form is gone: nothing to post a password to.
    expect(
      (await post('/app/signin', { username: 'alice', password: 'alice-demo-password' }, '')).status,
    ).toBe(404);

    // The provider's answer replayed, or in a browser that did not start the flow, signs nobody in.
    for (const cookie of ['', 'pushprov_oidc_flow=bm90LXNlYWxlZA']) {
      const replay = await get(`${callback.pathname}${callback.search}`, cookie);
      expect(replay.status).toBe(403);
      expect(replay.html).toContain('SIGN_IN_REFUSED');
      expect(replay.cookies.pushprov_session).toBeUndefined();
    }

    // The callback's code and state never reach a log line.
    const text = logs.text();
    expect(text).toContain('/app/oidc/callback');
    expect(text).not.toContain(callback.searchParams.get('code'));
    expect(text).not.toContain(callback.searchParams.get('state'));
  });

  it('refuses a sign-in of someone the bank has no cards for', async () => {
    const { back } = await signIn({ accountId: 'not-a-customer', ...WEAK });
    expect(back.status).toBe(403);
    expect(back.html).toContain('CARDHOLDER_UNKNOWN');
  });

  it('confirms a consent at the provider: a strong sign-in there yields the grant and the push, a weak one does not', async () => {
    const { back } = await signIn();
    const session = `pushprov_session=${back.cookies.pushprov_session}`;
    const cards = await get('/app/cards', session);
    const consentPath =
      /href="(\/app\/cards\/crd_[a-z0-9]+\/destinations\/50123197928\/consent)"/.exec(cards.html)?.[1] ?? '';
    const consent = await get(consentPath, session);
    expect(consent.html).toContain('data-step-up="idp"');
    expect(consent.html).not.toContain('name="code"');
    const key = /name="idempotencyKey" value="([^"]+)"/.exec(consent.html)?.[1] ?? '';

    const stepUp = async (login: typeof alice & typeof STRONG) => {
      // Answered with a page leading on (a form may not redirect to another origin), not a redirect.
      const asked = await post(consentPath, { consent: 'on', idempotencyKey: key }, session);
      expect(asked.status).toBe(200);
      const link = /<a class="btn" id="step-up" href="([^"]+)"/.exec(asked.html)?.[1] ?? '';
      const authorize = new URL(link.replace(/&amp;/g, '&'));
      expect(Object.fromEntries(authorize.searchParams)).toMatchObject({
        prompt: 'login',
        acr_values: STRONG.acr,
        max_age: '300',
      });
      const callback = await idp.authorize(authorize.href, login);
      return get(
        `${callback.pathname}${callback.search}`,
        `${session}; pushprov_oidc_flow=${asked.cookies.pushprov_oidc_flow}`,
      );
    };

    // A step-up that comes back to a browser signed out meanwhile: to the sign-in, no grant, no push.
    const asked = await post(consentPath, { consent: 'on', idempotencyKey: key }, session);
    const link = /id="step-up" href="([^"]+)"/.exec(asked.html)?.[1] ?? '';
    const callback = await idp.authorize(link.replace(/&amp;/g, '&'), { ...alice, ...STRONG });
    const signedOut = await get(
      `${callback.pathname}${callback.search}`,
      `pushprov_oidc_flow=${asked.cookies.pushprov_oidc_flow}`,
    );
    expect([signedOut.status, signedOut.location]).toEqual([303, '/app/signin']);

    const weak = await stepUp({ ...alice, ...WEAK });
    expect(weak.location).toBe(`${consentPath}?problem=SCA_REQUIRED`);
    // Worded for a step-up at the bank, not for a code or passkey of ours.
    expect((await get(weak.location, session)).html).toContain(
      'Your bank’s sign-in did not confirm it is you strongly enough.',
    );

    const strong = await stepUp({ ...alice, ...STRONG });
    expect(strong.status).toBe(303);
    expect(strong.location).toMatch(/^\/app\/provisionings\/prv_[a-z0-9]+$/);
    const result = await get(strong.location, session);
    expect(result.html).toContain('Continue to Click to Pay');
  });
  /** Sends a form that asks for a step-up there, signs in at the provider as `login`: its callback, and the flow cookie. */
  const stepUpVia = async (path: string, fields: Record<string, string>, session: string, login: Login) => {
    const asked = await post(path, fields, session);
    expect(asked.status).toBe(200);
    const link = (/id="step-up" href="([^"]+)"/.exec(asked.html)?.[1] ?? '').replace(/&amp;/g, '&');
    const authorize = new URL(link);
    expect(Object.fromEntries(authorize.searchParams)).toMatchObject({
      prompt: 'login',
      acr_values: STRONG.acr,
      max_age: '300',
    });
    const callback = await idp.authorize(authorize.href, login);
    return {
      asked,
      link,
      callbackPath: `${callback.pathname}${callback.search}`,
      cookie: `${session}; pushprov_oidc_flow=${asked.cookies.pushprov_oidc_flow}`,
    };
  };

  /** Bob's card in Click to Pay (pushed after a strong step-up, accepted there), paused: its ids and page. */
  const bobsPausedCard = async (session: string) => {
    const cards = await get('/app/cards', session);
    const [, consentPath = '', cardId = ''] =
      /href="(\/app\/cards\/(crd_[a-z0-9]+)\/destinations\/50123197928\/consent)"/
        .exec(cards.html)
        ?.slice(0) ?? [];
    const key =
      /name="idempotencyKey" value="([^"]+)"/.exec((await get(consentPath, session)).html)?.[1] ?? '';
    const step = await stepUpVia(consentPath, { consent: 'on', idempotencyKey: key }, session, {
      ...bob,
      ...STRONG,
    });
    const pushed = await get(step.callbackPath, step.cookie);
    expect(pushed.location).toMatch(/^\/app\/provisionings\/prv_[a-z0-9]+$/);
    const result = await get(pushed.location, session);
    const link = (
      /<a class="btn" href="([^"]+)">Continue to Click to Pay/.exec(result.html)?.[1] ?? ''
    ).replace(/&amp;/g, '&');
    const atClickToPay = await atTokenRequestor(link);
    expect((await get(atClickToPay.callbackUrl ?? '', session)).status).toBeLessThan(400);
    const page = `/app/cards/${cardId}/saved`;
    const statusOf = async () => {
      const [, tokenId = '', status = ''] =
        /data-token-id="(tok_[a-z0-9]+)" data-status="([A-Z]+)"/.exec((await get(page, session)).html) ?? [];
      return { tokenId, status };
    };
    await vi.waitFor(async () => expect((await statusOf()).status).toBe('ACTIVE'), {
      timeout: 15_000,
      interval: 100,
    });
    const { tokenId } = await statusOf();
    const pause = async () => {
      const paused = await post(`${page}/${tokenId}/suspend`, {}, session);
      expect(paused.location).toBe(`${page}?changed=${tokenId}`);
    };
    await pause();
    return { cardId, tokenId, page, statusOf, pause };
  };

  it('resumes a paused card only after a strong step-up at the provider, once, and only the cardholder’s own', async () => {
    const bobSession = `pushprov_session=${(await signIn({ ...bob, ...WEAK })).back.cookies.pushprov_session}`;
    const { cardId, tokenId, page, statusOf, pause } = await bobsPausedCard(bobSession);
    const resumePath = `${page}/${tokenId}/resume`;

    // The resume panel offers the bank's sign-in, no code or passkey of ours.
    const paused = await get(`${page}?resume=${tokenId}`, bobSession);
    const panel = /<form class="resume panel"[\s\S]*?<\/form>/.exec(paused.html)?.[0] ?? '';
    expect(panel).toContain(`action="${resumePath}"`);
    expect(panel).toContain('data-step-up="idp"');
    expect(panel).not.toContain('name="code"');
    expect(panel).not.toContain('name="method"');

    // Another cardholder's card: not found here, and no trip to the provider for it.
    const aliceSession = `pushprov_session=${(await signIn()).back.cookies.pushprov_session}`;
    const foreign = await post(resumePath, {}, aliceSession);
    expect(foreign.status).toBe(404);
    expect(foreign.html).toContain('data-code="CARD_NOT_FOUND"');
    expect(foreign.cookies.pushprov_oidc_flow).toBeUndefined();
    expect((await post(`/app/cards/${cardId}/saved/tok_00000000000/resume`, {}, bobSession)).status).toBe(
      404,
    );

    // A weak sign-in there changes nothing, and the page says why.
    const weak = await stepUpVia(resumePath, {}, bobSession, { ...bob, ...WEAK });
    const weakBack = await get(weak.callbackPath, weak.cookie);
    expect(weakBack.location).toBe(`${page}?resume=${tokenId}&problem=SCA_REQUIRED`);
    expect(await statusOf()).toEqual({ tokenId, status: 'SUSPENDED' });
    expect((await get(weakBack.location, bobSession)).html).toContain(
      'Your bank’s sign-in did not confirm it is you strongly enough.',
    );

    // Bob's step-up done in alice's session (her session cookie with his flow): refused, nothing done.
    const crossed = await stepUpVia(resumePath, {}, bobSession, { ...bob, ...STRONG });
    const crossedBack = await get(
      crossed.callbackPath,
      `${aliceSession}; pushprov_oidc_flow=${crossed.asked.cookies.pushprov_oidc_flow}`,
    );
    expect(crossedBack.location).toMatch(/problem=SCA_WRONG_(SESSION|CARDHOLDER)$/);
    expect((await statusOf()).status).toBe('SUSPENDED');

    // A strong one resumes the card. The same step-up answered twice by the provider (two codes for one
    // flow, its cookie replayed) resumes it once: the second answer, like the first one replayed, is refused.
    const strong = await stepUpVia(resumePath, {}, bobSession, { ...bob, ...STRONG });
    const second = await idp.authorize(strong.link, { ...bob, ...STRONG });
    const resumed = await get(strong.callbackPath, strong.cookie);
    expect(resumed.location).toBe(`${page}?changed=${tokenId}`);
    expect(resumed.cookies.pushprov_oidc_flow).toBe('');
    expect(await statusOf()).toEqual({ tokenId, status: 'ACTIVE' });
    expect((await get(resumed.location, bobSession)).html).toContain(
      'Your card at Click to Pay can be used again.',
    );
    await pause();
    for (const replay of [`${second.pathname}${second.search}`, strong.callbackPath]) {
      const again = await get(replay, strong.cookie);
      expect(again.status).toBe(403);
      expect(again.html).toContain('SIGN_IN_REFUSED');
    }
    expect((await statusOf()).status).toBe('SUSPENDED');
  });

  it('keeps no passkey of its own: the Security page says so, and a passkey from before goes after a strong step-up there', async () => {
    const session = `pushprov_session=${(await signIn({ ...bob, ...WEAK })).back.cookies.pushprov_session}`;
    const db = stack.running.database.db as Kysely<IssuerSchema>;
    const cardholderId = (await cardholderIdByExternalRef(db, bob.accountId)) ?? '';
    const passkeyId = 'cHVzaHByb3YtcGFzc2tleS1mcm9tLWJlZm9yZQ';
    await new PasskeyStore(db).add({
      id: passkeyId,
      cardholderId,
      publicKey: new Uint8Array([1, 2, 3]),
      counter: 0,
      transports: ['internal'],
      deviceType: 'singleDevice',
      backedUp: false,
      createdAt: new Date(),
    });
    const security = await get('/app/security', session);
    expect(security.html).toContain('How you confirm it is you');
    expect(security.html).toContain('Passkeys from before');
    expect(security.html).not.toContain('id="passkey-register"');
    expect(security.html).not.toContain('name="code"');
    // Nothing to add a passkey or a code with, by form or API.
    expect((await post('/app/security/passkeys', { code: '123456' }, session)).status).toBe(404);
    for (const path of ['/v1/sca/totp/verify', '/v1/sca/webauthn/registration/options']) {
      const api = await fetch(new URL(path, stack.issuer), {
        method: 'POST',
        headers: { origin: stack.issuer, cookie: session, 'content-type': 'application/json' },
        body: JSON.stringify({ code: '123456' }),
      });
      expect(api.status).toBe(404);
    }

    const remove = '/app/security/passkeys/remove';
    expect((await post(remove, { passkey: 'not-one-of-bobs' }, session)).status).toBe(404);
    const weak = await stepUpVia(remove, { passkey: passkeyId }, session, { ...bob, ...WEAK });
    expect((await get(weak.callbackPath, weak.cookie)).location).toBe('/app/security?problem=SCA_REQUIRED');
    expect((await get('/app/security', session)).html).toContain(passkeyId);

    const strong = await stepUpVia(remove, { passkey: passkeyId }, session, { ...bob, ...STRONG });
    expect(strong.asked.html).toContain('then the passkey is removed');
    expect((await get(strong.callbackPath, strong.cookie)).location).toBe('/app/security?done=removed');
    const after = await get('/app/security?done=removed', session);
    expect(after.html).not.toContain(passkeyId);
    expect(after.html).not.toContain('Passkeys from before');
  });
});
