import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * Counts the SQL statements and transactions a database connection runs,
 * in total and per unit of work (an HTTP request, a job run): the cost of a
 * use case in round trips, which is deterministic where time is not, so a
 * test can pin it and a benchmark can report it per push.
 *
 * Counted at the driver, below Kysely, so `begin`/`commit` and raw `sql`
 * count too; a transaction is counted once, at its `begin`.
 */
export interface StatementTally {
  statements: number;
  transactions: number;
}

/** A unit of work being counted; `useCase` names it more finely than its route (a merchant or a Click to Pay push). */
export interface StatementScope extends StatementTally {
  useCase?: string;
}

const scopes = new AsyncLocalStorage<StatementScope>();

export const emptyTally = (): StatementTally => ({ statements: 0, transactions: 0 });

/** Runs `work` as its own counted unit: what it runs (and what it starts and awaits) adds to `scope`. */
export function withStatementScope<T>(scope: StatementScope, work: () => T): T {
  return scopes.run(scope, work);
}

/** The unit of work being counted here, if any. */
export const currentStatementScope = (): StatementScope | undefined => scopes.getStore();

/** Names the current unit of work's use case (no effect outside a counted unit). */
export function labelStatementScope(useCase: string): void {
  const scope = scopes.getStore();
  if (scope) scope.useCase = useCase;
}

const BEGIN = /^\s*(begin|start\s+transaction)\b/i;

/** The running totals of one database; `outside` is what ran in no counted unit (background jobs, start-up). */
export class StatementCounter {
  readonly total: StatementTally = emptyTally();
  readonly outside: StatementTally = emptyTally();

  observe(sql: string): void {
    const transaction = BEGIN.test(sql) ? 1 : 0;
    const scope = scopes.getStore() ?? this.outside;
    for (const tally of [this.total, scope]) {
      tally.statements += 1;
      tally.transactions += transaction;
    }
  }
}

// Keyed by the Kysely instance (or any handle) the counter's statements run through.
const counters = new WeakMap<object, StatementCounter>();

export function registerStatementCounter(handle: object, counter: StatementCounter): void {
  counters.set(handle, counter);
}

/** The counter of a database handle opened by `openDatabase`; undefined for any other. */
export const statementCounterOf = (handle: object): StatementCounter | undefined => counters.get(handle);
