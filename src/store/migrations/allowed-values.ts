import { type Kysely, sql } from 'kysely';

/**
 * Replaces the check constraint `<table>_<column>_check` (PostgreSQL's name
 * for a column's check) with one allowing `values`, first deleting the rows
 * it would refuse: the migrations that widen a list and their way back.
 */
export async function allowOnly(
  db: Kysely<unknown>,
  table: string,
  column: string,
  values: readonly string[],
): Promise<void> {
  const constraint = sql.id(`${table}_${column}_check`);
  const allowed = sql.join(values.map((v) => sql.lit(v)));
  await sql`delete from ${sql.table(table)} where ${sql.ref(column)} not in (${allowed})`.execute(db);
  await sql`alter table ${sql.table(table)} drop constraint ${constraint}`.execute(db);
  await sql`alter table ${sql.table(table)} add constraint ${constraint} check (${sql.ref(column)} in (${allowed}))`.execute(
    db,
  );
}
