import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createLogger } from '../../src/core/logger.js';
import { captureStream } from '../support/capture.js';
import { atTokenRequestor, CardholderClient, DEMO, type Stack, startStack } from '../support/stack.js';
import { dumpTables } from './support.js';

const CLICK_TO_PAY = '50123197928';
const DEMO_SHOP = '50182375119';

interface DemoFile {
  cardholders: {
    name: string;
    email: string;
    phone: string;
    billingAddress: { line1: string; line2?: string };
    cards: { pan: string }[];
  }[];
}

/** Every PAN and PII value of the demo fixture (which holds no CVC: none is taken), named for the failure message. */
function secrets(): [string, string][] {
  const demo = JSON.parse(
    readFileSync(new URL('../../fixtures/demo-cards.json', import.meta.url), 'utf8'),
  ) as DemoFile;
  return demo.cardholders.flatMap((c) => [
    ['name', c.name],
    ['email', c.email],
    ['phone', c.phone],
    ['address line', c.billingAddress.line1],
    ...(c.billingAddress.line2 ? [['address line', c.billingAddress.line2] as [string, string]] : []),
    ...c.cards.map((card) => ['PAN', card.pan] as [string, string]),
  ]);
}

/** The forms a value can take when it is carelessly stored or sent: clear, hex, base64, grouped digits. */
function forms(value: string): string[] {
  const bytes = Buffer.from(value, 'utf8');
  const out = [
    value,
    bytes.toString('hex'),
    bytes.toString('hex').toUpperCase(),
    bytes.toString('base64').replace(/=+$/, ''),
    bytes.toString('base64url'),
  ];
  if (/^\d{13,19}$/.test(value))
    out.push(value.replace(/(\d{4})(?=\d)/g, '$1 '), value.replace(/(\d{4})(?=\d)/g, '$1-'));
  return out;
}

/** Each secret found in a place, with a little context. */
function findLeaks(places: [string, string][]): string[] {
  const hits: string[] = [];
  const context = (text: string, at: number) => text.slice(Math.max(0, at - 120), at + 60);
  for (const [kind, value] of secrets()) {
    for (const [where, text] of places) {
      for (const form of forms(value)) {
        const at = text.indexOf(form);
        if (at >= 0)
          hits.push(
            `${kind} ${form === value ? 'in clear' : `as ${form}`} in ${where}: …${context(text, at)}…`,
          );
      }
    }
  }
  return hits;
}

describe('no card data or PII in clear anywhere', { timeout: 180_000 }, () => {
  const capture = captureStream();
  const seen: string[] = [];
  let stack: Stack;
  let alice: CardholderClient;

  /** Keeps what the test received: status, every header, the body. */
  function keep(where: string, status: number, headers: Headers, body: unknown): void {
    seen.push(
      `${where} ${status} ${JSON.stringify([...headers])} ${typeof body === 'string' ? body : JSON.stringify(body)}`,
    );
  }
  async function call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
    const r = await alice.call(method, path, body, headers);
    keep(`${method} ${path}`, r.status, r.headers, r.body);
    return r;
  }
  /** fetch, keeping what came back. */
  const recorded: typeof fetch = async (input, init) => {
    const r = await fetch(input, init);
    keep(String(input), r.status, r.headers, await r.clone().text());
    return r;
  };
  async function get(url: string, init: RequestInit = {}) {
    const r = await fetch(url, { redirect: 'manual', ...init });
    const text = await r.text();
    keep(url, r.status, r.headers, text);
    return { status: r.status, text, headers: r.headers };
  }

  beforeAll(async () => {
    stack = await startStack(
      {},
      createLogger({ level: 'trace', format: 'json', destination: capture.stream }),
    );
    alice = new CardholderClient(stack.issuer);
  }, 120_000);
  afterAll(async () => stack?.stop());

  it('runs Click to Pay and Secure Card on File with the demo cards', async () => {
    const signIn = await fetch(`${stack.issuer}/v1/session`, {
      method: 'POST',
      headers: { origin: stack.issuer, 'content-type': 'application/json' },
      body: JSON.stringify(DEMO.alice),
    });
    keep('sign-in', signIn.status, signIn.headers, await signIn.clone().text());
    await alice.signIn(DEMO.alice);
    await call('GET', '/v1/session');
    const cards = (await call('GET', '/v1/cards')).body.cards as {
      id: string;
      clickToPay: boolean;
      eligible: boolean;
    }[];
    const card = cards.find((c) => c.clickToPay && c.eligible);
    expect(card).toBeDefined();
    const id = card?.id ?? '';
    await call('GET', `/v1/cards/${id}/destinations`);
    await call('GET', `/v1/cards/${id}/destinations/${CLICK_TO_PAY}/consent`);
    await call('GET', `/v1/cards/${id}/destinations/${DEMO_SHOP}/consent`);
    await alice.stepUp(DEMO.alice.totpSecret);

    // Use case 1: at Click to Pay's page and back; completes once MDES's notification arrives.
    const c2p = await alice.push([id], CLICK_TO_PAY);
    keep('push c2p', c2p.status, c2p.headers, c2p.body);
    expect(c2p.status).toBe(201);
    const atClickToPay = await atTokenRequestor(c2p.body.redirectUrl as string, 'accept', recorded);
    await call('GET', atClickToPay.callbackUrl ?? '');
    await vi.waitFor(
      async () =>
        expect((await call('GET', `/v1/provisionings/${c2p.body.id}`)).body.state).toBe('completed'),
      { timeout: 15_000, interval: 100 },
    );

    // Use case 2: Secure Card on File at the demo merchant, back through the callback.
    const scof = await alice.push([id], DEMO_SHOP);
    keep('push scof', scof.status, scof.headers, scof.body);
    expect(scof.status).toBe(201);
    const atShop = await atTokenRequestor(scof.body.redirectUrl as string, 'accept', recorded);
    expect(atShop.landingStatus).toBe(200);
    await call('GET', atShop.callbackUrl ?? '');
    await vi.waitFor(
      async () =>
        expect((await call('GET', `/v1/provisionings/${scof.body.id}`)).body.state).toBe('completed'),
      { timeout: 15_000, interval: 100 },
    );
    const cookie = atShop.cookie;

    await call('GET', '/v1/provisionings');
    await call('GET', `/v1/cards/${id}/tokens`);
    const session = await call('GET', '/v1/session');
    await call('GET', `/v1/ops/cardholders/${session.body.cardholderId}/history`, undefined, {
      authorization: `Bearer ${stack.opsKey}`,
    });
    await get(`${stack.merchant}/`, { headers: { cookie } });
    await get(`${stack.simulator}/click-to-pay/profiles`);
    await get(`${stack.issuer}/metrics`, { headers: { authorization: `Bearer ${stack.opsKey}` } });
  });

  it('finds no PAN, email, phone, name or address line in logs, responses or any table', async () => {
    // Let the background work (notification outbox, enrolment) log what it logs.
    await new Promise((r) => setTimeout(r, 500));
    const dump = await dumpTables(stack.running.database.db);
    expect(Object.keys(dump).some((t) => t.startsWith('mc_'))).toBe(true);
    expect(Object.keys(dump).some((t) => t.startsWith('merchant_'))).toBe(true);
    const logs = capture.text();
    // The development ops key, created by this first start, is for a person at a terminal, not the log.
    expect(stack.opsKey.length).toBeGreaterThan(20);
    expect(logs).not.toContain(stack.opsKey);
    expect(capture.lines().length).toBeGreaterThan(50);
    const places: [string, string][] = [
      ['logs', logs],
      ['responses', seen.join('\n')],
      ...Object.entries(dump).map(([table, rows]) => [`table ${table}`, rows.join('\n')] as [string, string]),
    ];
    expect(
      findLeaks([['a planted line', '{"pan":"5555555555554444","email":"alice@example.com"}']]),
    ).toHaveLength(2);
    expect(findLeaks(places).join('\n')).toBe('');
  });
});
