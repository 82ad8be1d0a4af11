import { mkdirSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import {
  Kysely,
  type Kysely as KyselyType,
  type Migration,
  type MigrationProvider,
  Migrator,
  type PostgresCursor,
  PostgresDialect,
  type PostgresPool,
  type PostgresPoolClient,
  type PostgresQueryResult,
  sql,
} from 'kysely';
import pg from 'pg';
import { lockDataDir } from './data-dir-lock.js';
import { PushprovError } from './errors.js';
import { registerStatementCounter, StatementCounter } from './statements.js';

/**
 * One way to open the database, whichever engine is behind it: PostgreSQL
 * when a URL is given, otherwise PostgreSQL compiled to WebAssembly (PGlite),
 * on disk or in memory. The same SQL and migrations run on both.
 */
export type DatabaseTarget =
  | { url: string }
  | { dataDir: string }
  // `from`: a data directory dumped by PGlite, so a copy opens without initdb (tests open many).
  | { memory: true; from?: Blob };

export interface Database<T> {
  readonly db: KyselyType<T>;
  readonly engine: 'postgres' | 'pglite';
  /** Every statement and transaction run through `db` (also found by `statementCounterOf(db)`). */
  readonly statements: StatementCounter;
  close(): Promise<void>;
}

const INT8_OID = 20;
const NUMERIC_OID = 1700;

// Counts and sums come back as int8; both engines give numbers, not strings
// or bigints, so queries behave the same on each (values stay < 2^53).
pg.types.setTypeParser(INT8_OID, (v) => Number(v));

export async function openDatabase<T>(target: DatabaseTarget): Promise<Database<T>> {
  if ('url' in target) {
    const pool = new pg.Pool({ connectionString: target.url, max: 10 });
    // An idle connection the server drops (restart, administrator) is only
    // discarded by the pool; without a listener it would crash the process.
    pool.on('error', () => {});
    const statements = new StatementCounter();
    const db = new Kysely<T>({ dialect: new PostgresDialect({ pool: new CountingPool(pool, statements) }) });
    registerStatementCounter(db, statements);
    return { db, engine: 'postgres', statements, close: () => db.destroy() };
  }
  let lock: { release(): void } | undefined;
  if ('dataDir' in target) {
    mkdirSync(target.dataDir, { recursive: true });
    lock = lockDataDir(target.dataDir);
  }
  // One options object: given a data directory that is not a string, PGlite ignores its second argument.
  const pglite = new PGlite({
    ...('dataDir' in target && { dataDir: target.dataDir }),
    ...('from' in target && target.from && { loadDataDir: target.from }),
    parsers: { [INT8_OID]: (v: string) => Number(v), [NUMERIC_OID]: (v: string) => Number(v) },
  });
  try {
    await pglite.waitReady;
  } catch (error) {
    lock?.release();
    throw error;
  }
  const statements = new StatementCounter();
  const db = new Kysely<T>({
    dialect: new PostgresDialect({ pool: new CountingPool(new PGlitePool(pglite), statements) }),
  });
  registerStatementCounter(db, statements);
  return {
    db,
    engine: 'pglite',
    statements,
    close: async () => {
      await db.destroy();
      await pglite.close();
      lock?.release();
    },
  };
}

/** Hands out connections that report each statement to the counter before running it. */
class CountingPool implements PostgresPool {
  constructor(
    readonly pool: PostgresPool,
    readonly counter: StatementCounter,
  ) {}

  async connect(): Promise<PostgresPoolClient> {
    const client = await this.pool.connect();
    const counter = this.counter;
    return {
      query: ((sqlOrCursor: string | PostgresCursor<unknown>, parameters?: ReadonlyArray<unknown>) => {
        counter.observe(typeof sqlOrCursor === 'string' ? sqlOrCursor : 'cursor');
        return typeof sqlOrCursor === 'string'
          ? client.query(sqlOrCursor, parameters ?? [])
          : client.query(sqlOrCursor);
      }) as PostgresPoolClient['query'],
      release: (destroy?: boolean) => client.release(destroy),
    };
  }

  end(): Promise<void> {
    return this.pool.end();
  }
}

/**
 * PGlite is a single session, so the "pool" hands out that one session to one
 * holder at a time; a transaction keeps it until it commits or rolls back.
 */
class PGlitePool implements PostgresPool {
  readonly #pglite: PGlite;
  #tail: Promise<void> = Promise.resolve();

  constructor(pglite: PGlite) {
    this.#pglite = pglite;
  }

  async connect(): Promise<PostgresPoolClient> {
    let release!: () => void;
    const previous = this.#tail;
    this.#tail = new Promise<void>((resolve) => {
      release = resolve;
    });
    await previous;
    return new PGliteSession(this.#pglite, release);
  }

  async end(): Promise<void> {
    await this.#tail;
  }
}

class PGliteSession implements PostgresPoolClient {
  constructor(
    readonly pglite: PGlite,
    readonly release: () => void,
  ) {}

  query<R>(sql: string, parameters: ReadonlyArray<unknown>): Promise<PostgresQueryResult<R>>;
  query<R>(cursor: PostgresCursor<R>): PostgresCursor<R>;
  query<R>(
    sqlOrCursor: string | PostgresCursor<R>,
    parameters?: ReadonlyArray<unknown>,
  ): Promise<PostgresQueryResult<R>> | PostgresCursor<R> {
    if (typeof sqlOrCursor !== 'string') throw new Error('cursors are not supported on PGlite');
    return this.pglite.query<R>(sqlOrCursor, [...(parameters ?? [])]).then((result) => ({
      command: commandOf(sqlOrCursor),
      rowCount: result.affectedRows ?? 0,
      rows: result.rows,
    }));
  }
}

// Kysely reads the command only to know whether a row count applies.
const commandOf = (sql: string): PostgresQueryResult<unknown>['command'] => {
  const word = /\b(insert|update|delete|merge)\b/i.exec(sql)?.[1];
  return (word?.toUpperCase() ?? 'SELECT') as PostgresQueryResult<unknown>['command'];
};

/**
 * Runs a named set of migrations, each owner (issuer store, simulator,
 * merchant) with its own bookkeeping table so they can share one database.
 */
export async function migrate<T>(
  db: KyselyType<T>,
  migrations: Record<string, Migration>,
  tableName: string,
): Promise<string[]> {
  const provider: MigrationProvider = { getMigrations: async () => migrations };
  const migrator = new Migrator({
    db,
    provider,
    migrationTableName: tableName,
    migrationLockTableName: `${tableName}_lock`,
    // Parallel branches add migrations with interleaved numbers; each runs once.
    allowUnorderedMigrations: true,
  });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    throw new PushprovError('DB_MIGRATION_FAILED', `migrations '${tableName}' failed`, { cause: error });
  }
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}

/**
 * Readiness of one migration set: the database answers and every migration
 * of the set is applied. Returns the problems, empty when ready.
 */
export async function migrationReadiness<T>(
  db: KyselyType<T>,
  migrations: Record<string, Migration>,
  tableName: string,
): Promise<string[]> {
  await sql`select 1`.execute(db);
  const migrator = new Migrator({
    db,
    provider: { getMigrations: async () => migrations },
    migrationTableName: tableName,
    migrationLockTableName: `${tableName}_lock`,
  });
  const pending = (await migrator.getMigrations())
    .filter((m) => m.executedAt === undefined)
    .map((m) => m.name);
  return pending.length > 0 ? [`${tableName}: migrations not applied: ${pending.join(', ')}`] : [];
}
