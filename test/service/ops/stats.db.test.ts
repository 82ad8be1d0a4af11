import fc from 'fast-check';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/core/clock.js';
import type { Database } from '../../../src/core/db.js';
import { ValidationError } from '../../../src/core/errors.js';
import { OpsStats } from '../../../src/service/ops/stats.js';
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

  it('counts every push in the window, however many (no row cap), by aggregating in the database', async () => {
    const many = 12_000;
    await sql`insert into provisionings
        (id, cardholder_id, destination, token_requestor_id, token_requestor_name, state, request_id,
         receipt_validity_minutes, created_at, updated_at)
      select 'prv_bulk' || lpad(i::text, 8, '0'), 'chd_test00000001', 'merchant', '50182375119', 'Demo Shop',
             'completed', 'bulk-' || i, 15, ${new Date(NOW - 5 * HOUR)}, ${new Date(NOW - 5 * HOUR + 40)}
      from generate_series(1, ${many}) as i`.execute(db);
    try {
      const { totals, latency } = await new OpsStats(db, clock).provisioning();
      expect(totals.find((t) => t.destination === 'merchant')?.states).toEqual({
        completed: many,
        receipt_issued: 1,
        expired: 1,
        cancelled: 1,
      });
      expect(latency.find((l) => l.destination === 'merchant')).toEqual({
        destination: 'merchant',
        count: many,
        p50: 40,
        p90: 40,
        p99: 40,
      });
    } finally {
      await db.deleteFrom('provisionings').where('id', 'like', 'prv_bulk%').execute();
    }
  });
});

/** The nearest-rank percentile the dashboard promises, computed in the test as the reference. */
function nearestRank(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length))) - 1]!;
}

describe('settle-time percentiles computed by the database', () => {
  let database: Database<unknown>;
  let db: IssuerDb;
  beforeAll(async () => {
    database = await testDatabase();
    db = await prepareIssuerStore(database.db);
  });
  afterAll(async () => database?.close());

  it('are the nearest-rank percentiles of the settle times', async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 0, max: 1e6 }), { minLength: 1, maxLength: 60 }),
        async (ms) => {
          run += 1;
          await db.deleteFrom('provisionings').execute();
          await db
            .insertInto('provisionings')
            .values(
              ms.map((took, i) => ({
                id: `prv_p${run}x${i}`,
                cardholder_id: 'chd_test00000001',
                destination: 'click_to_pay' as const,
                token_requestor_id: '50123197928',
                token_requestor_name: 'Click to Pay',
                state: i % 3 === 0 ? 'failed' : 'completed',
                request_id: `req-p${run}-${i}`,
                receipt_validity_minutes: 15,
                created_at: new Date(NOW - HOUR),
                updated_at: new Date(NOW - HOUR + took),
              })),
            )
            .execute();
          const [latency] = (await new OpsStats(db, new ManualClock(NOW)).provisioning()).latency;
          const sorted = [...ms].sort((a, b) => a - b);
          expect(latency).toEqual({
            destination: 'click_to_pay',
            count: ms.length,
            p50: nearestRank(sorted, 50),
            p90: nearestRank(sorted, 90),
            p99: nearestRank(sorted, 99),
          });
        },
      ),
      { numRuns: 25 },
    );
  });
});
