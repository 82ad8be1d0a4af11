import { type Kysely, type RawBuilder, sql } from 'kysely';
import { PushprovError } from '../../core/errors.js';
import { PREFIX } from './format.js';
import { type Kek, writeKeyringFile } from './keyring.js';
import type { Vault } from './vault.js';

/**
 * Key rotation without downtime. Sealed values live in `bytea` columns whose
 * names end in `_sealed` (the convention every issuer table follows, so a new
 * table is covered without registering it here). Re-wrapping moves each
 * value's data key under the active KEK in batches, each its own
 * transaction, walking the primary key so an interrupted run resumes where
 * it left off by running again. A row is only written if it still holds the
 * blob that was read, so a value a request rewrote in the meantime is left
 * as the request wrote it. The simulator (`mc_`) and the demo merchant
 * (`merchant_`) keep their own keys and are not touched.
 */
export interface SealedColumn {
  table: string;
  column: string;
  primaryKey: string[];
}

export interface RewrapProgress {
  table: string;
  column: string;
  done: number;
  total: number;
}

export interface RewrapReport {
  rewrapped: number;
  /** Values changed by someone else between read and write (already sealed afresh). */
  skipped: number;
  /** Values that could not be re-wrapped (unknown KEK, damaged), by column. */
  failed: { table: string; column: string; count: number; codes: string[] }[];
}

export interface RewrapOptions {
  batchSize?: number;
  onProgress?: (progress: RewrapProgress) => void;
}

const OTHER_OWNERS = ['mc\\_%', 'merchant\\_%'];

export async function sealedColumns<T>(db: Kysely<T>): Promise<SealedColumn[]> {
  const { rows } = await sql<{ table_name: string; column_name: string }>`
    select table_name, column_name from information_schema.columns
    where table_schema = current_schema() and data_type = 'bytea' and column_name like '%\\_sealed'
      and ${sql.join(
        OTHER_OWNERS.map((p) => sql`table_name not like ${p}`),
        sql` and `,
      )}
    order by table_name, column_name`.execute(db);
  const keys = await primaryKeys(db);
  return rows.map((r) => {
    const primaryKey = keys.get(r.table_name);
    if (!primaryKey) {
      throw new PushprovError(
        'VAULT_TABLE_WITHOUT_KEY',
        `table ${r.table_name} has sealed values but no primary key`,
      );
    }
    return { table: r.table_name, column: r.column_name, primaryKey };
  });
}

async function primaryKeys<T>(db: Kysely<T>): Promise<Map<string, string[]>> {
  const { rows } = await sql<{ table_name: string; column_name: string }>`
    select k.table_name, k.column_name
    from information_schema.table_constraints c
    join information_schema.key_column_usage k
      on k.constraint_name = c.constraint_name and k.table_schema = c.table_schema and k.table_name = c.table_name
    where c.table_schema = current_schema() and c.constraint_type = 'PRIMARY KEY'
    order by k.table_name, k.ordinal_position`.execute(db);
  const out = new Map<string, string[]>();
  for (const r of rows) out.set(r.table_name, [...(out.get(r.table_name) ?? []), r.column_name]);
  return out;
}

/** The KEK id a vault blob names, computed in SQL; null for anything that is not a vault blob. */
const kekIdOf = (column: string): RawBuilder<Buffer | null> => {
  const c = sql.ref(column);
  return sql<Buffer | null>`case when length(${c}) > ${PREFIX.length + 1}
    and substring(${c} from 1 for ${PREFIX.length}) = ${PREFIX}
    then substring(${c} from ${PREFIX.length + 2} for get_byte(${c}, ${PREFIX.length})) end`;
};

/** How many sealed values each KEK wraps, over every sealed column ('other' counts non-vault values). */
export async function sealedValueCounts<T>(db: Kysely<T>): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for (const { table, column } of await sealedColumns(db)) {
    const { rows } = await sql<{ kek: Uint8Array | null; n: number }>`
      select ${kekIdOf(column)} as kek, count(*) as n from ${sql.table(table)}
      where ${sql.ref(column)} is not null group by 1`.execute(db);
    for (const { kek, n } of rows) {
      const id = kek === null ? 'other' : Buffer.from(kek).toString('ascii');
      counts.set(id, (counts.get(id) ?? 0) + Number(n));
    }
  }
  return counts;
}

/** Re-wraps every sealed value not under the vault's active KEK. */
export async function rewrapSealedValues<T>(
  db: Kysely<T>,
  vault: Vault,
  options: RewrapOptions = {},
): Promise<RewrapReport> {
  const batchSize = options.batchSize ?? 500;
  const report: RewrapReport = { rewrapped: 0, skipped: 0, failed: [] };
  for (const target of await sealedColumns(db)) {
    const active = Buffer.from(vault.keyring.activeId, 'ascii');
    const stale = sql`${kekIdOf(target.column)} <> ${active}`;
    const { rows: counted } = await sql<{ n: number }>`
      select count(*) as n from ${sql.table(target.table)} where ${stale}`.execute(db);
    const total = Number(counted[0]?.n ?? 0);
    if (total === 0) continue;
    const pk = sql.join(target.primaryKey.map((k) => sql.ref(k)));
    const failures = new Map<string, number>();
    let cursor: unknown[] | undefined;
    let done = 0;
    for (;;) {
      const batch = await db.transaction().execute(async (tx) => {
        const after = cursor ? sql`and (${pk}) > (${sql.join(cursor)})` : sql``;
        const { rows } = await sql<Record<string, unknown>>`
          select ${pk}, ${sql.ref(target.column)} as sealed from ${sql.table(target.table)}
          where ${stale} ${after} order by ${pk} limit ${batchSize}`.execute(tx);
        for (const row of rows) {
          const old = Buffer.from(row.sealed as Uint8Array);
          let rewrapped: Buffer;
          try {
            rewrapped = vault.rewrap(old);
          } catch (error) {
            const code = error instanceof PushprovError ? error.code : 'UNKNOWN';
            failures.set(code, (failures.get(code) ?? 0) + 1);
            continue;
          }
          const same = sql.join(
            target.primaryKey.map((k) => sql`${sql.ref(k)} = ${row[k]}`),
            sql` and `,
          );
          const result = await sql`
            update ${sql.table(target.table)} set ${sql.ref(target.column)} = ${rewrapped}
            where ${same} and ${sql.ref(target.column)} = ${old}`.execute(tx);
          if (Number(result.numAffectedRows ?? 0) === 1) report.rewrapped++;
          else report.skipped++;
        }
        return rows;
      });
      if (batch.length === 0) break;
      const last = batch[batch.length - 1]!;
      cursor = target.primaryKey.map((k) => last[k]);
      done += batch.length;
      options.onProgress?.({
        table: target.table,
        column: target.column,
        done: Math.min(done, total),
        total,
      });
      if (batch.length < batchSize) break;
    }
    if (failures.size > 0) {
      report.failed.push({
        table: target.table,
        column: target.column,
        count: [...failures.values()].reduce((a, b) => a + b, 0),
        codes: [...failures.keys()],
      });
    }
  }
  return report;
}

export interface RotationOptions extends RewrapOptions {
  /** The keyring file the new key is written to (and read from on every later start). */
  keyringPath: string;
  now: Date;
  /** Only finish re-wrapping under the current active key (after an interrupted run). */
  resume?: boolean;
  /** The KEK to make active instead of a fresh one: a key in an HSM, say. */
  kek?: Kek;
}

export interface RotationResult {
  activeId: string;
  /** Whether this run created the active key (false when resuming). */
  created: boolean;
  report: RewrapReport;
  /** Sealed values per KEK id after the run; every id but the active one is still to move. */
  remaining: Map<string, number>;
}

/**
 * Rotates the vault's KEK: a new key is written to the keyring file and made
 * active (this process seals under it at once; other servers do after they
 * restart), then every sealed value is re-wrapped under it. Running again
 * with `resume` finishes an interrupted run without creating another key.
 */
export async function rotateKeys<T>(
  db: Kysely<T>,
  vault: Vault,
  options: RotationOptions,
): Promise<RotationResult> {
  if (!options.resume) {
    const next = vault.keyring.withNewActiveKek(options.now, options.kek);
    writeKeyringFile(options.keyringPath, next);
    vault.useKeyring(next);
  }
  const report = await rewrapSealedValues(db, vault, options);
  return {
    activeId: vault.keyring.activeId,
    created: !options.resume,
    report,
    remaining: await sealedValueCounts(db),
  };
}

/**
 * Drops from the keyring file every inactive KEK that no sealed value
 * references any more, after re-wrapping stragglers (values sealed by
 * servers that had not yet restarted). Run it once every server runs with
 * the rotated keyring, or those servers may seal under a retired key.
 */
export async function retireKeys<T>(
  db: Kysely<T>,
  vault: Vault,
  options: Omit<RotationOptions, 'resume' | 'now'>,
): Promise<{ retired: string[]; kept: Map<string, number> }> {
  await rewrapSealedValues(db, vault, options);
  const counts = await sealedValueCounts(db);
  const { keyring } = vault;
  const retired = keyring.ids.filter((id) => id !== keyring.activeId && !counts.get(id));
  if (retired.length > 0) {
    const next = keyring.without(retired);
    writeKeyringFile(options.keyringPath, next);
    vault.useKeyring(next);
  }
  const kept = new Map(vault.keyring.ids.map((id) => [id, counts.get(id) ?? 0]));
  return { retired, kept };
}
