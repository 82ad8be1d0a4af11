import { sql } from 'kysely';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { type Database, openDatabase } from '../../src/core/db.js';
import type { PushMultipleAccountsInput } from '../../src/mastercard/token-connect/client.js';
import { TokenConnectError } from '../../src/mastercard/token-connect/errors.js';
import type { PushMultipleAccountsResponse } from '../../src/mastercard/token-connect/types.js';
import { ProvisioningService } from '../../src/service/provisioning/index.js';
import { TokenRequestorDirectory } from '../../src/service/token-requestors.js';
import { AuditLog } from '../../src/store/audit.js';
import { IdempotencyStore } from '../../src/store/idempotency.js';
import { ProvisioningJobRepository } from '../../src/store/provisioning-jobs.js';
import { ProvisioningRepository } from '../../src/store/provisionings.js';
import { type IssuerDb, prepareIssuerStore } from '../../src/store/store.js';
import { fakeCardSource } from '../support/card-source.js';
import { testDatabase } from '../support/database.js';
import { ALICE_CARD, ALICE_PROFILE, demoShop } from '../support/provisioning-fixtures.js';
import { testSealer } from '../support/sealer.js';

const RANGE = '555555555';
const SHOP = '50000000001';
const LEASE_MS = 60_000;
const shop = demoShop(SHOP, RANGE);

/**
 * The push jobs with several instances on one database: each instance is a
 * ProvisioningService of its own (on PostgreSQL with a connection pool of
 * its own), all of them talking to one Mastercard that counts the calls.
 */
describe('push jobs across instances', () => {
  let database: Database<unknown> & { url?: string };
  let second: Database<unknown> | undefined;
  const clock = new ManualClock(new Date('2026-12-01T10:00:00Z'));
  const calls = new Map<string, number>();
  let mdesAway = true;
  let key = 0;

  const pushMultipleAccounts = async (
    input: PushMultipleAccountsInput,
  ): Promise<PushMultipleAccountsResponse> => {
    const requestId = input.requestId ?? '';
    calls.set(requestId, (calls.get(requestId) ?? 0) + 1);
    // An answer takes a while, as Mastercard's does: long enough for another instance to look meanwhile.
    await new Promise((resolve) => setTimeout(resolve, 15));
    if (mdesAway) {
      throw new TokenConnectError('TOKEN_CONNECT_UNREACHABLE', {
        operation: 'pushMultipleAccounts',
        requestId,
        attempts: 1,
        recoverable: true,
      });
    }
    return {
      responseId: requestId,
      pushAccountReceipts: input.accounts.map((a) => ({
        pushAccountId: a.pushAccountId,
        pushAccountReceipt: `MCC-${a.pushAccountId}`,
      })),
    };
  };

  // The instances share the vault's keys, as instances on one keyring do.
  const sealer = testSealer();
  const instance = (db: IssuerDb) => {
    const directory = new TokenRequestorDirectory({
      client: {
        getEligibleTokenRequestors: async () => ({ responseId: 'r', tokenRequestors: [shop] }),
        getAsset: async () => ({ mediaContents: [] }),
      },
      accountRanges: [RANGE],
      clickToPayTokenRequestorId: '50123197928',
      clock,
    });
    const claims = new ProvisioningJobRepository(db, LEASE_MS);
    const service = new ProvisioningService({
      repository: new ProvisioningRepository(db, sealer),
      claims,
      audit: new AuditLog(db, clock),
      idempotency: new IdempotencyStore(db, clock),
      cards: fakeCardSource({
        ownedCard: async (holder, id) =>
          holder === ALICE_CARD.cardholderId && id === ALICE_CARD.id ? ALICE_CARD : undefined,
        listCards: async (holder) => (holder === ALICE_CARD.cardholderId ? [ALICE_CARD] : []),
        revealCardData: async () => ({ pan: '5555555555554444' }),
        profile: async () => ALICE_PROFILE,
      }),
      directory,
      client: { pushMultipleAccounts },
      clock,
      issuerUrl: 'https://bank.test',
      accountRanges: [RANGE],
    });
    return { service, claims };
  };
  let a: ReturnType<typeof instance>;
  let b: ReturnType<typeof instance>;
  let db: IssuerDb;

  const newPush = async () =>
    (
      await a.service.push({
        cardholderId: 'chd_alice',
        cardIds: ['crd_gb'],
        tokenRequestorId: SHOP,
        consent: true,
        idempotencyKey: `jobs-key-${String(++key).padStart(6, '0')}`,
      })
    ).view.id;
  /** Pushes that Mastercard did not answer: left pending for reconciliation. */
  const pendingPushes = async (n: number): Promise<{ id: string; requestId: string }[]> => {
    mdesAway = true;
    const ids: string[] = [];
    for (let i = 0; i < n; i++) {
      ids.push(await newPush());
    }
    const { rows } = await sql<{ id: string; request_id: string }>`select id, request_id from provisionings
      where id in (${sql.join(ids)})`.execute(db);
    calls.clear();
    return rows.map((r) => ({ id: r.id, requestId: r.request_id }));
  };
  const states = async (ids: readonly string[]) =>
    (
      await sql<{ state: string; attempts: number }>`select state, attempts from provisionings
        where id in (${sql.join([...ids])})`.execute(db)
    ).rows;

  beforeAll(async () => {
    database = await testDatabase();
    db = await prepareIssuerStore(database.db);
    if (database.url) second = await openDatabase<unknown>({ url: database.url });
    a = instance(db);
    b = instance(second ? (second.db as IssuerDb) : db);
  });
  // Each test's pushes are the only ones due.
  beforeEach(async () => {
    await sql`delete from provisioning_cards`.execute(db);
    await sql`delete from provisionings`.execute(db);
  });
  afterAll(async () => {
    await second?.close();
    await database.close();
  });

  it('two instances reconciling at once ask Mastercard once per pending push, and finish them all', async () => {
    const pending = await pendingPushes(12);
    clock.advance(60_000);
    mdesAway = false;
    const handled = await Promise.all([a.service.reconcile(30_000), b.service.reconcile(30_000)]);
    expect(handled[0] + handled[1]).toBe(12);
    expect(pending.map((p) => calls.get(p.requestId) ?? 0)).toEqual(pending.map(() => 1));
    expect(await states(pending.map((p) => p.id))).toEqual(
      pending.map(() => ({ state: 'receipt_issued', attempts: 2 })),
    );
    // Nothing is left due: another round on either asks Mastercard nothing.
    expect(await Promise.all([a.service.reconcile(30_000), b.service.reconcile(30_000)])).toEqual([0, 0]);
  });

  it('a push claimed by an instance that died is taken over once its lease ends, and only then', async () => {
    const [pending] = await pendingPushes(1);
    clock.advance(60_000);
    mdesAway = false;
    // Instance a claims it, then dies: it never asks Mastercard nor releases the push.
    const dead = await a.claims.claimPending(clock.now(), clock.now(), 10);
    expect(dead.ids).toEqual([pending?.id]);
    expect(await b.service.reconcile(30_000)).toBe(0);
    clock.advance(LEASE_MS);
    expect(await b.service.reconcile(30_000)).toBe(1);
    expect(calls.get(pending?.requestId ?? '')).toBe(1);
    expect(await states([pending?.id ?? ''])).toEqual([{ state: 'receipt_issued', attempts: 2 }]);
    // The dead instance's late release finds its claim gone and changes nothing.
    expect(await a.claims.release(pending?.id ?? '', dead.lease)).toBe(false);
  });

  it('a late release by the instance that lost the lease leaves the new owner’s claim in place', async () => {
    const [pending] = await pendingPushes(1);
    clock.advance(60_000);
    const lost = await a.claims.claimPending(clock.now(), clock.now(), 10);
    clock.advance(LEASE_MS);
    const taken = await b.claims.claimPending(clock.now(), clock.now(), 10);
    expect(taken.ids).toEqual([pending?.id]);
    expect(await a.claims.release(pending?.id ?? '', lost.lease)).toBe(false);
    const { rows } = await sql<{ claimed_by: string | null }>`select claimed_by from provisionings
      where id = ${pending?.id ?? ''}`.execute(db);
    expect(rows[0]?.claimed_by).toBe(taken.lease.token);
    expect(await b.claims.release(pending?.id ?? '', taken.lease)).toBe(true);
  });

  it('two instances expiring receipts at once end each push once (one audit entry each)', async () => {
    mdesAway = false;
    const ids: string[] = [];
    for (let i = 0; i < 8; i++) {
      ids.push(await newPush());
    }
    clock.advance(16 * 60_000);
    const handled = await Promise.all([a.service.expireReceipts(), b.service.expireReceipts()]);
    expect(handled[0] + handled[1]).toBe(8);
    const { rows } = await sql<{
      subject: string;
      n: number;
    }>`select subject, count(*)::int as n from audit_log
      where action = 'provisioning.expired' and subject in (${sql.join(ids)}) group by subject`.execute(db);
    expect(rows.map((r) => r.n)).toEqual(ids.map(() => 1));
    expect(await Promise.all([a.service.expireReceipts(), b.service.expireReceipts()])).toEqual([0, 0]);
  });
});
