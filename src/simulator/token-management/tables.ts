import type { Generated } from 'kysely';
import type { NotificationsSchema } from '../notifications/tables.js';
import type { McTokensTable } from '../token-connect/tables.js';

/** INACTIVE: created after REQUIRE_ADDITIONAL_AUTHENTICATION, awaiting activation (migration 0007). */
export type McTokenStatus = 'INACTIVE' | 'ACTIVE' | 'SUSPENDED' | 'DELETED';

/** mc_tokens as token management sees it (migrations 0002 and 0004). */
export interface McManagedTokensTable extends Omit<McTokensTable, 'status'> {
  status: McTokenStatus;
  status_updated_at: Date | null;
  /** Customer Service's suspenders, comma-separated (I, W, C, P, M); empty unless SUSPENDED (migration 0006). */
  suspenders: Generated<string>;
  /** MMYY of the funding account after a card replacement; null until one. */
  account_expiry: string | null;
  /** The card's sequence number after a card replacement; null until one (migration 0006). */
  account_pan_sequence: string | null;
}

/** Each status a token has had, for Token Status History (migration 0006). */
interface McTokenStatusesTable {
  id: Generated<string>;
  token_unique_reference: string;
  status_code: 'U' | 'A' | 'S' | 'D';
  /** I issuer, W token requestor, C cardholder. */
  initiator: string;
  reason_code: string | null;
  comment_id: string | null;
  /** JSON of the issuer's AuditInfo. */
  audit_info: string | null;
  at: Date;
}

export interface TokenManagementSchema extends Omit<NotificationsSchema, 'mc_tokens'> {
  mc_tokens: McManagedTokensTable;
  mc_token_statuses: McTokenStatusesTable;
}
