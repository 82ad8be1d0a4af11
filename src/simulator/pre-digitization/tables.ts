import type { GatewaySchema, McClientsTable } from '../gateway/tables.js';
import type { McTokensTable } from '../token-connect/tables.js';
import type { McManagedTokensTable, TokenManagementSchema } from '../token-management/tables.js';

/** Who decided a tokenization: the issuer (Authorize Service), MDES standing in for it, or MDES for an issuer without the web services. */
export type DecidedBy = NonNullable<McTokensTable['decided_by']>;

/** Kysely's view of MDES's tokenization decisions (migrations 0005 and 0007). */
interface McTokenizationDecisionsTable {
  /** The Authorize Service `requestId`. */
  request_id: string;
  issuer_consumer_key: string;
  token_requestor_id: string;
  token_unique_reference: string;
  /** The funding account's `source` (ACCOUNT_ADDED_VIA_APPLICATION, ACCOUNT_ADDED_MANUALLY). */
  source: string;
  receipt: string | null;
  /** PENDING while the issuer is asked, then the decision. */
  decision: string;
  /** Null while PENDING. */
  decided_by: DecidedBy | null;
  reason_code: string | null;
  /** JSON array of the activation methods the decision came with; null when none. */
  activation_methods: string | null;
  correlation_id: string | null;
  decided_at: Date;
}

/** mc_clients with the issuer's Pre-Digitization base URL (migration 0007). */
type McIssuerClientsTable = McClientsTable & {
  notification_url: string | null;
  pre_digitization_url: string | null;
};

/** mc_tokens as the Pre-Digitization exchanges and token management see it (the columns of migration 0007 are in McTokensTable). */
export type McPreDigitizedTokensTable = McManagedTokensTable;

export interface PreDigitizationSchema
  extends Omit<TokenManagementSchema, 'mc_clients' | 'mc_tokens'>,
    Omit<GatewaySchema, 'mc_clients'> {
  mc_clients: McIssuerClientsTable;
  mc_tokens: McPreDigitizedTokensTable;
  mc_tokenization_decisions: McTokenizationDecisionsTable;
}
