import type { NotificationsSchema } from '../notifications/tables.js';
import type { McTokensTable } from '../token-connect/tables.js';

export type McTokenStatus = 'ACTIVE' | 'SUSPENDED' | 'DELETED';

/** mc_tokens as token management sees it (migrations 0002 and 0004). */
export interface McManagedTokensTable extends Omit<McTokensTable, 'status'> {
  status: McTokenStatus;
  status_updated_at: Date | null;
  /** Who suspended the token (CARDHOLDER or ISSUER), as MDES reports it. */
  suspended_by: string | null;
  /** MMYY of the funding account after a card replacement; null until one. */
  account_expiry: string | null;
}

export interface TokenManagementSchema extends Omit<NotificationsSchema, 'mc_tokens'> {
  mc_tokens: McManagedTokensTable;
}
