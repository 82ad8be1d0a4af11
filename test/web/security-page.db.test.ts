import { generate } from 'otplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO, type Stack, startStack } from '../support/stack.js';
import { SoftwareAuthenticator } from '../support/webauthn-authenticator.js';

/**
 * The Security page: the cardholder's passkeys listed, one removed with a
 * fresh one-time code (a form, no script needed), and step-up by passkey
 * offered only to a cardholder who has one.
 */
describe('the Security page', { timeout: 120_000 }, () => {
  let stack: Stack;
  let cookie: string;
  beforeAll(async () => {
    stack = await startStack();
    const signedIn = await send('POST', '/app/signin', new URLSearchParams(DEMO.alice));
    cookie = signedIn.headers
      .getSetCookie()
      .map((c) => c.split(';')[0])
      .join('; ');
  }, 120_000);
  afterAll(async () => stack?.stop());

  function send(method: string, path: string, body?: URLSearchParams | object, headers = {}) {
    return fetch(`${stack.issuer}${path}`, {
      method,
      headers: {
        origin: stack.issuer,
        cookie: cookie ?? '',
        ...(body instanceof URLSearchParams
          ? { 'content-type': 'application/x-www-form-urlencoded' }
          : body && { 'content-type': 'application/json' }),
        ...headers,
      },
      ...(body && { body: body instanceof URLSearchParams ? body : JSON.stringify(body) }),
      redirect: 'manual',
    });
  }
  const page = async (path: string) => (await send('GET', path)).text();
  /** This 30-second step's one-time code, then the next step's (each is single use; one step ahead is accepted). */
  let step = 0;
  const code = () =>
    generate({ secret: DEMO.alice.totpSecret, epoch: Math.floor(Date.now() / 1000) + 30 * step++ });

  it('lists no passkey, and offers none for step-up, before one is registered', async () => {
    expect(await page('/app/security')).toContain('You have no passkey yet.');
    const cards = await page('/app/cards');
    const consent = /href="(\/app\/cards\/crd_[a-z0-9]+\/destinations\/\d{11}\/consent)"/.exec(cards)?.[1];
    const html = await page(consent ?? '');
    expect(html).not.toContain('value="passkey"');
    expect(html).toContain('add one under Security');
  });

  it('lists a registered passkey with when it was added, and removes it with a fresh one-time code', async () => {
    const grant = (
      (await (await send('POST', '/v1/sca/totp/verify', { code: await code() })).json()) as {
        grant: string;
      }
    ).grant;
    const authenticator = new SoftwareAuthenticator({
      origin: stack.issuer,
      rpId: new URL(stack.issuer).hostname,
    });
    const options = (await (
      await send('POST', '/v1/sca/webauthn/registration/options', undefined, { 'pushprov-sca-grant': grant })
    ).json()) as { challenge: string };
    const registered = await send(
      'POST',
      '/v1/sca/webauthn/registration/verify',
      authenticator.register(options),
    );
    expect(registered.status).toBe(201);

    const listed = await page('/app/security');
    expect(listed).toContain('<strong>Passkey 1</strong>');
    expect(listed).toMatch(
      /Added <time datetime="\d{4}-\d\d-\d\dT[^"]+Z" data-style="datetime">[^<]+ UTC<\/time> · not used yet/,
    );
    expect(listed).toContain('<summary>Remove<span class="sr-only"> passkey 1</span></summary>');
    expect(listed).toContain(
      '<form class="panel" method="post" action="/app/security/passkeys/remove" novalidate>',
    );
    const id = /name="passkey" value="([^"]+)"/.exec(listed)?.[1] ?? '';
    // Now it is offered for step-up.
    const cards = await page('/app/cards');
    const consent = /href="(\/app\/cards\/crd_[a-z0-9]+\/destinations\/\d{11}\/consent)"/.exec(cards)?.[1];
    expect(await page(consent ?? '')).toContain('value="passkey"');

    // A wrong code removes nothing and comes back worded.
    const wrong = await send(
      'POST',
      '/app/security/passkeys/remove',
      new URLSearchParams({ passkey: id, code: '000000' }),
    );
    expect([wrong.status, wrong.headers.get('location')]).toEqual([
      303,
      '/app/security?problem=TOTP_CODE_INVALID',
    ]);
    expect(await page('/app/security?problem=TOTP_CODE_INVALID')).toContain(
      'That one-time code is not right.',
    );
    expect(await page('/app/security')).toContain('<strong>Passkey 1</strong>');
    // Another site cannot remove it.
    const foreign = await send(
      'POST',
      '/app/security/passkeys/remove',
      new URLSearchParams({ passkey: id, code: '000000' }),
      {
        origin: 'https://evil.example',
      },
    );
    expect(foreign.status).toBe(403);

    const removed = await send(
      'POST',
      '/app/security/passkeys/remove',
      new URLSearchParams({ passkey: id, code: await code() }),
    );
    expect(removed.headers.get('location')).toBe('/app/security?done=removed');
    const after = await page('/app/security?done=removed');
    expect(after).toMatch(/id="flash"[^>]*>Passkey removed\./);
    expect(after).toContain('You have no passkey yet.');
  });

  it('says a passkey needs the script when the add form is posted without it', async () => {
    const posted = await send('POST', '/app/security/passkeys', new URLSearchParams({ code: '123456' }));
    expect(posted.headers.get('location')).toBe('/app/security?problem=PASSKEY_NEEDS_SCRIPT');
    expect(await page('/app/security?problem=PASSKEY_NEEDS_SCRIPT')).toContain('A passkey needs JavaScript');
  });
});
