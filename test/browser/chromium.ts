import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';

/** Debian's Chromium; a browser is never downloaded. */
const CHROMIUM_PATH = process.env.PUSHPROV_CHROMIUM ?? '/usr/bin/chromium';
const SCREENSHOTS = join(process.cwd(), 'test-results', 'browser');

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** A phone-sized or desktop context; the page's own script errors fail the test. */
export async function openPage(
  browser: Browser,
  size: 'phone' | 'desktop' = 'desktop',
  options: { javaScript?: boolean; timezoneId?: string; locale?: string } = {},
): Promise<{ context: BrowserContext; page: Page; problems: string[] }> {
  const context = await browser.newContext({
    viewport: WIDTHS[size],
    javaScriptEnabled: options.javaScript ?? true,
    ...(options.timezoneId && { timezoneId: options.timezoneId }),
    ...(options.locale && { locale: options.locale }),
  });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('pageerror', (error) => problems.push(error.message));
  page.on('console', (message) => {
    // CSP violations and script errors show up here.
    if (message.type() === 'error' && !/status of 4\d\d/.test(message.text())) problems.push(message.text());
  });
  return { context, page, problems };
}

const WIDTHS = {
  phone: { width: 390, height: 844 },
  desktop: { width: 1280, height: 800 },
} as const;

/**
 * The screen as it stands at both widths, `NAME-phone.png` (390×844) and
 * `NAME-desktop.png` (1280×800), in test-results/browser (git-ignored); the
 * page's own viewport is given back after.
 */
export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const own = page.viewportSize();
  for (const [label, size] of Object.entries(WIDTHS)) {
    await page.setViewportSize(size);
    // Let what redraws on a resize (the ops charts) settle.
    await page.waitForTimeout(150);
    await page.screenshot({ path: join(SCREENSHOTS, `${name}-${label}.png`), fullPage: true });
  }
  if (own) await page.setViewportSize(own);
}

/** A platform passkey authenticator that says yes without a prompt (Chrome DevTools Protocol). */
export async function addVirtualAuthenticator(context: BrowserContext, page: Page): Promise<void> {
  const cdp = await context.newCDPSession(page);
  await cdp.send('WebAuthn.enable');
  await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: 'ctap2',
      transport: 'internal',
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
      automaticPresenceSimulation: true,
    },
  });
}

/**
 * What a keyboard, touch or screen-reader user runs into on the page as it
 * stands, as a list of problems (empty when none):
 * - an accessible name that does not contain the visible label (WCAG 2.5.3);
 * - a button, button-like link, field or disclosure smaller than 44 × 44 px,
 *   or a checkbox/radio whose label is (WCAG 2.5.5; links in prose apart);
 * - a checkbox or radio not centred on its label's first line;
 * - buttons of one group closer than 8 px;
 * - a focus ring under 3:1 against what is behind it, for the first
 *   `tabStops` stops reached with Tab (WCAG 1.4.11, 2.4.7).
 */
export async function accessibilityProblems(page: Page, tabStops = 15): Promise<string[]> {
  const problems = (await page.evaluate(`(() => {
    const out = [];
    const visible = (el) => el.checkVisibility() && el.getBoundingClientRect().width > 0;
    const describe = (el) => el.tagName.toLowerCase() + ' "' + (el.innerText || el.value || el.name || '').trim().slice(0, 40) + '"';
    const squash = (t) => t.replace(/\\s+/g, ' ').trim().toLowerCase();
    for (const el of document.querySelectorAll('a[aria-label], button[aria-label], summary[aria-label]')) {
      if (visible(el) && !squash(el.getAttribute('aria-label')).includes(squash(el.innerText)))
        out.push('label not in name: ' + describe(el));
    }
    for (const el of document.querySelectorAll('button, a.btn, summary, input:not([type=hidden]):not([type=checkbox]):not([type=radio]), .check label')) {
      if (!visible(el)) continue;
      const r = el.getBoundingClientRect();
      if (r.height < 43.5 || r.width < 43.5) out.push('target ' + Math.round(r.width) + 'x' + Math.round(r.height) + ': ' + describe(el));
    }
    for (const row of document.querySelectorAll('.check')) {
      const input = row.querySelector('input');
      const label = row.querySelector('label');
      if (!input || !label || !visible(input)) continue;
      const style = getComputedStyle(label);
      const line = label.getBoundingClientRect().top + parseFloat(style.paddingTop) + parseFloat(style.lineHeight) / 2;
      const box = input.getBoundingClientRect();
      if (Math.abs(box.top + box.height / 2 - line) > 3) out.push('misaligned: ' + describe(label));
    }
    for (const group of document.querySelectorAll('.button-row, .actions')) {
      const items = [...group.children].filter(visible).map((el) => [el, el.getBoundingClientRect()]);
      for (let i = 1; i < items.length; i++) {
        const [, a] = items[i - 1];
        const [el, b] = items[i];
        if (Math.abs(a.top - b.top) < 2 && b.left - a.right < 8) out.push('cramped: ' + describe(el));
      }
    }
    return out;
  })()`)) as string[];

  // Focus rings, reached by keyboard as a person would, from the start of the page.
  const toStart = `(() => {
    const root = document.documentElement;
    root.tabIndex = -1;
    root.focus({ preventScroll: true });
    root.removeAttribute('tabindex');
  })()`;
  await page.evaluate(toStart);
  for (let i = 0; i < tabStops; i++) {
    await page.keyboard.press('Tab');
    const problem = (await page.evaluate(`(() => {
      const el = document.activeElement;
      if (!el || el === document.body) return null;
      const luminance = (rgb) => {
        const [r, g, b] = rgb.map((v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; });
        return 0.2126 * r + 0.7152 * g + 0.0722 * b;
      };
      const rgb = (c) => (c.match(/[\\d.]+/g) || []).map(Number);
      const style = getComputedStyle(el);
      if (style.outlineStyle === 'none' || parseFloat(style.outlineWidth) < 2)
        return 'no focus ring: ' + el.tagName.toLowerCase() + ' "' + el.innerText.trim().slice(0, 40) + '"';
      // What is behind the ring: the first ancestor with a background of its own.
      let behind = el.parentElement;
      while (behind && (getComputedStyle(behind).backgroundColor === 'rgba(0, 0, 0, 0)')) behind = behind.parentElement;
      const back = rgb(behind ? getComputedStyle(behind).backgroundColor : 'rgb(255,255,255)');
      const ring = rgb(style.outlineColor);
      const [hi, lo] = [luminance(ring), luminance(back)].sort((a, b) => b - a);
      const ratio = (hi + 0.05) / (lo + 0.05);
      return ratio < 3 ? 'focus ring ' + ratio.toFixed(2) + ':1 on ' + el.tagName.toLowerCase() + ' "' + el.innerText.trim().slice(0, 40) + '"' : null;
    })()`)) as string | null;
    if (problem) problems.push(problem);
  }
  // The next Tab of the test starts from the page's start again.
  await page.evaluate(toStart);
  return problems;
}

/**
 * Waits for the Demo Shop's answer to "Save card" and gives back the page's
 * words: a refusal then fails the test with its reason, not with a timeout.
 */
export async function shopAnswer(page: Page): Promise<string> {
  await page
    .getByRole('heading', { name: /^(Card saved|\d+ cards saved|Your card was not saved)$/ })
    .waitFor();
  return page
    .locator('body')
    .textContent()
    .then((text) => text ?? '');
}
