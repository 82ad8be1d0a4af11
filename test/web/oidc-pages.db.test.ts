import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/core/logger.js';
import { captureStream } from '../support/capture.js';
import { PUSHPROV_CLIENT, STRONG, startTestIdp, type TestIdp, WEAK } from '../support/oidc-provider.js';
import { type Stack, startStack } from '../support/stack.js';

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
});
