import { createHash } from 'node:crypto';
import type { Kysely, Transaction } from 'kysely';
import type { Clock } from '../core/clock.js';
import { ConflictError, PushprovError } from '../core/errors.js';
import type { IssuerSchema } from './schema.js';

/**
 * `Idempotency-Key` semantics, as Stripe made them familiar: the first request
 * with a key runs and its answer is kept; the same key with the same body
 * gets that answer again without running anything; the same key with another
 * body is refused (422). A key whose first run is still going is refused with
 * 409 so the caller retries; one abandoned by a crash can be taken over once
 * `staleAfterMs` has passed, because the work behind it is itself resumable.
 */
export interface StoredResponse {
  status: number;
  body: unknown;
}

/** `run`: this caller owns the key; `claimedAt` fences its `complete` against a later takeover. */
export type IdempotencyClaim =
  | { kind: 'run'; claimedAt: Date }
  | { kind: 'replay'; response: StoredResponse };

type Db = Kysely<IssuerSchema> | Transaction<IssuerSchema>;

const DAY = 24 * 60 * 60 * 1000;

export const requestFingerprint = (body: unknown): string =>
  createHash('sha256')
    .update(JSON.stringify(body ?? null))
    .digest('hex');

function assertKey(key: string): void {
  if (!/^[\w.:-]{8,128}$/.test(key)) {
    throw new PushprovError(
      'IDEMPOTENCY_KEY_INVALID',
      'Idempotency-Key must be 8–128 characters of letters, digits, _ . : -',
      { status: 400 },
    );
  }
}

export class IdempotencyStore {
  constructor(
    private readonly db: Kysely<IssuerSchema>,
    private readonly clock: Clock,
    private readonly options: { ttlMs?: number; staleAfterMs?: number } = {},
  ) {}

  async claim(scope: string, key: string, requestHash: string): Promise<IdempotencyClaim> {
    assertKey(key);
    const now = this.clock.now();
    const inserted = await this.db
      .insertInto('idempotency_keys')
      .values({
        scope,
        key,
        request_hash: requestHash,
        response_status: null,
        response_body: null,
        created_at: now,
        expires_at: new Date(now.getTime() + (this.options.ttlMs ?? DAY)),
      })
      .onConflict((oc) => oc.columns(['scope', 'key']).doNothing())
      .returning('key')
      .executeTakeFirst();
    if (inserted) return { kind: 'run', claimedAt: now };

    const existing = await this.db
      .selectFrom('idempotency_keys')
      .selectAll()
      .where('scope', '=', scope)
      .where('key', '=', key)
      .executeTakeFirstOrThrow();
    if (existing.request_hash !== requestHash) {
      throw new PushprovError(
        'IDEMPOTENCY_KEY_REUSED',
        'this Idempotency-Key was used with a different request',
        {
          status: 422,
        },
      );
    }
    if (existing.response_status !== null) {
      return { kind: 'replay', response: { status: existing.response_status, body: existing.response_body } };
    }
    const staleAfter = this.options.staleAfterMs ?? 30_000;
    if (now.getTime() - existing.created_at.getTime() < staleAfter) {
      throw new ConflictError(
        'IDEMPOTENCY_IN_PROGRESS',
        'a request with this Idempotency-Key is still being processed; retry shortly',
      );
    }
    // Abandoned by a crash: take it over (atomically, so only one retry wins).
    const taken = await this.db
      .updateTable('idempotency_keys')
      .set({ created_at: now })
      .where('scope', '=', scope)
      .where('key', '=', key)
      .where('created_at', '=', existing.created_at)
      .where('response_status', 'is', null)
      .executeTakeFirst();
    if (taken.numUpdatedRows === 0n) {
      throw new ConflictError(
        'IDEMPOTENCY_IN_PROGRESS',
        'a request with this Idempotency-Key is still being processed; retry shortly',
      );
    }
    return { kind: 'run', claimedAt: now };
  }

  /**
   * Claims the key and records the run's answer at once, in `tx`, the
   * transaction that writes the run's work: the key is bound exactly when
   * that work commits, and a crash before the commit leaves nothing behind.
   * A run of the same key in another transaction waits here until that one
   * ends. False when the key is taken (answered, or claimed by a run that
   * may still be going): `claim` then says whether to replay or refuse. A
   * key abandoned by a crashed `claim` is taken over, as `claim` would.
   */
  async bind(
    scope: string,
    key: string,
    requestHash: string,
    response: StoredResponse,
    tx: Transaction<IssuerSchema>,
  ): Promise<boolean> {
    assertKey(key);
    const now = this.clock.now();
    const staleBefore = new Date(now.getTime() - (this.options.staleAfterMs ?? 30_000));
    const bound = await tx
      .insertInto('idempotency_keys')
      .values({
        scope,
        key,
        request_hash: requestHash,
        response_status: response.status,
        response_body: JSON.stringify(response.body),
        created_at: now,
        expires_at: new Date(now.getTime() + (this.options.ttlMs ?? DAY)),
      })
      .onConflict((oc) =>
        oc
          .columns(['scope', 'key'])
          .doUpdateSet((eb) => ({
            response_status: eb.ref('excluded.response_status'),
            response_body: eb.ref('excluded.response_body'),
            created_at: eb.ref('excluded.created_at'),
            expires_at: eb.ref('excluded.expires_at'),
          }))
          .where('idempotency_keys.response_status', 'is', null)
          .where('idempotency_keys.created_at', '<', staleBefore)
          .whereRef('idempotency_keys.request_hash', '=', 'excluded.request_hash'),
      )
      .returning('key')
      .executeTakeFirst();
    return bound !== undefined;
  }

  /**
   * Records the answer of a run. Given `tx`, the transaction that writes the
   * run's work, the answer commits with that work or not at all; given
   * `claimedAt`, only the run holding that claim may record it (a run whose
   * claim a retry took over gets IDEMPOTENCY_IN_PROGRESS, rolling `tx` back).
   */
  async complete(
    scope: string,
    key: string,
    response: StoredResponse,
    options: { tx?: Db; claimedAt?: Date } = {},
  ): Promise<void> {
    let update = (options.tx ?? this.db)
      .updateTable('idempotency_keys')
      .set({ response_status: response.status, response_body: JSON.stringify(response.body) })
      .where('scope', '=', scope)
      .where('key', '=', key);
    if (options.claimedAt) {
      update = update.where('created_at', '=', options.claimedAt).where('response_status', 'is', null);
    }
    const result = await update.executeTakeFirst();
    if (options.claimedAt && result.numUpdatedRows === 0n) {
      throw new ConflictError(
        'IDEMPOTENCY_IN_PROGRESS',
        'a request with this Idempotency-Key is still being processed; retry shortly',
      );
    }
  }

  /**
   * Forgets a claim whose run failed before changing anything, so the caller
   * may retry with the same key. A key with an answer is kept, and so is one
   * another run has taken over since `claimedAt`.
   */
  async release(scope: string, key: string, claimedAt?: Date): Promise<void> {
    let remove = this.db
      .deleteFrom('idempotency_keys')
      .where('scope', '=', scope)
      .where('key', '=', key)
      .where('response_status', 'is', null);
    if (claimedAt) remove = remove.where('created_at', '=', claimedAt);
    await remove.execute();
  }

  async purgeExpired(): Promise<number> {
    const result = await this.db
      .deleteFrom('idempotency_keys')
      .where('expires_at', '<', this.clock.now())
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}
