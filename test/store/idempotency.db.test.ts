import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import type { Database } from '../../src/core/db.js';
import { IdempotencyStore, requestFingerprint } from '../../src/store/idempotency.js';
import { prepareIssuerStore } from '../../src/store/store.js';
import { testDatabase } from '../support/database.js';

describe('idempotency keys', () => {
  let database: Database<unknown>;
  let store: IdempotencyStore;
  const clock = new ManualClock(new Date('2026-11-25T10:00:00Z'));

  beforeAll(async () => {
    database = await testDatabase();
    store = new IdempotencyStore(await prepareIssuerStore(database.db), clock, { staleAfterMs: 30_000 });
  });
  afterAll(async () => database.close());

  const body = { cardIds: ['crd_1'], tokenRequestorId: '50123456789' };
  const run = { kind: 'run', claimedAt: expect.any(Date) };

  it('runs once, then replays the stored answer for the same body', async () => {
    expect(await store.claim('chd_a', 'key-00000001', requestFingerprint(body))).toEqual(run);
    await store.complete('chd_a', 'key-00000001', { status: 201, body: { id: 'prv_1' } });
    expect(await store.claim('chd_a', 'key-00000001', requestFingerprint({ ...body }))).toEqual({
      kind: 'replay',
      response: { status: 201, body: { id: 'prv_1' } },
    });
  });

  it('refuses the same key with another body (422), and keys are per cardholder', async () => {
    await expect(
      store.claim('chd_a', 'key-00000001', requestFingerprint({ other: true })),
    ).rejects.toMatchObject({
      code: 'IDEMPOTENCY_KEY_REUSED',
      status: 422,
    });
    expect(await store.claim('chd_b', 'key-00000001', requestFingerprint({ other: true }))).toEqual(run);
  });

  it('refuses a concurrent duplicate, and lets a retry take over an abandoned claim once stale', async () => {
    const hash = requestFingerprint(body);
    expect(await store.claim('chd_a', 'key-00000002', hash)).toEqual(run);
    await expect(store.claim('chd_a', 'key-00000002', hash)).rejects.toMatchObject({
      code: 'IDEMPOTENCY_IN_PROGRESS',
      status: 409,
    });
    clock.advance(31_000);
    const takeovers = await Promise.allSettled([
      store.claim('chd_a', 'key-00000002', hash),
      store.claim('chd_a', 'key-00000002', hash),
    ]);
    expect(takeovers.filter((t) => t.status === 'fulfilled')).toHaveLength(1);
  });

  it('rejects malformed keys and lets a released claim run again', async () => {
    await expect(store.claim('chd_a', 'short', 'h')).rejects.toMatchObject({
      code: 'IDEMPOTENCY_KEY_INVALID',
      status: 400,
    });
    expect(await store.claim('chd_a', 'key-00000003', 'h')).toEqual(run);
    await store.release('chd_a', 'key-00000003');
    expect(await store.claim('chd_a', 'key-00000003', 'h')).toEqual(run);
  });

  it('binds the answer inside the caller’s transaction: rolled back with it, kept once it commits', async () => {
    const db = await prepareIssuerStore(database.db);
    const hash = requestFingerprint(body);
    const claim = await store.claim('chd_a', 'key-00000004', hash);
    if (claim.kind !== 'run') throw new Error('expected to run');
    await expect(
      db.transaction().execute(async (tx) => {
        await store.complete('chd_a', 'key-00000004', { status: 201, body: { id: 'prv_4' } }, { tx });
        throw new Error('the work failed');
      }),
    ).rejects.toThrow('the work failed');
    // Not bound: still in progress, then taken over once stale.
    await expect(store.claim('chd_a', 'key-00000004', hash)).rejects.toMatchObject({
      code: 'IDEMPOTENCY_IN_PROGRESS',
    });
    await db.transaction().execute(async (tx) => {
      await store.complete(
        'chd_a',
        'key-00000004',
        { status: 201, body: { id: 'prv_4' } },
        { tx, claimedAt: claim.claimedAt },
      );
    });
    expect(await store.claim('chd_a', 'key-00000004', hash)).toEqual({
      kind: 'replay',
      response: { status: 201, body: { id: 'prv_4' } },
    });
  });

  it('lets only the run holding the claim bind or release it, once a retry took it over', async () => {
    const hash = requestFingerprint(body);
    const first = await store.claim('chd_a', 'key-00000005', hash);
    clock.advance(31_000);
    const second = await store.claim('chd_a', 'key-00000005', hash);
    if (first.kind !== 'run' || second.kind !== 'run') throw new Error('expected to run');
    await expect(
      store.complete('chd_a', 'key-00000005', { status: 201, body: { id: 'prv_a' } }, first),
    ).rejects.toMatchObject({ code: 'IDEMPOTENCY_IN_PROGRESS', status: 409 });
    await store.release('chd_a', 'key-00000005', first.claimedAt);
    await store.complete('chd_a', 'key-00000005', { status: 201, body: { id: 'prv_b' } }, second);
    await store.release('chd_a', 'key-00000005', second.claimedAt);
    expect(await store.claim('chd_a', 'key-00000005', hash)).toEqual({
      kind: 'replay',
      response: { status: 201, body: { id: 'prv_b' } },
    });
  });
});
