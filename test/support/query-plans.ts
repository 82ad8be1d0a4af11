import { CompiledQuery, type Kysely, type KyselyPlugin } from 'kysely';
import { systemClock } from '../../src/core/clock.js';
import { AuditLog } from '../../src/store/audit.js';
import { CardholderCardRepository } from '../../src/store/cards/cardholder-cards.js';
import { IdempotencyStore } from '../../src/store/idempotency.js';
import { OpsRepository } from '../../src/store/ops.js';
import { ProvisioningJobRepository } from '../../src/store/provisioning-jobs.js';
import { ProvisioningRepository } from '../../src/store/provisionings.js';
import type { IssuerSchema } from '../../src/store/schema.js';
import type { IssuerDb } from '../../src/store/store.js';
import { TokenRepository } from '../../src/store/tokens/tokens.js';
import { Keyring } from '../../src/store/vault/keyring.js';
import { Vault } from '../../src/store/vault/vault.js';

/** The issuer's tables that grow with cardholders and pushes: none may be read whole by a routine query. */
const GROWING = [
  'provisionings',
  'provisioning_cards',
  'tokens',
  'audit_log',
  'audit_seals',
  'mdes_notifications',
  'idempotency_keys',
  'cards',
  'cardholders',
];

/**
 * The queries `work` compiles (with their parameters), run against a handle
 * that records each; a failure after compiling (a placeholder that cannot be
 * opened, say) ends `work` but keeps what was recorded.
 */
export async function queriesOf(
  db: IssuerDb,
  work: (db: IssuerDb) => Promise<unknown>,
): Promise<CompiledQuery[]> {
  const captured: CompiledQuery[] = [];
  const recorder: KyselyPlugin = {
    transformQuery: ({ node, queryId }) => {
      captured.push(db.getExecutor().compileQuery(node, queryId));
      return node;
    },
    transformResult: async ({ result }) => result,
  };
  await work(db.withPlugin(recorder) as Kysely<IssuerSchema>).catch(() => {});
  return captured;
}

/** Each sequential scan of a growing table in the plans of `queries` (EXPLAIN, nothing run), with its query. */
export async function fullScansIn(db: IssuerDb, queries: readonly CompiledQuery[]): Promise<string[]> {
  const out: string[] = [];
  for (const q of queries) {
    const { rows } = await db.executeQuery<{ 'QUERY PLAN': string }>(
      CompiledQuery.raw(`explain ${q.sql}`, [...q.parameters]),
    );
    const plan = rows.map((r) => r['QUERY PLAN']).join('\n');
    for (const m of plan.matchAll(/Seq Scan on (\w+)/g)) {
      if (GROWING.includes(m[1] ?? '')) out.push(`${m[1]} in: ${q.sql.slice(0, 120)}`);
    }
  }
  return out;
}

const now = new Date();
const week = new Date(now.getTime() - 7 * 86_400_000);
// Rows of test/support/seed.ts.
const SOME_CARD = 'crd_seed42';
const SOME_HOLDER = 'chd_seed42';

/**
 * The key queries by where they run, as the store issues them (on rows of
 * a seeded database): the push path (writes planned and rolled back), the
 * background jobs' look-ups, and the ops dashboard with its cardholder search.
 */
export const KEY_QUERIES: Record<'push path' | 'jobs' | 'ops', (db: IssuerDb) => Promise<unknown>> = {
  'push path': async (db) => {
    const vault = new Vault(Keyring.generate(now));
    const repository = new ProvisioningRepository(db, vault);
    const cards = new CardholderCardRepository(db, vault);
    const audit = new AuditLog(db, systemClock);
    const idempotency = new IdempotencyStore(db, systemClock);
    await cards.forPush(SOME_HOLDER, [SOME_CARD]).catch(() => {});
    await new TokenRepository(db).liveTokenRequestors(SOME_CARD);
    await repository.get('prv_seed42');
    await repository.callbackToken('prv_seed42').catch(() => {});
    await repository.settleCards('prv_seed42', 'pending', 'receipt_issued', now, {}, [
      { cardId: SOME_CARD, state: 'failed', errorCode: 'X' },
    ]);
    await repository.findOpenPush(SOME_CARD, '50182375119', ['pending', 'receipt_issued'], now);
    await repository.findByPushAccountId('seed-pa-42');
    await repository.listByCardholder(SOME_HOLDER, 5);
    // The writes, planned but rolled back.
    await repository
      .transaction(async (tx) => {
        await idempotency.bind(SOME_HOLDER, 'plan-key-0001', 'h', { status: 201, body: {} }, tx);
        await repository.create(
          {
            id: 'prv_planned',
            cardholderId: SOME_HOLDER,
            destination: 'merchant',
            tokenRequestorId: '50182375119',
            tokenRequestorName: 'Shop',
            requestId: 'planned',
            receiptValidityMinutes: 15,
            callbackToken: 'x',
            cards: [{ cardId: SOME_CARD, pushAccountId: 'planned-pa' }],
            now,
          },
          tx,
        );
        await audit.append({ actor: SOME_HOLDER, action: 'plan', outcome: 'ok' }, tx);
        throw new Error('roll back');
      })
      .catch(() => {});
  },
  jobs: async (db) => {
    // The background jobs' claims (they take a few due rows, which no other plan here minds).
    const claims = new ProvisioningJobRepository(db, 60_000);
    await claims.claimPending(now, now, 16);
    await claims.claimExpired(now, 16);
    await new IdempotencyStore(db, systemClock).purgeExpired();
  },
  ops: async (db) => {
    const ops = new OpsRepository(db);
    await ops.pushCounts(week);
    await ops.settleTimes(week);
    await ops.recentFailures(week, 20, 'AUTHORIZE');
    await ops.cardholdersWithLastFour('0042');
    await ops.cardsOf(SOME_HOLDER);
    await ops.newestCardholders(20);
    const audit = new AuditLog(db, systemClock);
    await audit.history(['prv_seed42']);
    await audit.history([], 50, [SOME_HOLDER]);
  },
};
