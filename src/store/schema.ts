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

export interface ProvisioningsTable {
  id: string;
  cardholder_id: string;
  destination: 'click_to_pay' | 'merchant';
  token_requestor_id: string;
  token_requestor_name: string;
  state: string;
  request_id: string;
  receipt_validity_minutes: number;
  receipts_expire_at: Date | null;
  callback_token_sealed: Uint8Array | null;
  redirect_sealed: Uint8Array | null;
  error_code: string | null;
  error_message: string | null;
  attempts: ColumnType<number, number | undefined, number>;
  created_at: Date;
  updated_at: Date;
  completed_at: Date | null;
}

export interface ProvisioningCardsTable {
  provisioning_id: string;
  card_id: string;
  push_account_id: string;
  state: string;
  receipt_sealed: Uint8Array | null;
  token_unique_reference: string | null;
  error_code: string | null;
}

export interface IdempotencyKeysTable {
  scope: string;
  key: string;
  request_hash: string;
  response_status: number | null;
  response_body: ColumnType<unknown, string | null, string | null>;
  created_at: Date;
  expires_at: Date;
}

export interface IssuerSchema {
  audit_log: AuditLogTable;
  provisionings: ProvisioningsTable;
  provisioning_cards: ProvisioningCardsTable;
  idempotency_keys: IdempotencyKeysTable;
}
