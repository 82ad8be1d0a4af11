/**
 * `npm run bench:growth`: what the push and the ops dashboard cost as the
 * data grows. For each size (PUSHPROV_GROWTH_SIZES, default "0,100000,1000000"
 * provisionings, with tokens, audit entries, cards and MDES notifications in
 * proportion; test/support/seed.ts) a fresh PostgreSQL database is seeded in
 * SQL, the parts are started as `bench:load` starts them, and it prints the
 * seeding time, table and index sizes, the ops statistics endpoint's latency
 * (7- and 90-day windows), any sequential scan of a growing table in the
 * plans of the push path's, the jobs' and the ops queries, and the push rate
 * at concurrency PUSHPROV_LOAD_CONCURRENCY (default 32) — as a ratio to the
 * empty database's, measured in the same run.
 *
 * PUSHPROV_LOAD_DATABASE_URL=postgres://…/name is required (databases
 * name_load_<n>_<pid> are created and dropped); PUSHPROV_LOAD_SECONDS (default 10).
 */
import { resolve } from 'node:path';
import { sql } from 'kysely';
import { openDatabase } from '../src/core/db.js';
import type { IssuerDb } from '../src/store/store.js';
import { fullScansIn, KEY_QUERIES, queriesOf } from '../test/support/query-plans.js';
import { seedGrowingTables } from '../test/support/seed.js';
import {
  cryptoFloor,
  type Deployment,
  deploy,
  type Phase,
  printPhase,
  runPhase,
  stop,
} from './load.bench.js';

const adminUrl = process.env.PUSHPROV_LOAD_DATABASE_URL;
const sizes = (process.env.PUSHPROV_GROWTH_SIZES ?? '0,100000,1000000').split(',').map(Number);
const seconds = Number(process.env.PUSHPROV_LOAD_SECONDS ?? 10);
const concurrency = Number(process.env.PUSHPROV_LOAD_CONCURRENCY ?? 32);

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;

async function opsLatency(d: Deployment, days: number): Promise<number> {
  const samples: number[] = [];
  for (let i = 0; i < 7; i++) {
    const t0 = performance.now();
    const r = await fetch(`${d.issuers[0]}/v1/ops/provisioning-stats?days=${days}`, {
      headers: { authorization: `Bearer ${d.opsKey}` },
    });
    await r.text();
    if (!r.ok) throw new Error(`provisioning-stats answered ${r.status}`);
    samples.push(performance.now() - t0);
  }
  return median(samples);
}

export async function runGrowthBench(): Promise<void> {
  if (!adminUrl) throw new Error('bench:growth needs PUSHPROV_LOAD_DATABASE_URL (PostgreSQL)');
  const floor = await cryptoFloor();
  const results: { size: number; phase: Phase }[] = [];
  for (const size of sizes) {
    // One deployment at a time, each on the same ports (slot 0).
    const d = await deploy(
      { name: `${size.toLocaleString('en')} seeded`, root: resolve(import.meta.dirname, '..') },
      0,
      1,
      adminUrl,
      concurrency * seconds * 12,
    );
    try {
      const database = await openDatabase<unknown>({ url: d.database?.url ?? '' });
      try {
        const t0 = performance.now();
        if (size > 0) await seedGrowingTables(database.db, size);
        const seedS = (performance.now() - t0) / 1000;
        const { rows } = await sql<{ name: string; rows: number; bytes: string }>`
          select c.relname as name, c.reltuples::bigint as rows, pg_size_pretty(pg_total_relation_size(c.oid)) as bytes
          from pg_class c join pg_namespace n on n.oid = c.relnamespace
          where n.nspname = 'public' and c.relkind = 'r'
            and c.relname in ('provisionings', 'provisioning_cards', 'tokens', 'audit_log', 'mdes_notifications', 'idempotency_keys', 'cards')
          order by pg_total_relation_size(c.oid) desc`.execute(database.db);
        const { rows: total } = await sql<{
          bytes: string;
        }>`select pg_size_pretty(pg_database_size(current_database())) as bytes`.execute(database.db);
        console.log(
          `\n== ${size.toLocaleString('en')} provisionings seeded in ${seedS.toFixed(1)} s; database ${total[0]?.bytes}`,
        );
        console.log(
          `  tables (rows, with indexes): ${rows.map((r) => `${r.name} ${Number(r.rows).toLocaleString('en')} ${r.bytes}`).join('; ')}`,
        );
        const issuerDb = database.db as IssuerDb;
        // On a nearly empty table a sequential scan is the planner's right choice: plans matter at volume.
        for (const [where, work] of size >= 10_000 ? Object.entries(KEY_QUERIES) : []) {
          const scans = await fullScansIn(issuerDb, await queriesOf(issuerDb, work));
          console.log(
            `  plans, ${where}: ${scans.length === 0 ? 'no sequential scan of a growing table' : scans.join('; ')}`,
          );
        }
      } finally {
        await database.close();
      }
      console.log(
        `  ops statistics: 7 days ${(await opsLatency(d, 7)).toFixed(0)} ms, 90 days ${(await opsLatency(d, 90)).toFixed(0)} ms (median of 7)`,
      );
      const phase = await runPhase(d, concurrency, seconds);
      results.push({ size, phase });
      printPhase(phase, floor, results[0]?.phase === phase ? undefined : results[0]?.phase);
    } finally {
      await stop(d);
    }
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await runGrowthBench();
