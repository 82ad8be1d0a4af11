import type { Kysely, Transaction } from 'kysely';
import type { IssuerSchema } from './schema.js';

/** A transaction on the issuer's database; a repository method given one runs its statements in it. */
export type StoreTransaction = Transaction<IssuerSchema>;

/**
 * Opens the transaction a use case writes through several repositories in
 * (a push record, its audit entry, its idempotency key), so that they commit
 * or roll back together. Services open transactions only through this: the
 * database handle stays inside the store.
 */
interface Transactional {
  transaction<T>(work: (tx: StoreTransaction) => Promise<T>): Promise<T>;
}

/** A repository on the issuer's database, which can open a transaction for its callers. */
export abstract class IssuerRepository implements Transactional {
  constructor(protected readonly db: Kysely<IssuerSchema>) {}

  transaction<T>(work: (tx: StoreTransaction) => Promise<T>): Promise<T> {
    return this.db.transaction().execute(work);
  }
}
