import { mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generate } from 'otplib';
import { pino } from 'pino';
import { loadConfig } from '../../src/app/config.js';
import { type Running, start } from '../../src/cli/start.js';
import { createLogger, type Logger } from '../../src/core/logger.js';
import { testDatabase } from './database.js';
import { withDevKeys } from './dev-keys.js';
import { freePort } from './process.js';

/** Demo cardholders of fixtures/demo-cards.json. */
export const DEMO = {
  alice: {
    username: 'alice',
    password: 'alice-demo-password',
    totpSecret: 'YHFTOQKKZRG4NAWCIFR6WIRYXMJXIPON',
  },
  bob: { username: 'bob', password: 'bob-demo-password', totpSecret: 'O4W7IIYKS3ZJUJXGS2N2C3ZKYMTBEIA6' },
  elodie: {
    username: 'elodie',
    password: 'elodie-demo-password',
    totpSecret: '3CQCD4RQP23WQPRFQH6OVHGVJSM4ROXL',
  },
} as const;

export interface Stack {
  running: Running;
  issuer: string;
  simulator: string;
  merchant: string;
  /** The development ops API key of this stack. */
  opsKey: string;
  /** Its development key set (Mastercard's, the issuer's, the demo merchant's). */
  keysDir: string;
  stop(): Promise<void>;
}

/**
 * The whole of pushprov as `npm start` runs it — issuer, simulator and demo
 * merchant over real HTTP on free ports — on a fresh test database.
 */
export async function startStack(
  env: Record<string, string> = {},
  /** Where the stack logs (tests that read the lines pass a capture logger); see `defaultLogger`. */
  logger: Logger = defaultLogger(),
): Promise<Stack> {
  const [issuerPort, simulatorPort, merchantPort] = [await freePort(), await freePort(), await freePort()];
  const dataDir = withDevKeys(mkdtempSync(join(tmpdir(), 'pushprov-stack-')));
  const config = loadConfig({
    PUSHPROV_DATA_DIR: dataDir,
    PUSHPROV_ISSUER_PORT: String(issuerPort),
    PUSHPROV_SIMULATOR_PORT: String(simulatorPort),
    PUSHPROV_MERCHANT_PORT: String(merchantPort),
    // The issuer's MDES listener (mutual TLS) on any free port, never its fixed default.
    PUSHPROV_MDES_PORT: '0',
    ...env,
  });
  const running = await start(config, logger, undefined, await testDatabase());
  return {
    running,
    issuer: config.issuerPublicUrl,
    simulator: config.simulatorPublicUrl,
    merchant: config.merchantPublicUrl,
    opsKey: readFileSync(join(dataDir, 'keys', 'ops-api-key'), 'utf8').trim(),
    keysDir: join(dataDir, 'keys'),
    stop: () => running.stop(),
  };
}

/**
 * Silent, unless `PUSHPROV_TEST_STACK_LOG_DIR` names a folder (the browser
 * tests' configuration does): then each stack writes its JSON lines to a file
 * of its own there, so a failure that only shows in CI can be read after.
 */
function defaultLogger(): Logger {
  const dir = process.env.PUSHPROV_TEST_STACK_LOG_DIR;
  if (!dir) return createLogger({ level: 'silent' });
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `stack-${new Date().toISOString().replace(/[:.]/g, '-')}-${process.pid}.log`);
  return createLogger({
    level: 'info',
    format: 'json',
    destination: pino.destination({ dest: file, sync: true }),
  });
}

/** A signed-in cardholder talking to the issuer API as the bank's app does. */
export class CardholderClient {
  #token = '';
  grant = '';
  constructor(readonly base: string) {}

  async signIn(who: { username: string; password: string }): Promise<void> {
    const r = await this.call('POST', '/v1/session', who);
    this.#token = (r.body as { token: string }).token;
  }

  async stepUp(secret: string): Promise<void> {
    const r = await this.call('POST', '/v1/sca/totp/verify', { code: await generate({ secret }) });
    // A code is single use: a second step-up within the same 30 s window is refused.
    if (r.status !== 201) throw new Error(`step-up refused: ${JSON.stringify(r.body)}`);
    this.grant = (r.body as { grant: string }).grant;
  }

  async call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
    const response = await fetch(path.startsWith('http') ? path : this.base + path, {
      method,
      headers: {
        origin: this.base,
        ...(this.#token && { authorization: `Bearer ${this.#token}` }),
        ...(body !== undefined && { 'content-type': 'application/json' }),
        ...headers,
      },
      ...(body !== undefined && { body: JSON.stringify(body) }),
      redirect: 'manual',
    });
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {}
    return { status: response.status, body: parsed as Record<string, unknown>, headers: response.headers };
  }

  push(cardIds: string[], tokenRequestorId: string, key = `key-${Math.random().toString(36).slice(2, 12)}`) {
    return this.call(
      'POST',
      '/v1/provisionings',
      { cardIds, tokenRequestorId, consent: true },
      { 'idempotency-key': key, 'pushprov-sca-grant': this.grant },
    );
  }
}

/**
 * The cardholder's browser at a token requestor (the demo merchant or Click
 * to Pay): lands on the push link the bank handed out, then submits the
 * page's first form (save / add) or its second (cancel). The token requestor
 * answers with a redirect: to its own result page, followed here, or to the
 * bank's callback, returned as `callbackUrl` for the test to open with the
 * cardholder's session.
 */
export async function atTokenRequestor(
  pushLink: string,
  choice: 'accept' | 'cancel' = 'accept',
  fetch: typeof globalThis.fetch = globalThis.fetch,
) {
  const landing = await fetch(pushLink, { redirect: 'manual' });
  const landingPage = await landing.text();
  const cookie = landing.headers
    .getSetCookie()
    .map((c) => c.split(';')[0])
    .join('; ');
  const forms = [...landingPage.matchAll(/<form method="post" action="([^"]+)">(.*?)<\/form>/gs)];
  const chosen = forms[choice === 'accept' ? 0 : 1];
  const form = new URLSearchParams();
  for (const m of (chosen?.[2] ?? '').matchAll(/name="([^"]+)" value="([^"]*)"/g))
    form.append(m[1] ?? '', (m[2] ?? '').replace(/&amp;/g, '&'));
  const action = new URL(chosen?.[1] ?? '/', pushLink).toString();
  const submit = async () => {
    const posted = await fetch(action, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie },
      body: form,
      redirect: 'manual',
    });
    const location = posted.headers.get('location');
    if (posted.status !== 303 || !location) return { status: posted.status, page: await posted.text() };
    const next = new URL(location, action);
    if (next.origin !== new URL(pushLink).origin)
      return { status: 303, page: '', callbackUrl: next.toString() };
    const result = await fetch(next, { headers: { cookie }, redirect: 'manual' });
    return { status: result.status, page: await result.text(), resultUrl: next.toString() };
  };
  const outcome = await submit();
  const back = /href="([^"]+\/callback\?[^"]*)"/.exec(outcome.page)?.[1]?.replace(/&amp;/g, '&');
  return {
    landingStatus: landing.status,
    landingPage,
    ...outcome,
    /** Where the token requestor sends the cardholder back to the bank. */
    callbackUrl: outcome.callbackUrl ?? back,
    again: submit,
    /** The cardholder's cookie at the token requestor, to see their saved cards later. */
    cookie,
  };
}
