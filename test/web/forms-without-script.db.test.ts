import { generate } from 'otplib';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { atTokenRequestor, DEMO, type Stack, startStack } from '../support/stack.js';

/**
 * The bank's forms as a browser without JavaScript sends them: POSTs of
 * form fields, answered with a redirect, so a password or a one-time code
 * never lands in a URL.
 */
describe('the bank pages without script', { timeout: 120_000 }, () => {
  let stack: Stack;
  beforeAll(async () => {
    // Many sign-ins from one address: the sign-in limit is not what is tested here.
    stack = await startStack({ PUSHPROV_RATE_LIMIT_SIGN_IN_PER_IP: '100/10' });
  }, 120_000);
  afterAll(async () => stack?.stop());
  /** Bob's push to Click to Pay, made by POST in the consent test and finished at Click to Pay later. */
  let bobsPush: { link: string; cookie: string } | undefined;

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
    // The ops key and a cardholder search never go into an address, even before the script runs.
    const ops = await get('/ops');
    const forms = ops.html.match(/<form [^>]*>/g) ?? [];
    expect(forms).toHaveLength(2);
    for (const form of forms) expect(form).toContain('method="post" action="/ops"');
    const posted = await post('/ops', { key: 'x'.repeat(40) });
    expect([posted.status, posted.headers.get('location')]).toEqual([303, '/ops']);
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
    // A passkey is the browser's script's to ask for: without it the form says so, and pushes nothing.
    const passkey = await post(
      consentPath ?? '',
      { consent: 'on', method: 'passkey', idempotencyKey: key },
      cookie,
    );
    expect(passkey.headers.get('location')).toBe(`${consentPath}?problem=PASSKEY_NEEDS_SCRIPT`);
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
    bobsPush = { link: to.toString(), cookie };
  });

  it('pauses, resumes with a one-time code and removes a saved card by POSTs and redirects; refusals come back worded', async () => {
    // The session that pushed takes the cardholder back from Click to Pay (the return is bound to it).
    const cookie = bobsPush?.cookie ?? cookieOf(await post('/app/signin', DEMO.bob));
    const cards = await get('/app/cards', cookie);
    const cardId = /href="\/app\/cards\/(crd_[a-z0-9]+)\/saved"/.exec(cards.html)?.[1] ?? '';
    const savedPath = `/app/cards/${cardId}/saved`;
    // The card goes to Click to Pay: the push of the test before is finished there, or one is made now.
    if (bobsPush === undefined) {
      const consentPath = `/app/cards/${cardId}/destinations/50123197928/consent`;
      const key = /name="idempotencyKey" value="([^"]+)"/.exec((await get(consentPath, cookie)).html)?.[1];
      const code = await generate({ secret: DEMO.bob.totpSecret });
      const pushed = await post(consentPath, { consent: 'on', code, idempotencyKey: key ?? '' }, cookie);
      const link = /<a class="btn" href="([^"]+)">Continue to Click to Pay<\/a>/
        .exec((await get(pushed.headers.get('location') ?? '', cookie)).html)?.[1]
        ?.replace(/&amp;/g, '&');
      bobsPush = { link: link ?? '', cookie };
    }
    const back = new URL((await atTokenRequestor(bobsPush.link)).callbackUrl ?? '');
    expect((await get(`${back.pathname}${back.search}`, cookie)).status).toBe(200);
    let saved = await get(savedPath, cookie);
    await vi.waitFor(
      async () => {
        saved = await get(savedPath, cookie);
        expect(saved.html).toContain('data-status="ACTIVE"');
      },
      { timeout: 15_000, interval: 200 },
    );
    const tokenId = /data-token-id="(tok_[a-z0-9]+)"/.exec(saved.html)?.[1] ?? '';
    const action = (name: string) => `${savedPath}/${tokenId}/${name}`;
    // Every form on the page posts; Resume and Remove open their panel by a GET carrying the token's id only.
    expect(saved.html.match(/<form [^>]*>/g)?.every((f) => f.includes('method="post"'))).toBe(true);
    expect(saved.html).toContain(`<form class="actions" method="post" action="${action('suspend')}">`);
    expect(saved.html).toMatch(/data-role="confirm" method="post" action="[^"]+\/remove" hidden/);

    // Another site cannot pause it.
    const foreign = await fetch(`${stack.issuer}${action('suspend')}`, {
      method: 'POST',
      headers: {
        origin: 'https://evil.example',
        'content-type': 'application/x-www-form-urlencoded',
        cookie,
      },
      redirect: 'manual',
    });
    expect(foreign.status).toBe(403);
    // Nor can another cardholder: refused as not found, nothing changed.
    const alice = cookieOf(await post('/app/signin', DEMO.alice));
    const notHers = await post(action('suspend'), {}, alice);
    expect(notHers.status).toBe(404);
    expect(await notHers.text()).toContain('data-code="CARD_NOT_FOUND"');
    expect((await get(savedPath, cookie)).html).toContain(`data-token-id="${tokenId}" data-status="ACTIVE"`);

    const paused = await post(action('suspend'), {}, cookie);
    expect([paused.status, paused.headers.get('location')]).toEqual([303, `${savedPath}?changed=${tokenId}`]);
    const pausedPage = await get(paused.headers.get('location') ?? '', cookie);
    expect(pausedPage.html).toMatch(/id="flash"[^>]*>Your card at Click to Pay is paused\./);
    expect(pausedPage.html).toContain(`data-token-id="${tokenId}" data-status="SUSPENDED"`);
    expect(pausedPage.html).toMatch(/data-role="resume" method="post" action="[^"]+\/resume" hidden/);

    // Resume opens its step-up without script; a wrong code, or a passkey, comes back worded with it open.
    const resumePanel = await get(`${savedPath}?resume=${tokenId}`, cookie);
    expect(resumePanel.html).toMatch(/data-role="resume" method="post" action="[^"]+\/resume" novalidate>/);
    expect(resumePanel.html).toMatch(/name="code"[^>]* autofocus>/);
    const wrong = await post(action('resume'), { method: 'code', code: '000000' }, cookie);
    expect(wrong.headers.get('location')).toBe(`${savedPath}?resume=${tokenId}&problem=TOTP_CODE_INVALID`);
    const wrongPage = await get(wrong.headers.get('location') ?? '', cookie);
    expect(wrongPage.html).toContain('That one-time code is not right.');
    expect(wrongPage.html).toMatch(/data-role="resume" method="post" action="[^"]+\/resume" novalidate>/);
    const passkey = await post(action('resume'), { method: 'passkey' }, cookie);
    expect(passkey.headers.get('location')).toBe(
      `${savedPath}?resume=${tokenId}&problem=PASSKEY_NEEDS_SCRIPT`,
    );
    expect((await get(savedPath, cookie)).html).toContain(
      `data-token-id="${tokenId}" data-status="SUSPENDED"`,
    );
    // This time step's code may be spent: the next one is accepted too.
    const code = await generate({ secret: DEMO.bob.totpSecret, epoch: Math.floor(Date.now() / 1000) + 30 });
    const resumed = await post(action('resume'), { method: 'code', code }, cookie);
    expect(resumed.headers.get('location')).toBe(`${savedPath}?changed=${tokenId}`);
    expect((await get(resumed.headers.get('location') ?? '', cookie)).html).toMatch(
      /id="flash"[^>]*>Your card at Click to Pay can be used again\./,
    );

    // Remove asks first: its confirmation opens without script, then the POST removes.
    const confirm = await get(`${savedPath}?confirm=${tokenId}`, cookie);
    expect(confirm.html).toMatch(/data-role="confirm" method="post" action="[^"]+\/remove">/);
    const removed = await post(action('remove'), {}, cookie);
    expect(removed.headers.get('location')).toBe(`${savedPath}?changed=${tokenId}`);
    const removedPage = await get(removed.headers.get('location') ?? '', cookie);
    expect(removedPage.html).toMatch(/id="flash"[^>]*>Your card at Click to Pay was removed\./);
    expect(removedPage.html).toContain(`data-token-id="${tokenId}" data-status="DELETED"`);
  });
});
