import type { Generated } from 'kysely';
import type { GatewaySchema } from '../gateway/tables.js';
import type { Product } from './catalogue.js';

/** Kysely's view of the Token Connect tables (migration 0002). */
interface McPushRequestsTable {
  issuer_consumer_key: string;
  request_id: string;
  operation: 'pushMultipleAccounts' | 'pushAccount';
  /** SHA-256 of the request body: the same requestId with another body is refused. */
  request_hash: string;
  /** The answer given, replayed verbatim to a retry. */
  response_json: string;
  created_at: Date;
}

export interface McReceiptsTable {
  receipt: string;
  /** Null for the deprecated pushAccount, which has none. */
  push_account_id: string | null;
  request_id: string;
  issuer_consumer_key: string;
  token_requestor_id: string;
  product: Product;
  account_last_four: string;
  /** The pushed account (PAN, expiry, accepted account holder data), sealed with the receipt as context. */
  account_sealed: Uint8Array;
  expires_at: Date;
  created_at: Date;
  redeemed_at: Date | null;
}

export interface McTokensTable {
  token_unique_reference: string;
  token_requestor_id: string;
  issuer_consumer_key: string;
  /** The receipt redeemed; null for a card added manually (migration 0005). */
  receipt: string | null;
  account_last_four: string;
  account_sealed: Uint8Array;
  token_last_four: string;
  token_sealed: Uint8Array;
  /** MMYY. */
  token_expiry: string;
  /** INACTIVE until activated after REQUIRE_ADDITIONAL_AUTHENTICATION. */
  status: 'ACTIVE' | 'INACTIVE';
  created_at: Date;
  /** The Pre-Digitization exchange that made it (migration 0007): its correlationId, PAN reference, who decided. */
  correlation_id: string | null;
  pan_unique_reference: string | null;
  decided_by: 'ISSUER' | 'STAND_IN' | 'MDES' | null;
  /** JSON array of the activation methods of a token created INACTIVE (REQUIRE_ADDITIONAL_AUTHENTICATION); else null. */
  activation_methods: string | null;
  /** SHA-256 (hex) of the last activation code MDES made; the code itself is never kept. */
  activation_code_hash: Generated<string | null>;
  activation_code_expires_at: Generated<Date | null>;
}

export interface SimulatorSchema extends GatewaySchema {
  mc_push_requests: McPushRequestsTable;
  mc_receipts: McReceiptsTable;
  mc_tokens: McTokensTable;
}
