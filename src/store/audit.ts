import { createHash } from 'node:crypto';
import { type Kysely, sql, type Transaction } from 'kysely';
import type { Clock } from '../core/clock.js';
import type { IssuerSchema } from './schema.js';

/**
 * The append-only audit trail: who did what to which subject, when, with what
 * outcome. Each entry's hash covers its content and the previous entry's
 * hash, so editing or deleting any row breaks verification from that row on.
 * Details must never hold card data or PII: ids, codes and counts only.
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
// One chain, one writer at a time: appends in concurrent transactions take
// this advisory lock so no two rows claim the same predecessor.
const AUDIT_LOCK = 0x70757368;

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

  /** Appends one entry; pass a transaction to make it part of a larger change. */
  async append(entry: AuditEntry, executor?: Transaction<IssuerSchema>): Promise<void> {
    const run = async (tx: Executor) => {
      await sql`select pg_advisory_xact_lock(${AUDIT_LOCK})`.execute(tx);
      const last = await tx
        .selectFrom('audit_log')
        .select('hash')
        .orderBy('seq', 'desc')
        .limit(1)
        .executeTakeFirst();
      // Millisecond precision round-trips through timestamptz on both engines.
      const at = new Date(Math.floor(this.clock.now().getTime()));
      const prev = last?.hash ?? GENESIS;
      await tx
        .insertInto('audit_log')
        .values({
          at,
          actor: entry.actor,
          action: entry.action,
          subject: entry.subject ?? null,
          outcome: entry.outcome,
          details: JSON.stringify(entry.details ?? {}),
          prev_hash: prev,
          hash: entryHash(prev, at, entry),
        })
        .execute();
    };
    if (executor) await run(executor);
    else await this.db.transaction().execute(run);
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
   * long the trail): the first broken entry's sequence number, or undefined
   * when intact, and how many entries were checked.
   */
  async verify(pageSize = 1000): Promise<{ brokenAt: number | undefined; checked: number }> {
    let prev = GENESIS;
    let after = 0; // seq starts at 1
    let checked = 0;
    for (;;) {
      const rows = await this.db
        .selectFrom('audit_log')
        .selectAll()
        .where('seq', '>', after)
        .orderBy('seq')
        .limit(pageSize)
        .execute();
      for (const row of rows) {
        const expected = entryHash(prev, row.at, {
          actor: row.actor,
          action: row.action,
          outcome: row.outcome,
          details: row.details,
          ...(row.subject === null ? {} : { subject: row.subject }),
        });
        if (row.prev_hash !== prev || row.hash !== expected) return { brokenAt: row.seq, checked };
        prev = row.hash;
        checked += 1;
        after = row.seq;
      }
      if (rows.length < pageSize) return { brokenAt: undefined, checked };
    }
  }
}
