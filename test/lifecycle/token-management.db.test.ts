import type { Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PushMultipleAccountsResponse } from '../../src/mastercard/token-connect/types.js';
import { TEST_CARDS } from '../../src/simulator/token-connect/test-cards.js';
import { registerTokenManagement } from '../../src/simulator/token-management/register.js';
import { TOKEN_MANAGEMENT_PATHS } from '../../src/simulator/token-management/routes.js';
import type { TokenManagementSchema } from '../../src/simulator/token-management/tables.js';
import {
  account,
  type Harness,
  PATHS,
  pushBody,
  requestId,
  startSimulator,
  tokenizeBody,
} from '../simulator/token-connect-harness.js';

const path = (operation: keyof typeof TOKEN_MANAGEMENT_PATHS) => `/mdes${TOKEN_MANAGEMENT_PATHS[operation]}`;

/** MDES's issuer-side token management on the simulator, in-process; notifications stay in the outbox to be read. */
describe('simulator token management', () => {
  let h: Harness;
  let reference: string;
  const db = () => h.database.db as Kysely<TokenManagementSchema>;
  const events = async () =>
    (
      await db()
        .selectFrom('mc_notifications')
        .select('body')
        .where('token_unique_reference', '=', reference)
        .where('message_type', '=', 'TOKEN_EVENT_NOTIFICATION')
        .orderBy('seq')
        .execute()
    ).map(
      (row) =>
        JSON.parse(row.body) as {
          token: { accountPanSuffix: string };
          tokenEvent: { eventType: string; causedBy: string; status: string };
        },
    );
  const change = (operation: 'suspend' | 'unsuspend' | 'delete', as: 'issuer' | 'merchant' = 'issuer') =>
    h.call(
      'POST',
      path(operation),
      { requestId: requestId(), tokenUniqueReferences: [reference], causedBy: 'CARDHOLDER' },
      { as },
    );
  const statusAtMdes = async () =>
    (
      await db()
        .selectFrom('mc_tokens')
        .select('status')
        .where('token_unique_reference', '=', reference)
        .executeTakeFirst()
    )?.status;

  beforeAll(async () => {
    h = await startSimulator({ background: false });
    await registerTokenManagement(h.app, { db: h.database.db, clock: h.clock });
    const push = await h.call('POST', PATHS.push, pushBody([account('pa-tm-1', TEST_CARDS.credit.pan)]));
    const receipt =
      (push.json() as PushMultipleAccountsResponse).pushAccountReceipts?.[0]?.pushAccountReceipt ?? '';
    const token = await h.call('POST', PATHS.tokenize, tokenizeBody(receipt), { as: 'merchant' });
    reference = (token.json() as { tokenUniqueReference: string }).tokenUniqueReference;
  });
  afterAll(async () => h?.close());

  it("finds the issuer's tokens by reference, with last four digits only", async () => {
    const found = await h.call('POST', path('search'), {
      requestId: 'search-1',
      tokenUniqueReferences: [reference],
    });
    expect(found.statusCode).toBe(200);
    expect(found.json()).toMatchObject({
      responseId: 'search-1',
      tokens: [
        {
          tokenUniqueReference: reference,
          status: 'ACTIVE',
          accountPanSuffix: TEST_CARDS.credit.pan.slice(-4),
        },
      ],
    });
    expect(found.body).not.toContain(TEST_CARDS.credit.pan);
  });

  it('refuses a token requestor, an unknown token and a malformed request, changing nothing', async () => {
    // MDES answers this refusal with HTTP 200 and its error envelope.
    const asMerchant = await change('suspend', 'merchant');
    expect(asMerchant.json()).toMatchObject({ errors: [{ reasonCode: 'AUTHORIZATION_FAILED' }] });
    const unknown = await h.call('POST', path('suspend'), {
      requestId: requestId(),
      tokenUniqueReferences: ['DWSPMC0000000000unknown'],
      causedBy: 'ISSUER',
    });
    expect(unknown.statusCode).toBe(404);
    const malformed = await h.call('POST', path('delete'), {
      requestId: requestId(),
      tokenUniqueReferences: [],
    });
    expect(malformed.statusCode).toBe(400);
    expect(await statusAtMdes()).toBe('ACTIVE');
    expect(await events()).toEqual([]);
  });

  it('suspends once (a retry sends no second notification) and resumes, each with a Token Event Notification', async () => {
    const suspended = await change('suspend');
    expect(suspended.statusCode).toBe(200);
    expect(suspended.json()).toMatchObject({ tokens: [{ status: 'SUSPENDED', suspendedBy: 'CARDHOLDER' }] });
    expect((await change('suspend')).statusCode).toBe(200);
    expect((await change('unsuspend')).json()).toMatchObject({ tokens: [{ status: 'ACTIVE' }] });
    expect((await events()).map((e) => e.tokenEvent)).toEqual([
      { eventType: 'SUSPENDED', causedBy: 'CARDHOLDER', status: 'SUSPENDED' },
      { eventType: 'RESUMED', causedBy: 'CARDHOLDER', status: 'ACTIVE' },
    ]);
  });

  it('moves the token to a replacement card: new last four digits and expiry, each announced', async () => {
    const updated = await h.call('POST', path('update'), {
      requestId: requestId(),
      tokenUniqueReferences: [reference],
      causedBy: 'ISSUER',
      accountPanSuffix: '0004',
      accountExpiry: '0931',
    });
    expect(updated.statusCode).toBe(200);
    expect(updated.json()).toMatchObject({ tokens: [{ status: 'ACTIVE', accountPanSuffix: '0004' }] });
    const last = (await events()).slice(-2);
    expect(last.map((e) => e.tokenEvent.eventType)).toEqual(['PAN_UPDATED', 'EXPIRY_UPDATED']);
    expect(last.every((e) => e.token.accountPanSuffix === '0004')).toBe(true);
  });

  it('deletes the token for good: a deleted token can no longer change', async () => {
    expect((await change('delete')).json()).toMatchObject({ tokens: [{ status: 'DELETED' }] });
    expect((await change('unsuspend')).statusCode).toBe(400);
    expect(await statusAtMdes()).toBe('DELETED');
    expect((await events()).at(-1)?.tokenEvent).toEqual({
      eventType: 'DELETED',
      causedBy: 'CARDHOLDER',
      status: 'DELETED',
    });
  });
});
