import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/core/clock.js';
import type { Database } from '../../../src/core/db.js';
import { ValidationError } from '../../../src/core/errors.js';
import { OpsStats, percentile } from '../../../src/service/ops/stats.js';
import type { IssuerDb } from '../../../src/store/store.js';
import { prepareIssuerStore } from '../../../src/store/store.js';
import { testDatabase } from '../../support/database.js';

const NOW = Date.UTC(2026, 5, 10, 12);
const HOUR = 3_600_000;

describe('ops provisioning stats', () => {
  let database: Database<unknown>;
  let db: IssuerDb;
  const clock = new ManualClock(NOW);
  let n = 0;

  const row = (p: {
    destination: 'click_to_pay' | 'merchant';
    state: string;
    createdAgoMs: number;
    tookMs: number;
    errorCode?: string;
  }) => {
    n += 1;
    const created = new Date(NOW - p.createdAgoMs);
    return {
      id: `prv_test${String(n).padStart(8, '0')}`,
      cardholder_id: 'chd_test00000001',
      destination: p.destination,
      token_requestor_id: p.destination === 'click_to_pay' ? '50123197928' : '50182375119',
      token_requestor_name: p.destination === 'click_to_pay' ? 'Click to Pay' : 'Demo Shop',
      state: p.state,
      request_id: `req-${n}`,
      receipt_validity_minutes: 15,
      error_code: p.errorCode ?? null,
      created_at: created,
      updated_at: new Date(created.getTime() + p.tookMs),
    };
  };

  beforeAll(async () => {
    database = await testDatabase();
    db = await prepareIssuerStore(database.db);
    await db
      .insertInto('provisionings')
      .values([
        row({ destination: 'click_to_pay', state: 'completed', createdAgoMs: 1 * HOUR, tookMs: 100 }),
        row({ destination: 'click_to_pay', state: 'completed', createdAgoMs: 2 * HOUR, tookMs: 300 }),
        row({ destination: 'click_to_pay', state: 'completed', createdAgoMs: 3 * HOUR, tookMs: 200 }),
        row({
          destination: 'click_to_pay',
          state: 'failed',
          createdAgoMs: 4 * HOUR,
          tookMs: 900,
          errorCode: 'ACCOUNT_INELIGIBLE',
        }),
        row({ destination: 'merchant', state: 'receipt_issued', createdAgoMs: 30 * HOUR, tookMs: 50 }),
        row({
          destination: 'merchant',
          state: 'expired',
          createdAgoMs: 30 * HOUR,
          tookMs: 900_000,
          errorCode: 'RECEIPT_EXPIRED',
        }),
        // The cardholder cancelled at the merchant: their choice, not a failure.
        row({
          destination: 'merchant',
          state: 'failed',
          createdAgoMs: 30 * HOUR,
          tookMs: 60_000,
          errorCode: 'CARDHOLDER_CANCELLED',
        }),
        // Outside a 7-day window.
        row({ destination: 'merchant', state: 'completed', createdAgoMs: 8 * 24 * HOUR, tookMs: 10 }),
      ])
      .execute();
  });
  afterAll(async () => database?.close());

  it('counts by destination and state, per day, within the window', async () => {
    const stats = await new OpsStats(db, clock).provisioning(7);
    expect(stats.since).toBe(new Date(NOW - 7 * 24 * HOUR).toISOString());
    expect(Object.fromEntries(stats.totals.map((t) => [t.destination, t.states]))).toEqual({
      click_to_pay: { completed: 3, failed: 1 },
      merchant: { receipt_issued: 1, expired: 1, cancelled: 1 },
    });
    expect(stats.funnel).toEqual([
      { day: '2026-06-09', destination: 'merchant', states: { receipt_issued: 1, expired: 1, cancelled: 1 } },
      { day: '2026-06-10', destination: 'click_to_pay', states: { completed: 3, failed: 1 } },
    ]);
    const wider = await new OpsStats(db, clock).provisioning(9);
    expect(wider.totals.find((t) => t.destination === 'merchant')?.states.completed).toBe(1);
  });

  it('lists failures and expiries newest first, with their codes; a cancel is not one', async () => {
    const { failures } = await new OpsStats(db, clock).provisioning();
    expect(failures.map((f) => [f.state, f.errorCode, f.tokenRequestor])).toEqual([
      ['failed', 'ACCOUNT_INELIGIBLE', 'Click to Pay'],
      ['expired', 'RECEIPT_EXPIRED', 'Demo Shop'],
    ]);
  });

  it('gives settle-time percentiles of completed and failed pushes only (not cancels: a person deciding)', async () => {
    const { latency } = await new OpsStats(db, clock).provisioning();
    expect(latency).toEqual([{ destination: 'click_to_pay', count: 4, p50: 200, p90: 900, p99: 900 }]);
  });

  it('refuses a window outside 1–90 days', async () => {
    await expect(new OpsStats(db, clock).provisioning(0)).rejects.toBeInstanceOf(ValidationError);
    await expect(new OpsStats(db, clock).provisioning(91)).rejects.toThrow(/1 to 90/);
  });

  it('percentile is a member of the list, monotonic in p, and bounded by min and max', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 1e6 }), { minLength: 1, maxLength: 200 }),
        fc.integer({ min: 1, max: 100 }),
        fc.integer({ min: 1, max: 100 }),
        (values, p, q) => {
          const sorted = [...values].sort((a, b) => a - b);
          const [lo, hi] = p <= q ? [p, q] : [q, p];
          expect(sorted).toContain(percentile(sorted, lo));
          expect(percentile(sorted, lo)).toBeLessThanOrEqual(percentile(sorted, hi));
          expect(percentile(sorted, 100)).toBe(sorted.at(-1));
        },
      ),
    );
    expect(percentile([], 50)).toBe(0);
  });
});
