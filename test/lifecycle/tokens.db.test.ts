import { generateKeyPairSync } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OAuthSigner } from '../../src/mastercard/oauth/signer.js';
import { MDES_NOTIFICATION_CONSUMER_KEY } from '../../src/simulator/app.js';
import { eventually } from '../support/eventually.js';
import { atTokenRequestor, CardholderClient, DEMO, type Stack, startStack } from '../support/stack.js';

const DEMO_SHOP = '50182375119';

interface SavedCardView {
  id: string;
  destination: string;
  tokenRequestorId: string;
  tokenRequestorName: string;
  status: string;
  lastEvent: string;
  tokenPanSuffix: string;
}

/**
 * After the push: the token MDES creates lands in the cardholder's saved-card
 * view from the Tokenization Complete Notification, and the cardholder's
 * suspend / resume / delete travel to the simulator's token management and
 * come back as Token Event Notifications. Whole stack over real HTTP.
 */
describe('token lifecycle after a push', { timeout: 120_000 }, () => {
  let stack: Stack;
  let alice: CardholderClient;
  let cardId: string;
  let token: SavedCardView;

  const tokens = async () =>
    (await alice.call('GET', `/v1/cards/${cardId}/tokens`)).body.tokens as SavedCardView[];
  /** Waits for MDES's notification to land. */
  const until = (predicate: (list: SavedCardView[]) => boolean) => eventually(tokens, predicate);
  const statusOf = async (id: string) => (await tokens()).find((t) => t.id === id)?.status;
  const mdesStatus = async (reference: string) => {
    const { rows } = await sql<{ status: string }>`
      select status from mc_tokens where token_unique_reference = ${reference}`.execute(
      stack.running.database.db,
    );
    return rows[0]?.status;
  };
  const tokenReference = async (id: string) => {
    const { rows } = await sql<{ token_unique_reference: string }>`
      select token_unique_reference from tokens where id = ${id}`.execute(stack.running.database.db);
    return rows[0]?.token_unique_reference ?? '';
  };
  /** The shopper's saved cards at the demo merchant, once MDES's Notify Token Updated has reached it. */
  let shopperCookie = '';
  const merchantShows = (text: string): Promise<string> =>
    eventually(
      async () => (await fetch(`${stack.merchant}/`, { headers: { cookie: shopperCookie } })).text(),
      (page) => page.includes(text),
    );
  const ops = (path: string) =>
    fetch(`${stack.issuer}${path}`, { headers: { authorization: `Bearer ${stack.opsKey}` } });

  /**
   * MDES sends a notification: written to the simulator's outbox as MDES
   * writes its own, signed and delivered by its worker; resolves once the
   * issuer has answered it.
   */
  async function deliver(notification: { notificationId: string; token: { tokenUniqueReference: string } }) {
    const db = stack.running.database.db;
    const now = new Date();
    await sql`
      insert into mc_notifications (notification_id, issuer_consumer_key, message_type, event_key,
        token_unique_reference, body, state, attempts, next_attempt_at, created_at, updated_at)
      select ${notification.notificationId}, consumer_key, 'TOKEN_EVENT_NOTIFICATION',
        ${`test:${notification.notificationId}:${Math.random()}`}, ${notification.token.tokenUniqueReference},
        ${JSON.stringify(notification)}, 'pending', 0, ${now}, ${now}, ${now}
      from mc_clients where role = 'issuer' and notification_url is not null`.execute(db);
    return settled(notification.notificationId);
  }
  /** MDES delivers a notification again, as after a lost acknowledgement. */
  async function redeliver(notificationId: string) {
    await sql`
      update mc_notifications set state = 'pending', next_attempt_at = ${new Date()}
      where notification_id = ${notificationId}`.execute(stack.running.database.db);
    return settled(notificationId);
  }
  const settled = (notificationId: string): Promise<string | undefined> =>
    eventually(
      async () => {
        const { rows } = await sql<{ state: string }>`
          select state from mc_notifications where notification_id = ${notificationId}
          order by seq desc limit 1`.execute(stack.running.database.db);
        return rows[0]?.state;
      },
      (state) => state !== 'pending',
    );
  const received = async (notificationId: string) => {
    const { rows } = await sql<{ outcome: string }>`
      select outcome from mdes_notifications where notification_id = ${notificationId}`.execute(
      stack.running.database.db,
    );
    return rows.map((r) => r.outcome);
  };
  const event = (
    notificationId: string,
    reference: string,
    eventType: string,
    status: string,
    at = new Date(),
  ) => ({
    notificationId,
    messageType: 'TOKEN_EVENT_NOTIFICATION',
    timestamp: at.toISOString(),
    token: {
      tokenUniqueReference: reference,
      tokenRequestorId: DEMO_SHOP,
      tokenPanSuffix: token.tokenPanSuffix,
      accountPanSuffix: '4444',
    },
    tokenEvent: { eventType, causedBy: 'ISSUER', status },
  });

  beforeAll(async () => {
    stack = await startStack();
    alice = new CardholderClient(stack.issuer);
    await alice.signIn(DEMO.alice);
    const cards = await alice.call('GET', '/v1/cards');
    cardId = (cards.body.cards as { id: string; eligible: boolean }[]).find((c) => c.eligible)?.id ?? '';

    // A push to the demo merchant, saved there: MDES creates the token and tells the issuer.
    await alice.stepUp(DEMO.alice.totpSecret);
    const pushed = await alice.push([cardId], DEMO_SHOP);
    expect(pushed.status).toBe(201);
    const saved = await atTokenRequestor(pushed.body.redirectUrl as string);
    expect(saved.status).toBe(200);
    shopperCookie = saved.cookie;
  }, 120_000);
  afterAll(async () => stack?.stop());

  it('records the token from the Tokenization Complete Notification: where the card is saved, ACTIVE', async () => {
    const list = await until((l) => l.length === 1);
    expect(list).toHaveLength(1);
    token = list[0] as SavedCardView;
    expect(token).toMatchObject({
      destination: 'merchant',
      tokenRequestorId: DEMO_SHOP,
      tokenRequestorName: expect.stringContaining('Demo Shop'),
      status: 'ACTIVE',
      lastEvent: 'CREATED',
    });
    expect(token.id).toMatch(/^tok_/);
    expect(token.tokenPanSuffix).toMatch(/^\d{4}$/);
    expect(JSON.stringify(list)).not.toMatch(/5555555555554444|DWSPMC/);
  });

  it("keeps another cardholder's saved cards out of reach", async () => {
    const bob = new CardholderClient(stack.issuer);
    await bob.signIn(DEMO.bob);
    expect((await bob.call('GET', `/v1/cards/${cardId}/tokens`)).status).toBe(404);
    const suspend = await bob.call('POST', `/v1/cards/${cardId}/tokens/${token.id}/suspend`);
    expect(suspend.status).toBe(404);
    expect(await statusOf(token.id)).toBe('ACTIVE');
  });

  it('suspends through MDES; the status lands with the Token Event Notification', async () => {
    const asked = await alice.call('POST', `/v1/cards/${cardId}/tokens/${token.id}/suspend`);
    expect(asked.status).toBe(202);
    expect(asked.body).toMatchObject({ id: token.id, requested: 'suspend' });
    const list = await until((l) => l[0]?.status === 'SUSPENDED');
    expect(list[0]).toMatchObject({ status: 'SUSPENDED', lastEvent: 'SUSPENDED' });
    expect(await mdesStatus(await tokenReference(token.id))).toBe('SUSPENDED');
    // The merchant hears it too, and shows the card as not usable.
    expect(await merchantShows('ending in 4444 — suspended')).toMatch(
      /<li data-status="SUSPENDED" class="unusable">/,
    );
  });

  it('asks for an SCA grant to resume (a resumed token pays again), then resumes', async () => {
    const refused = await alice.call('POST', `/v1/cards/${cardId}/tokens/${token.id}/resume`);
    expect(refused.status).toBe(401);
    expect(refused.body.error).toMatchObject({ code: 'SCA_REQUIRED' });
    expect(await statusOf(token.id)).toBe('SUSPENDED');
    const asked = await alice.call('POST', `/v1/cards/${cardId}/tokens/${token.id}/resume`, undefined, {
      'pushprov-sca-grant': alice.grant,
    });
    expect(asked.status).toBe(202);
    const list = await until((l) => l[0]?.status === 'ACTIVE');
    expect(list[0]).toMatchObject({ status: 'ACTIVE', lastEvent: 'RESUMED' });
    expect(await merchantShows('ending in 4444 — active')).toContain('data-status="ACTIVE"');
  });

  it('refuses a notification with a bad signature, and ignores an unknown token and a redelivery', async () => {
    const reference = await tokenReference(token.id);
    // Signed under MDES's consumer key, but not with Mastercard's key.
    const url = `${stack.issuer}/v1/mdes/notifications`;
    const body = JSON.stringify(event('ntf_forged0001', reference, 'SUSPENDED', 'SUSPENDED'));
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const signer = new OAuthSigner({ consumerKey: MDES_NOTIFICATION_CONSUMER_KEY, signingKey: privateKey });
    const forged = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: signer.authorizationHeader('POST', url, body),
      },
      body,
    });
    expect(forged.status).toBe(401);
    expect(await received('ntf_forged0001')).toEqual([]);
    expect(await statusOf(token.id)).toBe('ACTIVE');

    expect(await deliver(event('ntf_unknown0001', 'DWSPMC000000000000unknown', 'DELETED', 'DELETED'))).toBe(
      'delivered',
    );
    expect(await received('ntf_unknown0001')).toEqual(['unmatched']);
    expect(await statusOf(token.id)).toBe('ACTIVE');

    // A notification MDES delivers twice: the second changes nothing, even after a newer state.
    const once = event('ntf_twice00001', reference, 'SUSPENDED', 'SUSPENDED');
    expect(await deliver(once)).toBe('delivered');
    expect(await statusOf(token.id)).toBe('SUSPENDED');
    expect(await deliver(event('ntf_resume0001', reference, 'RESUMED', 'ACTIVE'))).toBe('delivered');
    expect(await redeliver(once.notificationId)).toBe('delivered');
    expect(await received('ntf_twice00001')).toEqual(['matched']);
    expect(await statusOf(token.id)).toBe('ACTIVE');

    // An event older than the last one applied (out of order) does not undo it.
    expect(await deliver(event('ntf_stale00001', reference, 'SUSPENDED', 'SUSPENDED', new Date(0)))).toBe(
      'delivered',
    );
    expect(await statusOf(token.id)).toBe('ACTIVE');
  });

  it('removes the saved card; a removed token can no longer change', async () => {
    const asked = await alice.call('DELETE', `/v1/cards/${cardId}/tokens/${token.id}`);
    expect(asked.status).toBe(202);
    const list = await until((l) => l[0]?.status === 'DELETED');
    expect(list[0]).toMatchObject({ status: 'DELETED', lastEvent: 'DELETED' });
    expect(await mdesStatus(await tokenReference(token.id))).toBe('DELETED');
    expect(await merchantShows('ending in 4444 — removed')).toContain('data-status="DEACTIVATED"');
    const suspend = await alice.call('POST', `/v1/cards/${cardId}/tokens/${token.id}/suspend`);
    expect(suspend.status).toBe(409);
    expect(suspend.body.error).toMatchObject({ code: 'TOKEN_MANAGEMENT_REFUSED' });
  });

  it('gives ops counts by token requestor and status, and the token history from the audit log', async () => {
    const counts = await ops('/v1/ops/tokens/counts');
    expect(counts.status).toBe(200);
    expect(((await counts.json()) as { counts: unknown[] }).counts).toContainEqual(
      expect.objectContaining({ tokenRequestorId: DEMO_SHOP, status: 'DELETED', count: 1 }),
    );
    const history = await ops(`/v1/ops/tokens/${token.id}/history`);
    expect(history.status).toBe(200);
    const actions = ((await history.json()) as { history: { action: string }[] }).history.map(
      (h) => h.action,
    );
    expect(actions).toEqual([
      'token.created',
      'token.suspend_requested',
      'token.suspended',
      'token.resume_requested',
      'token.resumed',
      'token.suspended',
      'token.resumed',
      'token.delete_requested',
      'token.deleted',
    ]);
    expect((await alice.call('GET', '/v1/ops/tokens/counts')).status).toBe(403);

    // The cardholder's own pause, resume and remove show in their history for ops.
    const cardholderId = (await alice.call('GET', '/v1/session')).body.cardholderId as string;
    const trail = (await (await ops(`/v1/ops/cardholders/${cardholderId}/history`)).json()) as {
      audit: { action: string; actor: string }[];
    };
    expect(trail.audit.filter((a) => a.actor === `cardholder:${cardholderId}`).map((a) => a.action)).toEqual(
      expect.arrayContaining(['token.suspend_requested', 'token.resume_requested', 'token.delete_requested']),
    );
  });
});
