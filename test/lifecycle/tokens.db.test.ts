import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadDevPki } from '../../src/mastercard/keys/dev-pki.js';
import { eventually } from '../support/eventually.js';
import { mdesAgent, postAsMdes } from '../support/mdes-tls.js';
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
 * view from Notify Service Activated, and the cardholder's
 * suspend / resume / delete travel to the simulator's token management and
 * come back as Notify Token Updated. Whole stack over real HTTP.
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

  /** MDES's Notify Token Updated, posted over mutual TLS with the development client certificate. */
  async function notifyTokenUpdated(
    requestId: string,
    reference: string,
    status: string,
    suspendedBy?: string,
  ) {
    const pki = await loadDevPki(stack.keysDir);
    const agent = mdesAgent(pki);
    try {
      const url = new URL(`${stack.running.mdesUrl}/notifyTokenUpdated`);
      const body = JSON.stringify({
        requestId,
        reasonCode: 'STATUS_UPDATE',
        tokens: [
          { tokenUniqueReference: reference, status, ...(suspendedBy && { suspendedBy: [suspendedBy] }) },
        ],
      });
      return await postAsMdes(agent, Number(url.port), url.pathname, body);
    } finally {
      agent.destroy();
    }
  }
  const received = async (requestId: string) => {
    const { rows } = await sql<{ outcome: string }>`
      select outcome from mdes_notifications where notification_id = ${requestId}`.execute(
      stack.running.database.db,
    );
    return rows.map((r) => r.outcome);
  };

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

  it('records the token from Notify Service Activated: where the card is saved, ACTIVE', async () => {
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

  it('suspends through MDES; the status lands with Notify Token Updated', async () => {
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

  it('ignores an unknown token and a redelivery of Notify Token Updated', async () => {
    const reference = await tokenReference(token.id);
    const unknown = await notifyTokenUpdated('ntu-unknown-0001', 'DWSPMC000000000000unknown', 'DEACTIVATED');
    expect(unknown.status).toBe(200);
    expect(JSON.parse(unknown.body)).toEqual({ responseId: 'ntu-unknown-0001' });
    expect(await received('ntu-unknown-0001')).toEqual(['unmatched']);
    expect(await statusOf(token.id)).toBe('ACTIVE');

    // A notification MDES sends twice (its answer lost): the second changes nothing, even after a newer state.
    expect((await notifyTokenUpdated('ntu-twice-0001', reference, 'SUSPENDED', 'ISSUER')).status).toBe(200);
    expect(await statusOf(token.id)).toBe('SUSPENDED');
    expect((await notifyTokenUpdated('ntu-resume-0001', reference, 'ACTIVE')).status).toBe(200);
    expect((await notifyTokenUpdated('ntu-twice-0001', reference, 'SUSPENDED', 'ISSUER')).status).toBe(200);
    expect(await received('ntu-twice-0001')).toEqual(['matched']);
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
