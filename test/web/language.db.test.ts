import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CardholderClient, type Stack, startStack } from '../support/stack.js';

/** Clara's locale is de-DE (fixtures/demo-cards.json). */
const CLARA = { username: 'clara', password: 'clara-demo-password' };

/** The bank's pages speak the cardholder's language: German from her locale or the browser's. */
describe('the pages in the cardholder’s language', { timeout: 120_000 }, () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack();
  }, 120_000);
  afterAll(async () => stack?.stop());

  const page = async (path: string, language: string) => {
    const r = await fetch(`${stack.issuer}${path}`, { headers: { 'accept-language': language } });
    return r.text();
  };

  it('answers the sign-in page in German to a German browser, with its refusals in German', async () => {
    const de = await page('/app/signin?problem=INVALID_CREDENTIALS', 'de-DE,de;q=0.9,en;q=0.8');
    expect(de).toContain('<html lang="de">');
    expect(de).toContain('<h1>Anmelden</h1>');
    expect(de).toContain('Benutzername oder Passwort stimmen nicht.');
    expect(de).toContain('"ui.confirming":"Wir bestätigen, dass Sie es sind…"');
    const en = await page('/app/signin', 'fr-FR,en;q=0.5');
    expect(en).toContain('<html lang="en">');
    expect(en).toContain('<h1>Sign in</h1>');
  });

  it('speaks German to a signed-in cardholder whose locale is German, whatever the browser says', async () => {
    const clara = new CardholderClient(stack.issuer);
    await clara.signIn(CLARA);
    const cards = String(
      (await clara.call('GET', '/app/cards', undefined, { 'accept-language': 'en-US' })).body,
    );
    expect(cards).toContain('<html lang="de">');
    expect(cards).toContain('<h1>Ihre Karten</h1>');
    expect(cards).toContain('>Sicherheit</a>');
    expect(cards).toMatch(/Gültig bis \d\d\/\d\d/);
    const security = String((await clara.call('GET', '/app/security')).body);
    expect(security).toContain('<h2 id="passkeys-title">Ihre Passkeys</h2>');
    // A page that does not exist knows no cardholder: the browser's language.
    const missing = await page('/app/nirgends', 'de');
    expect(missing).toContain('Diese Seite haben wir nicht gefunden');
  });
});
