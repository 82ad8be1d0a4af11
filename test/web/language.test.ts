import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { html } from '../../src/core/html.js';
import { pendingActivationsSection } from '../../src/web/activations.js';
import { chooseLanguage, translator } from '../../src/web/i18n.js';
import { DE_MESSAGES, DE_TEXT } from '../../src/web/i18n-de.js';
import { REFUSALS, UI_TEXT } from '../../src/web/messages.js';
import { formatUtc, timeTag } from '../../src/web/time.js';

/** Every English text a page passes to t('…') (its first argument, when a literal). */
function keysUsed(): string[] {
  const keys = new Set<string>();
  for (const file of [
    'pages.ts',
    'saved-cards.ts',
    'next-steps.ts',
    'layout.ts',
    'activations.ts',
    'oidc.ts',
  ]) {
    const source = readFileSync(new URL(`../../src/web/${file}`, import.meta.url), 'utf8');
    for (const m of source.matchAll(/\bt\(\s*'((?:[^'\\]|\\.)*)'/g)) keys.add(m[1] ?? '');
    // t(condition ? 'a' : 'b'): each branch.
    for (const m of source.matchAll(
      /\bt\(\s*[\w.]+ (?:===? [^?]+)?\? '((?:[^'\\]|\\.)*)' : '((?:[^'\\]|\\.)*)'/g,
    ))
      for (const k of [m[1], m[2]]) keys.add(k ?? '');
  }
  return [...keys];
}

describe('the pages in German', () => {
  it('chooses the cardholder’s own locale first, then the browser’s preference by q, else English', () => {
    expect(chooseLanguage('en-GB,en;q=0.9', 'de-DE')).toBe('de');
    expect(chooseLanguage('de-DE,de;q=0.9,en;q=0.8')).toBe('de');
    expect(chooseLanguage('fr-FR, en;q=0.5, de;q=0.7')).toBe('de');
    expect(chooseLanguage('de;q=0, en-US')).toBe('en');
    expect(chooseLanguage('fr-FR', 'fr-FR')).toBe('en');
    expect(chooseLanguage(undefined)).toBe('en');
  });

  it('has a German text for every text the pages use, and for every refusal and script word', () => {
    const keys = keysUsed();
    expect(keys.length).toBeGreaterThan(80);
    expect(keys.filter((k) => !(k in DE_TEXT))).toEqual([]);
    expect(Object.keys({ ...REFUSALS, ...UI_TEXT }).filter((code) => !(code in DE_MESSAGES))).toEqual([]);
  });

  it('escapes the text and the text values, and places HTML values as given', () => {
    const t = translator('de');
    expect(String(t('Add your card to {name}', { name: html`<b>Demo Shop</b>` }))).toBe(
      'Ihre Karte zu <b>Demo Shop</b> hinzufügen',
    );
    expect(String(t('Add your card to {name}', { name: '<b>Demo Shop</b>' }))).toBe(
      'Ihre Karte zu &lt;b&gt;Demo Shop&lt;/b&gt; hinzufügen',
    );
    expect(String(translator('en')('Unknown text & more'))).toBe('Unknown text &amp; more');
  });

  it('formats numbers for the language', () => {
    expect(String(translator('de')('Passkey {n}', { n: 1234 }))).toBe('Passkey 1.234');
    expect(String(translator('en')('Passkey {n}', { n: 1234 }))).toBe('Passkey 1,234');
  });

  it('formats dates for the language', () => {
    const at = new Date('2026-12-06T14:51:00Z');
    expect(formatUtc(at, 'datetime', 'de-DE')).toBe('06.12.2026, 14:51 UTC');
    expect(formatUtc(at, 'date', 'en-GB')).toBe('6 Dec 2026');
    expect(String(timeTag(at, 'date', 'de-DE'))).toBe(
      '<time datetime="2026-12-06T14:51:00.000Z" data-style="date">06.12.2026</time>',
    );
  });

  it('asks "was this you?" in German too, with the date formatted for it', () => {
    const section = pendingActivationsSection(
      'crd_aaaaaaaaaa',
      [
        {
          tokenUniqueReference: 'DWSPMC0000000001',
          cardId: 'crd_aaaaaaaaaa',
          tokenRequestorId: '50182375119',
          tokenRequestorName: 'Demo Shop',
          requestedAt: new Date('2026-12-06T10:00:00Z'),
          codeSentTo: 'c••••@example.com',
        },
      ],
      'de',
    );
    expect(String(section)).toContain(
      'Demo Shop hat am <time datetime="2026-12-06T10:00:00.000Z" data-style="date">06.12.2026</time>',
    );
    expect(String(section)).toContain('>Ja, das war ich</button>');
    expect(String(section)).toContain(
      'Oder geben Sie den Code ein, den wir an c••••@example.com gesendet haben:',
    );
  });
});
