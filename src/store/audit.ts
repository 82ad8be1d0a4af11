import { createHash } from 'node:crypto';
import { type Kysely, sql, type Transaction } from 'kysely';
import type { Clock } from '../core/clock.js';
import type { IssuerSchema } from './schema.js';

/**
 * The append-only audit trail: who did what to which subject, when, with what
 * outcome. Details must never hold card data or PII: ids, codes and counts only.
 *
 * Tamper evidence without a global lock: an entry is appended freely, in the
 * transaction of the change it records, and listed as unsealed. The sealer
 * (`seal()`, one at a time across every instance) then chains unsealed entries
 * in the order it takes them: each seal's hash covers its entry and the seal
 * before it, so editing, deleting or reordering any sealed entry breaks
 * verification from there on. An entry is unsealed for about a second.
 * Entries written before seals existed keep their own chain (`prev_hash`,
 * `hash`), and the first seal follows its last entry.
 */
export interface AuditEntry {
  actor: string;
  action: string;
  subject?: string;
  outcome: string;
  details?: Record<string, unknown>;
}

export interface AuditRecord extends Required<Omit<AuditEntry, 'subject'>> {
  seq: number;
  at: Date;
  subject: string | null;
}

const GENESIS = '0'.repeat(64);
// One sealer at a time, across instances; appends never take it.
const SEAL_LOCK = 0x70757369;
const SEAL_BATCH = 1000;

type Executor = Kysely<IssuerSchema> | Transaction<IssuerSchema>;

function entryHash(prev: string, at: Date, e: AuditEntry): string {
  const canonical = canonicalJson([
    prev,
    at.toISOString(),
    e.actor,
    e.action,
    e.subject ?? null,
    e.outcome,
    e.details ?? {},
  ]);
  return createHash('sha256').update(canonical).digest('hex');
}

/** A seal: the entry (its position in the trail and its content) chained to the seal before it. */
const sealHash = (prev: string, seq: number, at: Date, e: AuditEntry): string =>
  entryHash(`${prev}:${seq}`, at, e);

const entryOf = (row: {
  actor: string;
  action: string;
  subject: string | null;
  outcome: string;
  details: Record<string, unknown>;
}): AuditEntry => ({
  actor: row.actor,
  action: row.action,
  outcome: row.outcome,
  details: row.details,
  ...(row.subject === null ? {} : { subject: row.subject }),
});

// jsonb does not keep key order, so the hash is taken over sorted keys.
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value).filter(([, v]) => v !== undefined);
    entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

export class AuditLog {
  constructor(
    private readonly db: Kysely<IssuerSchema>,
    private readonly clock: Clock,
  ) {}

  /** Appends one entry (no lock: sealing chains it later); pass a transaction to make it part of a larger change. */
  async append(entry: AuditEntry, executor?: Transaction<IssuerSchema>): Promise<void> {
    const run = async (tx: Executor) => {
      // Millisecond precision round-trips through timestamptz on both engines.
      const at = new Date(Math.floor(this.clock.now().getTime()));
      await sql`with entry as (
          insert into audit_log (at, actor, action, subject, outcome, details)
          values (${at}, ${entry.actor}, ${entry.action}, ${entry.subject ?? null}, ${entry.outcome},
                  ${JSON.stringify(entry.details ?? {})}::jsonb)
          returning seq)
        insert into audit_unsealed (seq) select seq from entry`.execute(tx);
    };
    // One statement: atomic on its own, so no transaction is opened for it.
    await run(executor ?? this.db);
  }

  /**
   * Chains every unsealed entry, a batch per transaction; returns how many.
   * Another instance already sealing is left to it (0).
   */
  async seal(): Promise<number> {
    let sealed = 0;
    for (;;) {
      const batch = await this.db.transaction().execute(async (tx) => {
        const { rows } = await sql<{
          locked: boolean;
        }>`select pg_try_advisory_xact_lock(${SEAL_LOCK}) as locked`.execute(tx);
        if (!rows[0]?.locked) return 0;
        const entries = await tx
          .selectFrom('audit_unsealed as u')
          .innerJoin('audit_log as a', 'a.seq', 'u.seq')
          .select(['a.seq', 'a.at', 'a.actor', 'a.action', 'a.subject', 'a.outcome', 'a.details'])
          .orderBy('a.seq')
          .limit(SEAL_BATCH)
          .execute();
        if (entries.length === 0) return 0;
        let prev = await this.#head(tx);
        const seals = entries.map((row) => {
          prev = sealHash(prev, row.seq, row.at, entryOf(row));
          return { seq: row.seq, hash: prev };
        });
        await tx.insertInto('audit_seals').values(seals).execute();
        await tx
          .deleteFrom('audit_unsealed')
          .where(
            'seq',
            'in',
            entries.map((e) => e.seq),
          )
          .execute();
        return entries.length;
      });
      sealed += batch;
      if (batch < SEAL_BATCH) return sealed;
    }
  }

  /** The hash the next seal follows: the last seal's, else the former chain's last entry's. */
  async #head(tx: Executor): Promise<string> {
    const seal = await tx
      .selectFrom('audit_seals')
      .select('hash')
      .orderBy('position', 'desc')
      .limit(1)
      .executeTakeFirst();
    if (seal) return seal.hash;
    const legacy = await tx
      .selectFrom('audit_log')
      .select('hash')
      .where('hash', 'is not', null)
      .orderBy('seq', 'desc')
      .limit(1)
      .executeTakeFirst();
    return legacy?.hash ?? GENESIS;
  }

  /** Entries about one subject (or several), oldest first. */
  /** The entries about any of `subjects`, or by any of `actors` (a cardholder's own actions on their tokens). */
  async history(
    subjects: readonly string[],
    limit = 500,
    actors: readonly string[] = [],
  ): Promise<AuditRecord[]> {
    if (subjects.length === 0 && actors.length === 0) return [];
    const rows = await this.db
      .selectFrom('audit_log')
      .select(['seq', 'at', 'actor', 'action', 'subject', 'outcome', 'details'])
      .where((eb) =>
        eb.or([
          ...(subjects.length > 0 ? [eb('subject', 'in', subjects)] : []),
          ...(actors.length > 0 ? [eb('actor', 'in', actors)] : []),
        ]),
      )
      .orderBy('seq')
      .limit(limit)
      .execute();
    return rows;
  }

  /**
   * Re-computes the whole chain a page at a time (memory stays flat however
   * long the trail): the former chain, then the seals. Returns the first
   * broken entry's sequence number (undefined when intact), how many entries
   * verified, and how many wait for their seal.
   */
  async verify(
    pageSize = 1000,
  ): Promise<{ brokenAt: number | undefined; checked: number; unsealed: number }> {
    const unsealed = Number(
      (
        await this.db
          .selectFrom('audit_unsealed')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );
    let prev = GENESIS;
    let checked = 0;
    // The former design's chain, by sequence number.
    for (let after = 0; ; ) {
      const rows = await this.db
        .selectFrom('audit_log')
        .selectAll()
        .where('hash', 'is not', null)
        .where('seq', '>', after)
        .orderBy('seq')
        .limit(pageSize)
        .execute();
      for (const row of rows) {
        if (row.prev_hash !== prev || row.hash !== entryHash(prev, row.at, entryOf(row)))
          return { brokenAt: row.seq, checked, unsealed };
        prev = row.hash;
        checked += 1;
        after = row.seq;
      }
      if (rows.length < pageSize) break;
    }
    // The seals, in the order they were made; a deleted entry leaves its seal without it.
    for (let after = 0; ; ) {
      const rows = await this.db
        .selectFrom('audit_seals as s')
        .leftJoin('audit_log as a', 'a.seq', 's.seq')
        .select([
          's.position',
          's.seq',
          's.hash',
          'a.at',
          'a.actor',
          'a.action',
          'a.subject',
          'a.outcome',
          'a.details',
        ])
        .where('s.position', '>', after)
        .orderBy('s.position')
        .limit(pageSize)
        .execute();
      for (const row of rows) {
        if (
          row.at === null ||
          row.actor === null ||
          row.action === null ||
          row.outcome === null ||
          row.details === null
        )
          return { brokenAt: row.seq, checked, unsealed };
        const expected = sealHash(
          prev,
          row.seq,
          row.at,
          entryOf({
            ...row,
            actor: row.actor,
            action: row.action,
            outcome: row.outcome,
            details: row.details,
          }),
        );
        if (row.hash !== expected) return { brokenAt: row.seq, checked, unsealed };
        prev = row.hash;
        checked += 1;
        after = Number(row.position);
      }
      if (rows.length < pageSize) break;
    }
    // An entry neither chained nor waiting for its seal lost its seal (the last ones, deleted).
    const orphan = await this.db
      .selectFrom('audit_log as a')
      .select((eb) => eb.fn.min('a.seq').as('seq'))
      .where('a.hash', 'is', null)
      .where(({ not, exists, selectFrom }) =>
        not(exists(selectFrom('audit_seals as s').select('s.seq').whereRef('s.seq', '=', 'a.seq'))),
      )
      .where(({ not, exists, selectFrom }) =>
        not(exists(selectFrom('audit_unsealed as u').select('u.seq').whereRef('u.seq', '=', 'a.seq'))),
      )
      .executeTakeFirst();
    return { brokenAt: orphan?.seq ?? undefined, checked, unsealed };
  }
}
