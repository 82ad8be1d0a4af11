import type { Transaction } from 'kysely';
import type { AuditInfo, StatusCode } from '../../mastercard/customer-service/schemas.js';
import type { McTokenStatus, TokenManagementSchema } from './tables.js';

// Assumption: a token awaiting activation is "Unmapped" (U), Customer Service's status for one not yet in use.
export const STATUS_CODE: Record<McTokenStatus, StatusCode> = {
  INACTIVE: 'U',
  ACTIVE: 'A',
  SUSPENDED: 'S',
  DELETED: 'D',
};

export interface TokenStatusChange {
  reference: string;
  status: McTokenStatus;
  /** Comma-separated, sorted; empty unless SUSPENDED. */
  suspenders: string;
  at: Date;
  /** I issuer, W token requestor, C cardholder. */
  initiator: string;
  reasonCode: string | null;
  commentId?: string;
  auditInfo?: AuditInfo;
}

/**
 * Moves a token to its new status and writes the entry Token Status History
 * lists for it, whoever changed it (the issuer through Customer Service, the
 * token requestor through the Digital Enablement API, the cardholder's code).
 */
export async function changeTokenStatus(
  tx: Transaction<TokenManagementSchema>,
  change: TokenStatusChange,
): Promise<void> {
  await tx
    .updateTable('mc_tokens')
    .set({ status: change.status, suspenders: change.suspenders, status_updated_at: change.at })
    .where('token_unique_reference', '=', change.reference)
    .execute();
  await tx
    .insertInto('mc_token_statuses')
    .values({
      token_unique_reference: change.reference,
      status_code: STATUS_CODE[change.status],
      initiator: change.initiator,
      reason_code: change.reasonCode,
      comment_id: change.commentId ?? null,
      audit_info: change.auditInfo === undefined ? null : JSON.stringify(change.auditInfo),
      at: change.at,
    })
    .execute();
}
