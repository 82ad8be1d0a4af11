import type { ColumnType, Generated, JSONColumnType } from 'kysely';

/** Kysely's view of the issuer tables; one interface per table, named as in SQL. */
export interface AuditLogTable {
  seq: Generated<number>;
  at: ColumnType<Date, Date | undefined, never>;
  actor: string;
  action: string;
  subject: string | null;
  outcome: string;
  details: JSONColumnType<Record<string, unknown>>;
  prev_hash: string;
  hash: string;
}

export interface IssuerSchema {
  audit_log: AuditLogTable;
}
