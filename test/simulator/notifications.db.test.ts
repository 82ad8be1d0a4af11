import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Value } from '@sinclair/typebox/value';
import type { Kysely } from 'kysely';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Clock } from '../../src/core/clock.js';
import { createLogger } from '../../src/core/logger.js';
import { MdesNotification } from '../../src/mastercard/mdes/messages.js';
import { MemoryNonceStore, OAuthVerifier } from '../../src/mastercard/oauth/verifier.js';
import type { PushMultipleAccountsResponse } from '../../src/mastercard/token-connect/types.js';
import {
  createSimulatorApp,
  MDES_NOTIFICATION_CONSUMER_KEY,
  registerClient,
  simulatorWorkers,
} from '../../src/simulator/app.js';
import type { NotificationsSchema } from '../../src/simulator/notifications/tables.js';
import { TEST_CARDS } from '../../src/simulator/token-connect/test-cards.js';
import {
  account,
  type Harness,
  ISSUER_KEY,
  KEYS,
  PATHS,
  pushBody,
  SIMULATOR_KEYS,
  startSimulator,
  tokenizeBody,
} from './token-connect-harness.js';

/**
 * An issuer's notification endpoint: checks Mastercard's OAuth signature as
 * pushprov's issuer does, records what arrived and answers with the next
 * status it was told to (200 by default). `close()` takes it off the
 * network, as an issuer that is down.
 */
interface FakeIssuer {
  url: string;
  received: { notificationId: string; body: string; consumerKey: string }[];
  statuses: number[];
  close(): Promise<void>;
  reopen(): Promise<void>;
}

async function fakeIssuer(clock: Clock): Promise<FakeIssuer> {
  const verifier = new OAuthVerifier({
    resolveKey: (key) =>
      key === MDES_NOTIFICATION_CONSUMER_KEY ? KEYS.mastercardSigning.publicKey : undefined,
    nonces: new MemoryNonceStore({ clock }),
    clock,
  });
  const issuer: FakeIssuer = {
    url: '',
    received: [],
    statuses: [],
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
    reopen: () => new Promise((resolve) => server.listen(port, '127.0.0.1', () => resolve())),
  };
  const server: Server = createServer(async (request, response) => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    let consumerKey: string;
    try {
      ({ consumerKey } = await verifier.verify({
        method: request.method ?? 'POST',
        url: `http://${request.headers.host}${request.url}`,
        body,
        authorization: request.headers.authorization,
      }));
    } catch (error) {
      response.writeHead(401, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ error: { code: (error as { code: string }).code } }));
      return;
    }
    const text = body.toString('utf8');
    const { notificationId } = JSON.parse(text) as { notificationId: string };
    issuer.received.push({ notificationId, body: text, consumerKey });
    const status = issuer.statuses.shift() ?? 200;
    response.writeHead(status, { 'content-type': 'application/json' });
    response.end(
      JSON.stringify(
        status === 200
          ? { notificationId, status: 'ACCEPTED', duplicate: false }
          : { error: { code: 'ISSUER_UNAVAILABLE', message: 'down', requestId: 'r' } },
      ),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  issuer.url = `http://127.0.0.1:${port}/v1/mdes/notifications`;
  return issuer;
}

let h: Harness;
let issuer: FakeIssuer;
const db = () => h.database.db as Kysely<NotificationsSchema>;
const outbox = () => simulatorWorkers(h.app)!.notifications;

const registerIssuer = (notificationUrl: string | undefined) =>
  registerClient(h.database.db, {
    consumerKey: ISSUER_KEY,
    role: 'issuer',
    publicKey: KEYS.issuerSigning.publicKey,
    displayName: 'pushprov Bank',
    ...(notificationUrl === undefined ? {} : { notificationUrl }),
  });

/** A token created by the demo merchant from a fresh push; its Tokenization Complete is now in the outbox. */
async function newToken(pan: string = TEST_CARDS.credit.pan, pushAccountId = 'pa-1') {
  const push = await h.call('POST', PATHS.push, pushBody([account(pushAccountId, pan)]));
  const receipt = (push.json() as PushMultipleAccountsResponse).pushAccountReceipts![0]!.pushAccountReceipt!;
  const token = await h.call('POST', PATHS.tokenize, tokenizeBody(receipt), { as: 'merchant' });
  return (token.json() as { tokenUniqueReference: string }).tokenUniqueReference;
}

const rowsOf = (tokenUniqueReference: string) =>
  db()
    .selectFrom('mc_notifications')
    .selectAll()
    .where('token_unique_reference', '=', tokenUniqueReference)
    .orderBy('seq')
    .execute();

beforeAll(async () => {
  h = await startSimulator({ background: false });
  issuer = await fakeIssuer(h.clock);
  await registerIssuer(issuer.url);
});
afterAll(async () => {
  await h.close();
  await issuer.close();
});
afterEach(() => {
  issuer.statuses.length = 0;
});

describe('MDES notifications to the issuer', () => {
  it('announces a new token with a Tokenization Complete Notification signed by Mastercard', async () => {
    const tur = await newToken(TEST_CARDS.credit.pan, 'pa-announce');
    const [row] = await rowsOf(tur);
    expect(row).toMatchObject({
      state: 'pending',
      attempts: 0,
      message_type: 'TOKENIZATION_COMPLETE_NOTIFICATION',
    });

    expect(await outbox().drain()).toBe(1);
    const sent = issuer.received.at(-1)!;
    expect(sent.consumerKey).toBe(MDES_NOTIFICATION_CONSUMER_KEY);
    const body = JSON.parse(sent.body) as Record<string, unknown>;
    expect(body).toEqual({
      notificationId: row!.notification_id,
      messageType: 'TOKENIZATION_COMPLETE_NOTIFICATION',
      timestamp: h.clock.now().toISOString(),
      token: {
        tokenUniqueReference: tur,
        tokenRequestorId: '50182375119',
        tokenPanSuffix: expect.stringMatching(/^\d{4}$/),
        accountPanSuffix: '4444',
        pushAccountId: 'pa-announce',
      },
    });
    expect(body.notificationId).toMatch(/^ntf_[0-9a-z]{20}$/);
    // The issuer's own schema of the message accepts exactly what the simulator sends.
    expect(Value.Check(MdesNotification, body)).toBe(true);
    // Last fours are the only digits of the card that travel.
    expect(sent.body).not.toContain(TEST_CARDS.credit.pan);

    const [delivered] = await rowsOf(tur);
    expect(delivered).toMatchObject({ state: 'delivered', attempts: 1, last_error: null });
    expect(delivered!.delivered_at).toEqual(h.clock.now());
  });

  it('keeps a notification the issuer answered 503 to, and delivers the same bytes after the backoff', async () => {
    issuer.statuses.push(503, 503);
    const tur = await newToken(TEST_CARDS.debit.pan, 'pa-retry');
    const before = issuer.received.length;

    expect(await outbox().drain()).toBe(1);
    let [row] = await rowsOf(tur);
    expect(row).toMatchObject({ state: 'pending', attempts: 1, last_error: 'HTTP_503 ISSUER_UNAVAILABLE' });
    expect(row!.next_attempt_at.getTime() - h.clock.now().getTime()).toBe(5_000);
    // Not due yet: nothing is sent.
    expect(await outbox().drain()).toBe(0);

    h.clock.advance(5_000);
    expect(await outbox().drain()).toBe(1);
    [row] = await rowsOf(tur);
    // The delay doubles after each failure.
    expect(row).toMatchObject({ state: 'pending', attempts: 2 });
    expect(row!.next_attempt_at.getTime() - h.clock.now().getTime()).toBe(10_000);

    h.clock.advance(10_000);
    expect(await outbox().drain()).toBe(1);
    [row] = await rowsOf(tur);
    expect(row).toMatchObject({ state: 'delivered', attempts: 3, last_error: null });

    const attempts = issuer.received.slice(before);
    expect(attempts).toHaveLength(3);
    expect(new Set(attempts.map((a) => a.body)).size).toBe(1);
  });

  it('delivers in order per token: a later message waits while an earlier one of its token is retried', async () => {
    issuer.statuses.push(503);
    const held = await newToken(TEST_CARDS.credit.pan, 'pa-held');
    // A second message about the same token (as a Token Event Notification will be).
    const [first] = await rowsOf(held);
    await db()
      .insertInto('mc_notifications')
      .values({
        ...first!,
        seq: undefined,
        notification_id: 'ntf_second_about_held',
        event_key: `TEST:${held}`,
        body: first!.body.replace(first!.notification_id, 'ntf_second_about_held'),
      })
      .execute();
    const other = await newToken(TEST_CARDS.credit2.pan, 'pa-other');
    const before = issuer.received.length;

    await outbox().drain();
    // The first of `held` failed; its successor waited; the other token went through.
    expect(issuer.received.slice(before).map((r) => r.notificationId)).toEqual([
      first!.notification_id,
      (await rowsOf(other))[0]!.notification_id,
    ]);
    expect((await rowsOf(held)).map((r) => r.state)).toEqual(['pending', 'pending']);

    h.clock.advance(5_000);
    await outbox().drain();
    expect(issuer.received.slice(before + 2).map((r) => r.notificationId)).toEqual([
      first!.notification_id,
      'ntf_second_about_held',
    ]);
    expect((await rowsOf(held)).map((r) => r.state)).toEqual(['delivered', 'delivered']);
  });

  it('survives the issuer being down and the simulator restarting', async () => {
    await issuer.close();
    const tur = await newToken(TEST_CARDS.maestro.pan, 'pa-restart');
    await outbox().drain();
    const [row] = await rowsOf(tur);
    expect(row).toMatchObject({ state: 'pending', attempts: 1, last_error: 'NETWORK_ERROR' });

    await h.restart();
    await issuer.reopen();
    h.clock.advance(5_000);
    expect(await outbox().drain()).toBe(1);
    expect(await rowsOf(tur)).toMatchObject([{ state: 'delivered', attempts: 2 }]);
    expect(issuer.received.at(-1)!.notificationId).toBe(row!.notification_id);
  });

  it('gives up on a message the issuer refuses with a 4xx', async () => {
    issuer.statuses.push(400);
    const tur = await newToken(TEST_CARDS.credit.pan, 'pa-refused');
    await outbox().drain();
    expect(await rowsOf(tur)).toMatchObject([
      { state: 'rejected', attempts: 1, last_error: 'HTTP_400 ISSUER_UNAVAILABLE' },
    ]);
    h.clock.advance(3_600_000);
    expect(await outbox().drain()).toBe(0);
  });

  it('waits, without losing anything, for an issuer that has no notification URL', async () => {
    await registerIssuer(undefined);
    try {
      const tur = await newToken(TEST_CARDS.credit.pan, 'pa-nowhere');
      const before = issuer.received.length;
      await outbox().drain();
      expect(await rowsOf(tur)).toMatchObject([{ state: 'pending', last_error: 'NO_NOTIFICATION_URL' }]);
      await registerIssuer(issuer.url);
      h.clock.advance(5_000);
      await outbox().drain();
      expect(await rowsOf(tur)).toMatchObject([{ state: 'delivered' }]);
      expect(issuer.received.length).toBe(before + 1);
    } finally {
      await registerIssuer(issuer.url);
    }
  });

  it('announces at start-up a token whose announcement was lost in a crash, once', async () => {
    const tur = await newToken(TEST_CARDS.credit.pan, 'pa-lost');
    // As if the process died between storing the token and recording its notification.
    await db().deleteFrom('mc_notifications').where('token_unique_reference', '=', tur).execute();
    await h.restart();
    await h.app.ready();
    await h.restart();
    await h.app.ready();
    const rows = await rowsOf(tur);
    expect(rows).toHaveLength(1);
    await outbox().drain();
    const body = JSON.parse(issuer.received.at(-1)!.body) as { token: { pushAccountId: string } };
    expect(body.token.pushAccountId).toBe('pa-lost');
  });

  it('refuses a notification URL that is not http(s), for an issuer or a token requestor (Notify Token Updated)', async () => {
    await expect(registerIssuer('ftp://bank.example/notify')).rejects.toMatchObject({
      code: 'MC_CLIENT_INVALID',
    });
    await expect(
      registerClient(h.database.db, {
        consumerKey: 'a-merchant',
        role: 'token_requestor',
        tokenRequestorId: '50161234563',
        publicKey: KEYS.merchantSigning.publicKey,
        encryptionPublicKey: KEYS.merchantEncryption.publicKey,
        displayName: 'Northwind',
        notificationUrl: 'javascript:alert(1)',
      }),
    ).rejects.toMatchObject({ code: 'MC_CLIENT_INVALID' });
  });
});

describe('MDES notifications beside another onTokenCreated hook', () => {
  it('are recorded even when that hook throws', async () => {
    const other = await startSimulator({
      background: false,
      onTokenCreated: () => {
        throw new Error('the other hook failed');
      },
    });
    try {
      const push = await other.call(
        'POST',
        PATHS.push,
        pushBody([account('pa-hook', TEST_CARDS.credit.pan)]),
      );
      const receipt = (push.json() as PushMultipleAccountsResponse).pushAccountReceipts![0]!
        .pushAccountReceipt!;
      const token = await other.call('POST', PATHS.tokenize, tokenizeBody(receipt), { as: 'merchant' });
      expect(token.statusCode).toBe(200);
      const { tokenUniqueReference } = token.json() as { tokenUniqueReference: string };
      const rows = await (other.database.db as Kysely<NotificationsSchema>)
        .selectFrom('mc_notifications')
        .select('state')
        .where('token_unique_reference', '=', tokenUniqueReference)
        .execute();
      expect(rows).toEqual([{ state: 'pending' }]);
    } finally {
      await other.close();
    }
  });
});

describe('MDES notifications in the background', () => {
  it('are delivered as soon as the token exists, without being driven', async () => {
    const app = await createSimulatorApp({
      db: h.database.db,
      logger: createLogger({ level: 'silent' }),
      clock: h.clock,
      keys: SIMULATOR_KEYS,
    });
    await app.ready();
    try {
      // The token is created through the harness's app; this one only polls the shared outbox.
      const tur = await newToken(TEST_CARDS.credit.pan, 'pa-background');
      await vi.waitFor(async () => expect(await rowsOf(tur)).toMatchObject([{ state: 'delivered' }]), {
        timeout: 10_000,
      });
    } finally {
      await app.close();
    }
  });
});
