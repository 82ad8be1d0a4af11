import { generate } from 'otplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO, type Stack, startStack } from '../support/stack.js';

/**
 * The bank's forms as a browser without JavaScript sends them: POSTs of
 * form fields, answered with a redirect, so a password or a one-time code
 * never lands in a URL.
 */
describe('the bank pages without script', { timeout: 120_000 }, () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack();
  }, 120_000);
  afterAll(async () => stack?.stop());

  const post = (path: string, fields: Record<string, string>, cookie = '') =>
    fetch(`${stack.issuer}${path}`, {
      method: 'POST',
      headers: { origin: stack.issuer, 'content-type': 'application/x-www-form-urlencoded', cookie },
      body: new URLSearchParams(fields),
      redirect: 'manual',
    });
  const get = async (path: string, cookie = '') => {
    const r = await fetch(`${stack.issuer}${path}`, { headers: { cookie }, redirect: 'manual' });
    return { status: r.status, html: await r.text(), location: r.headers.get('location') };
  };
  const cookieOf = (response: Response) =>
    response.headers
      .getSetCookie()
      .map((c) => c.split(';')[0])
      .join('; ');

  it('renders every form as a POST to a handler, never a GET', async () => {
    const signin = await get('/app/signin');
    expect(signin.html).toMatch(/<form id="signin" class="panel" method="post" action="\/app\/signin"/);
  });

  it('signs in by POST and redirects; a wrong password comes back worded, with nothing secret in the URL', async () => {
    const wrong = await post('/app/signin', { username: DEMO.bob.username, password: 'not-the-password' });
    expect(wrong.status).toBe(303);
    const location = wrong.headers.get('location') ?? '';
    expect(location).toBe('/app/signin?problem=INVALID_CREDENTIALS');
    expect(location).not.toContain('not-the-password');
    const page = await get(location);
    expect(page.html).toContain('data-code="INVALID_CREDENTIALS"');
    expect(page.html).toContain('The username or password is not right.');

    // Another site cannot sign the browser in (login CSRF).
    const foreign = await fetch(`${stack.issuer}/app/signin`, {
      method: 'POST',
      headers: { origin: 'https://evil.example', 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ username: DEMO.bob.username, password: DEMO.bob.password }),
      redirect: 'manual',
    });
    expect(foreign.status).toBe(403);
    expect(foreign.headers.getSetCookie()).toEqual([]);

    // A browser's own form POST under `Referrer-Policy: no-referrer` says `Origin: null`: Fetch Metadata decides.
    const fromNull = (site?: string) =>
      fetch(`${stack.issuer}/app/signin`, {
        method: 'POST',
        headers: {
          origin: 'null',
          ...(site && { 'sec-fetch-site': site }),
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: new URLSearchParams(DEMO.bob),
        redirect: 'manual',
      });
    expect((await fromNull('cross-site')).status).toBe(403);
    expect((await fromNull()).status).toBe(403);
    expect((await fromNull('same-origin')).status).toBe(303);

    const right = await post('/app/signin', DEMO.bob);
    expect([right.status, right.headers.get('location')]).toEqual([303, '/app/cards']);
    const cookie = cookieOf(right);
    expect((await get('/app/cards', cookie)).status).toBe(200);

    const signedOut = await post('/app/signout', {}, cookie);
    expect([signedOut.status, signedOut.headers.get('location')]).toEqual([303, '/app/signin']);
    expect((await get('/app/cards', cookie)).location).toBe('/app/signin?next=%2Fapp%2Fcards');
  });

  it('brings a deep link back after sign-in, to the bank’s own pages only', async () => {
    const deep = '/app/provisionings';
    const away = await get(deep);
    expect(away.location).toBe(`/app/signin?next=${encodeURIComponent(deep)}`);
    const signin = await get(away.location ?? '');
    expect(signin.html).toContain(`<input type="hidden" name="next" value="${deep}">`);
    const wrong = await post('/app/signin', { ...DEMO.bob, password: 'nope', next: deep });
    expect(wrong.headers.get('location')).toBe(
      `/app/signin?next=${encodeURIComponent(deep)}&problem=INVALID_CREDENTIALS`,
    );
    const right = await post('/app/signin', { ...DEMO.bob, next: deep });
    expect(right.headers.get('location')).toBe(deep);
    const elsewhere = await post('/app/signin', { ...DEMO.bob, next: '//evil.example/app/cards' });
    expect(elsewhere.headers.get('location')).toBe('/app/cards');
    expect((await get('/app/signin?next=//evil.example')).html).not.toContain('name="next"');
  });

  it('takes consent and a one-time code by POST, pushes, and sends the cardholder on; refusals come back worded', async () => {
    const cookie = cookieOf(await post('/app/signin', DEMO.bob));
    const cards = await get('/app/cards', cookie);
    const consentPath = /href="(\/app\/cards\/crd_[a-z0-9]+\/destinations\/50123197928\/consent)"/.exec(
      cards.html,
    )?.[1];
    expect(consentPath).toBeDefined();
    const consent = await get(consentPath ?? '', cookie);
    expect(consent.html).toContain(`method="post" action="${consentPath}"`);
    const key = /name="idempotencyKey" value="([^"]+)"/.exec(consent.html)?.[1] ?? '';
    expect(key).toMatch(/^[0-9a-f-]{36}$/);

    const noConsent = await post(consentPath ?? '', { code: '000000', idempotencyKey: key }, cookie);
    expect(noConsent.headers.get('location')).toBe(`${consentPath}?problem=CONSENT_REQUIRED`);
    const badCode = await post(
      consentPath ?? '',
      { consent: 'on', code: '000000', idempotencyKey: key },
      cookie,
    );
    expect(badCode.headers.get('location')).toBe(`${consentPath}?problem=TOTP_CODE_INVALID`);
    expect((await get(badCode.headers.get('location') ?? '', cookie)).html).toContain(
      'That one-time code is not right.',
    );

    const code = await generate({ secret: DEMO.bob.totpSecret });
    const pushed = await post(consentPath ?? '', { consent: 'on', code, idempotencyKey: key }, cookie);
    expect(pushed.status).toBe(303);
    const result = pushed.headers.get('location') ?? '';
    expect(result).toMatch(/^\/app\/provisionings\/prv_[a-z0-9]+$/);
    // The push's page leads on to Click to Pay with MDES's signed push data.
    const link = /<a class="btn" href="([^"]+)">Continue to Click to Pay<\/a>/.exec(
      (await get(result, cookie)).html,
    )?.[1];
    const to = new URL((link ?? '').replace(/&amp;/g, '&'));
    expect(`${to.origin}${to.pathname}`).toBe(`${stack.simulator}/click-to-pay/provision`);
    expect([...to.searchParams.keys()]).toEqual(['pushAccountData']);
  });
});
